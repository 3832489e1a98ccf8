/**
 * Raw DNSSEC signing rates on one core, in this process: RRSIGs over a typical TLSA RRset (one
 * `3 1 1` record at a device name, RFC 4034 §3.1.8.1 signing input) made with signer/rrsig.ts
 * signRrset — node:crypto ECDSA P-256 (algorithm 13, RFC 6605) and Ed25519 (algorithm 15, RFC 8080)
 * — and, for comparison, @noble/curves (pure JavaScript) over the same signing input. Each loop
 * stops at a time limit or a count cap, whichever comes first.
 */
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { KeyObject } from 'node:crypto';
import { RrType } from '../core/rr-types.js';
import { canonicalRrsetWire, signingInput } from '../signer/canonical.js';
import { createSigningKey, DnskeyFlags, DnssecAlgorithm, dnskeyRdata, generateKeyPair, type SigningKey } from '../signer/keys.js';
import { rrsigPrefix, signRrset, verifyRrsig, type RrsetToSign } from '../signer/rrsig.js';
import { signatureWindow } from '../signer/validity.js';
import { deviceName, FLEET_ZONE, tlsaDigest } from './fleet-data.js';

export interface RateResult {
  label: string;
  count: number;
  seconds: number;
  perSecond: number;
  /** Per CPU-second of this process: steadier than perSecond when other work shares the cores. */
  perCpuSecond: number;
}

/** Calls `f` until `seconds` pass or `maxCount` calls are made (the clock is read every 64 calls); also per CPU-second. */
export function measureRate(label: string, f: () => unknown, seconds: number, maxCount = 10_000_000): RateResult {
  for (let i = 0; i < 200; i++) f(); // warm-up: JIT and OpenSSL's lazy initialisation
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const deadline = t0 + seconds * 1000;
  let count = 0;
  while (count < maxCount) {
    for (let i = 0; i < 64; i++) f();
    count += 64;
    if (performance.now() >= deadline) break;
  }
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { label, count, seconds: s, perSecond: count / s, perCpuSecond: count / cpuSeconds };
}

/** The RRset benchmarked: device 1's TLSA 3 1 1, TTL 60. */
export function typicalTlsaRrset(): RrsetToSign {
  const rdata = Buffer.concat([Buffer.from([3, 1, 1]), Buffer.from(tlsaDigest(1), 'hex')]);
  return { owner: deviceName(1, 1_000_000), type: RrType.TLSA, ttl: 60, rdatas: [rdata] };
}

function zsk(algorithm: 13 | 15): SigningKey {
  const { privateKey, publicKey } = generateKeyPair(algorithm);
  return createSigningKey(privateKey, dnskeyRdata(DnskeyFlags.ZSK, algorithm, publicKey));
}

/** The private scalar / seed of a node:crypto key, for @noble/curves. */
function rawPrivate(key: KeyObject): Uint8Array {
  const d = key.export({ format: 'jwk' }).d;
  if (d === undefined) throw new Error('private key has no "d"');
  return Buffer.from(d, 'base64url');
}

export function measureSigningRates(seconds: number): RateResult[] {
  const rrset = typicalTlsaRrset();
  const window = signatureWindow(Math.floor(Date.now() / 1000), rrset.owner);
  const results: RateResult[] = [];
  for (const alg of [DnssecAlgorithm.ECDSAP256SHA256, DnssecAlgorithm.ED25519] as const) {
    const key = zsk(alg);
    // A self-check first: a benchmark of signatures that do not verify would measure nothing.
    if (!verifyRrsig(signRrset(rrset, key, window, FLEET_ZONE), rrset, key.dnskeyRdata)) throw new Error(`algorithm ${alg}: signature does not verify`);
    const name = alg === 13 ? 'node:crypto ECDSA P-256 (signRrset)' : 'node:crypto Ed25519 (signRrset)';
    results.push(measureRate(name, () => signRrset(rrset, key, window, FLEET_ZONE), seconds));
    const input = signingInput(rrsigPrefix({ typeCovered: rrset.type, algorithm: alg, labels: 4, originalTtl: rrset.ttl, expiration: window.expiration, inception: window.inception, keyTag: key.keyTag, signerName: FLEET_ZONE }), canonicalRrsetWire(rrset.owner, rrset.type, rrset.ttl, rrset.rdatas));
    const secret = rawPrivate(key.privateKey);
    const noble = alg === 13 ? (): Uint8Array => p256.sign(input, secret, { prehash: true }) : (): Uint8Array => ed25519.sign(input, secret);
    results.push(measureRate(alg === 13 ? '@noble/curves P-256 (same input)' : '@noble/curves Ed25519 (same input)', noble, seconds));
  }
  return results;
}
