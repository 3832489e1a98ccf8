/**
 * An independent RRSIG verifier for tests: @noble/curves (pure JS) instead of OpenSSL, and its own
 * minimal canonicalisation (RFC 4034 §3.1.8.1, §6.2, §6.3; RFC 4035 §5.3.2 wildcard owner
 * reconstruction from the Labels field) instead of signer/canonical.ts. It shares no code with
 * signer/ on purpose: a bug in the signer's canonical form must not be mirrored here. Supports
 * algorithms 13 (RFC 6605) and 15 (RFC 8080). The time window is checked only when `now` is given.
 */
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';

export interface IndependentVerifyArgs {
  /** RRSIG RDATA (wire, uncompressed signer name). */
  rrsig: Uint8Array;
  /** Owner as a presentation name (the query name for a wildcard expansion is fine too). */
  owner: string;
  type: number;
  rdatas: readonly Uint8Array[];
  /** DNSKEY RDATA of the signing key. */
  dnskey: Uint8Array;
  /** Unix seconds; when present the validity window is checked with serial arithmetic. */
  now?: number;
}

/** True only when the signature over the rebuilt signed data verifies under the DNSKEY. */
export function verifyRrsigIndependently(args: IndependentVerifyArgs): boolean {
  const sig = readRrsig(args.rrsig);
  if (sig === undefined || args.dnskey.length < 5) return false;
  const dk = args.dnskey;
  const flags = (dk[0]! << 8) | dk[1]!;
  if ((flags & 0x0100) === 0 || dk[2] !== 3 || dk[3] !== sig.algorithm) return false;
  if (tagOf(dk) !== sig.keyTag || sig.typeCovered !== args.type) return false;
  if (args.now !== undefined && !inWindow(sig.inception, sig.expiration, args.now)) return false;
  const owner = signedOwnerLabels(ownerLabels(args.owner), sig.labels);
  if (owner === undefined) return false;
  const data = Buffer.concat([Buffer.from(args.rrsig.subarray(0, 18)), sig.signerWireLower, ...rrWires(owner, args.type, sig.originalTtl, args.rdatas)]);
  const pub = dk.subarray(4);
  try {
    if (sig.algorithm === 13) {
      if (pub.length !== 64 || sig.signature.length !== 64) return false;
      // OpenSSL does not normalise ECDSA signatures to low S; DNSSEC does not require it.
      return p256.verify(sig.signature, data, Buffer.concat([Buffer.from([4]), pub]), { lowS: false });
    }
    if (sig.algorithm === 15) return pub.length === 32 && ed25519.verify(sig.signature, data, pub);
  } catch {
    return false;
  }
  return false;
}

interface RawRrsig {
  typeCovered: number;
  algorithm: number;
  labels: number;
  originalTtl: number;
  expiration: number;
  inception: number;
  keyTag: number;
  signerWireLower: Buffer;
  signature: Uint8Array;
}

function readRrsig(r: Uint8Array): RawRrsig | undefined {
  if (r.length < 19) return undefined;
  const dv = new DataView(r.buffer, r.byteOffset, r.byteLength);
  let o = 18;
  for (let n = 0; n < 128; n++) {
    const len = r[o];
    if (len === undefined || len > 63) return undefined;
    o += 1 + len;
    if (len === 0) break;
  }
  if (o > r.length || r[o - 1] === undefined) return undefined;
  return {
    typeCovered: dv.getUint16(0),
    algorithm: r[2]!,
    labels: r[3]!,
    originalTtl: dv.getUint32(4),
    expiration: dv.getUint32(8),
    inception: dv.getUint32(12),
    keyTag: dv.getUint16(16),
    signerWireLower: lower(Buffer.from(r.subarray(18, o))),
    signature: r.subarray(o),
  };
}

/** Presentation name → raw labels (\DDD and \X escapes), lowercased. */
function ownerLabels(name: string): Buffer[] {
  const out: Buffer[] = [];
  let cur: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    if (ch === '\\') {
      const digits = name.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(digits)) {
        cur.push(Number(digits));
        i += 3;
      } else {
        cur.push(name.charCodeAt(i + 1));
        i += 1;
      }
    } else if (ch === '.') {
      if (cur.length > 0) out.push(lower(Buffer.from(cur)));
      cur = [];
    } else cur.push(name.charCodeAt(i));
  }
  if (cur.length > 0) out.push(lower(Buffer.from(cur)));
  return out;
}

/** RFC 4035 §5.3.2: with fewer RRSIG labels than owner labels, the signed owner is `*.` + the rightmost ones. */
function signedOwnerLabels(labels: Buffer[], rrsigLabels: number): Buffer[] | undefined {
  const count = labels[0]?.equals(Buffer.from('*')) ? labels.length - 1 : labels.length;
  if (rrsigLabels > count) return undefined;
  if (rrsigLabels === count) return labels;
  return [Buffer.from('*'), ...labels.slice(labels.length - rrsigLabels)];
}

function rrWires(owner: Buffer[], type: number, ttl: number, rdatas: readonly Uint8Array[]): Buffer[] {
  const ownerWire = Buffer.concat([...owner.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])]);
  const unique = new Map<string, Buffer>();
  for (const r of rdatas) unique.set(Buffer.from(r).toString('hex'), Buffer.from(r));
  const sorted = [...unique.values()].sort((a, b) => Buffer.compare(a, b));
  return sorted.map((rd) => {
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(type, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(ttl, 4);
    fixed.writeUInt16BE(rd.length, 8);
    return Buffer.concat([ownerWire, fixed, rd]);
  });
}

function tagOf(dk: Uint8Array): number {
  let ac = 0;
  dk.forEach((b, i) => {
    ac += i % 2 === 0 ? b * 256 : b;
  });
  ac += Math.floor(ac / 65536) % 65536;
  return ac % 65536;
}

function inWindow(inception: number, expiration: number, now: number): boolean {
  const t = now % 2 ** 32;
  const before = (a: number, b: number): boolean => a === b || ((b - a + 2 ** 32) % 2 ** 32) < 2 ** 31;
  return before(inception, t) && before(t, expiration);
}

function lower(b: Buffer): Buffer {
  for (let i = 0; i < b.length; i++) if (b[i]! >= 65 && b[i]! <= 90) b[i] = b[i]! + 32;
  return b;
}

