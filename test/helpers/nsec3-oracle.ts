/**
 * An independent NSEC3 oracle for conformance tests (shares no code with signer/): the RFC 5155
 * §5 hash with iterations 0 and an empty salt (SHA-1 over the canonical wire name), base32hex
 * without padding (RFC 4648 §7), ±k on the 160-bit hash as a big-endian integer modulo 2^160
 * (white lies, SPECS.md §4.6), "covers" and "matches" per RFC 5155 §3 / §7.2, and decoders for
 * NSEC3 and NSEC3PARAM RDATA (RFC 5155 §3.2, §4.2) with the type bitmap of RFC 4034 §4.1.2.
 */
import { createHash } from 'node:crypto';

const B32HEX = '0123456789abcdefghijklmnopqrstuv';

/** Canonical wire form (RFC 4034 §6.2) of a presentation name with no escapes. */
export function canonicalWire(name: string): Buffer {
  const labels = name.toLowerCase().split('.').filter((l) => l.length > 0);
  return Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), Buffer.from(l, 'latin1')]), Buffer.from([0])]);
}

/** H(name) = SHA-1(wire(name)) (iterations 0, empty salt). */
export function hashName(name: string): Buffer {
  return createHash('sha1').update(canonicalWire(name)).digest();
}

export function base32hex(b: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const byte of b) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32HEX[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32HEX[(acc << (5 - bits)) & 31];
  return out;
}

export function fromBase32hex(s: string): Buffer {
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of s.toLowerCase()) {
    const v = B32HEX.indexOf(ch);
    if (v < 0) throw new Error(`not base32hex: ${s}`);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bytes.push((acc >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    acc &= (1 << bits) - 1;
  }
  return Buffer.from(bytes);
}

const MOD = 1n << 160n;

export function hashToBig(h: Uint8Array): bigint {
  return BigInt('0x' + Buffer.from(h).toString('hex'));
}

/** h + delta modulo 2^160, as 20 bytes. */
export function hashAdd(h: Uint8Array, delta: number): Buffer {
  const v = (((hashToBig(h) + BigInt(delta)) % MOD) + MOD) % MOD;
  return Buffer.from(v.toString(16).padStart(40, '0'), 'hex');
}

/** The NSEC3 owner label of a name's hash. */
export function ownerLabelOf(name: string): string {
  return base32hex(hashName(name));
}

/** RFC 5155 §3 "covers": owner < h < next in hash order, with wrap-around past the last NSEC3. */
export function covers(owner: Uint8Array, next: Uint8Array, h: Uint8Array): boolean {
  const o = hashToBig(owner);
  const n = hashToBig(next);
  const x = hashToBig(h);
  if (o < n) return o < x && x < n;
  return x > o || x < n;
}

export interface Nsec3Fields {
  algorithm: number;
  flags: number;
  iterations: number;
  salt: Buffer;
  next: Buffer;
  types: number[];
}

/** NSEC3 RDATA (RFC 5155 §3.2). */
export function parseNsec3(rdata: Buffer): Nsec3Fields {
  let o = 0;
  const algorithm = rdata[o++]!;
  const flags = rdata[o++]!;
  const iterations = rdata.readUInt16BE(o);
  o += 2;
  const saltLen = rdata[o++]!;
  const salt = rdata.subarray(o, o + saltLen);
  o += saltLen;
  const hashLen = rdata[o++]!;
  const next = rdata.subarray(o, o + hashLen);
  o += hashLen;
  if (o > rdata.length) throw new Error('NSEC3 RDATA too short');
  return { algorithm, flags, iterations, salt: Buffer.from(salt), next: Buffer.from(next), types: parseTypeBitmap(rdata.subarray(o)) };
}

/** NSEC3PARAM RDATA (RFC 5155 §4.2). */
export function parseNsec3param(rdata: Buffer): { algorithm: number; flags: number; iterations: number; salt: Buffer } {
  const saltLen = rdata[4]!;
  if (rdata.length !== 5 + saltLen) throw new Error('NSEC3PARAM RDATA has the wrong length');
  return { algorithm: rdata[0]!, flags: rdata[1]!, iterations: rdata.readUInt16BE(2), salt: Buffer.from(rdata.subarray(5)) };
}

/** Type bitmap (RFC 4034 §4.1.2): windows in increasing order, lengths 1..32, no trailing zero octet. */
export function parseTypeBitmap(b: Buffer): number[] {
  const types: number[] = [];
  let o = 0;
  let lastWindow = -1;
  while (o < b.length) {
    const win = b[o]!;
    const len = b[o + 1];
    if (len === undefined || len < 1 || len > 32 || o + 2 + len > b.length) throw new Error('malformed type bitmap');
    if (win <= lastWindow) throw new Error('type bitmap windows out of order');
    if (b[o + 2 + len - 1] === 0) throw new Error('type bitmap window ends in a zero octet');
    lastWindow = win;
    for (let i = 0; i < len; i++) {
      const byte = b[o + 2 + i]!;
      for (let bit = 0; bit < 8; bit++) if ((byte & (0x80 >> bit)) !== 0) types.push(win * 256 + i * 8 + bit);
    }
    o += 2 + len;
  }
  return types;
}

/** The hash an NSEC3 owner name stands for (its first label), or undefined if it is not one. */
export function ownerHash(owner: string, apex: string): Buffer | undefined {
  if (!owner.endsWith('.' + apex)) return undefined;
  const label = owner.slice(0, owner.length - apex.length - 1);
  if (!/^[0-9a-v]{32}$/.test(label)) return undefined;
  return fromBase32hex(label);
}
