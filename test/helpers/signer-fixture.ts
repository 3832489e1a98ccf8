/** A signed zone's settings and fresh signing keys, for the unit tests of signer/ and the re-signer. */
import { createSigningKey, dnskeyRdata, generateKeyPair, type SigningKey } from '../../signer/index.js';
import type { ZoneInfo, ZoneSettings } from '../../zone-store/types.js';

export const APEX = 'example.com.';
export const SETTINGS: ZoneSettings = {
  defaultTtl: 60, maxTtl: 86400, soaTtl: 3600, negativeTtl: 60, soaRefresh: 3600, soaRetry: 600, soaExpire: 604800,
  mname: 'ns1.example.net.', rname: 'hostmaster.example.com.', ns: ['ns1.example.net.'], nsTtl: 3600, denial: 'nsec3', signed: true,
};
export const ZONE: ZoneInfo = { id: 1, name: APEX, serial: 1, settings: SETTINGS, createdAt: 0 };
/** 2026-01-01T00:00:00Z, the clock the signer tests start from. */
export const NOW = 1_767_225_600;

/** A new key pair as a SigningKey (flags 257: KSK or CSK, 256: ZSK). */
export function signingKey(alg: 13 | 15, flags: number): SigningKey {
  const k = generateKeyPair(alg);
  return createSigningKey(k.privateKey, dnskeyRdata(flags, alg, k.publicKey));
}
