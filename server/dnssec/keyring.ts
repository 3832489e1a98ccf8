/**
 * A zone's keyring: its key records (catalog) joined with their private key files, turned into a
 * ZoneSigner plus the apex key RRsets. Key states (see rollover.ts):
 *   published  in the DNSKEY RRset, signs nothing (pre-published ZSK, RFC 6781 §4.1.1.1)
 *   active     in the DNSKEY RRset; a ZSK signs the zone, a KSK signs the DNSKEY RRset
 *   retired    still in the DNSKEY RRset (old signatures may sit in caches), signs nothing
 *   removed    gone
 * CDS/CDNSKEY (RFC 7344 §3, RFC 8078) list the KSKs/CSKs the parent should hold a DS for: the
 * active ones that are not on their way out.
 */
import { RrType } from '../../core/rr-types.js';
import { cdnskeyRdata, cdsRdata, dnskeyRdata, type SigningKey } from '../../signer/keys.js';
import { loadSigningKey } from '../../signer/key-files.js';
import { nsec3paramRdata } from '../../signer/nsec3.js';
import { ZoneSigner, type ZoneSignerOptions } from '../../signer/zone-signer.js';
import type { KeyRecord, ZoneInfo } from '../../zone-store/types.js';

export interface ApexKeyRrsets {
  dnskey: Buffer[];
  cds: Buffer[];
  cdnskey: Buffer[];
  nsec3param: Buffer[];
}

export type KeyringResult = { ok: true; signer: ZoneSigner; apex: ApexKeyRrsets } | { ok: false; reason: string };

export function isSigningRole(k: KeyRecord, want: 'zsk' | 'ksk'): boolean {
  return k.role === want || k.role === 'csk';
}

/** The DNSKEY RDATA of every key that is published, active or retired, in canonical order. */
export function dnskeySet(keys: readonly KeyRecord[]): Buffer[] {
  return keys.filter((k) => k.state !== 'removed').map((k) => dnskeyRdata(k.flags, k.algorithm, k.publicKey)).sort(Buffer.compare);
}

export function loadKeyring(dataDir: string, zone: ZoneInfo, keys: readonly KeyRecord[], opts: ZoneSignerOptions): KeyringResult {
  const zsks: SigningKey[] = [];
  const ksks: SigningKey[] = [];
  for (const k of keys) {
    if (k.state !== 'active') continue;
    const loaded = loadSigningKey(dataDir, k);
    if (!loaded.ok) return { ok: false, reason: loaded.error.message };
    if (isSigningRole(k, 'zsk')) zsks.push(loaded.value);
    if (isSigningRole(k, 'ksk')) ksks.push(loaded.value);
  }
  if (zsks.length === 0 || ksks.length === 0) return { ok: false, reason: `zone ${zone.name} has no active ${zsks.length === 0 ? 'ZSK' : 'KSK'}` };
  const parentKeys = keys.filter((k) => k.state === 'active' && isSigningRole(k, 'ksk')).map((k) => dnskeyRdata(k.flags, k.algorithm, k.publicKey));
  return {
    ok: true,
    signer: new ZoneSigner(zone.name, { zsks, ksks }, opts),
    apex: {
      dnskey: dnskeySet(keys),
      cds: parentKeys.map((d) => cdsRdata(zone.name, d)).sort(Buffer.compare),
      cdnskey: parentKeys.map((d) => cdnskeyRdata(d)).sort(Buffer.compare),
      nsec3param: [nsec3paramRdata()],
    },
  };
}

export const APEX_KEY_TYPES = [RrType.DNSKEY, RrType.NSEC3PARAM, RrType.CDS, RrType.CDNSKEY] as const;
