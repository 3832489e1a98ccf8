/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012), the keyed hash RFC 9018 §4.4 prescribes for
 * interoperable DNS server cookies. Every query carrying a cookie hashes once or twice, so the
 * 64-bit words are kept as pairs of 32-bit locals (no BigInt, no allocation but the result).
 * Output: the 64-bit result as 8 little-endian bytes, the byte order of the reference vectors
 * (and of `openssl mac ... SIPHASH`).
 */

/** The state v0..v3 as [hi, lo] pairs, between calls to `rounds`. */
const S = new Uint32Array(8);

/** `n` SipRounds on S. */
function rounds(n: number): void {
  let v0h = S[0]!;
  let v0l = S[1]!;
  let v1h = S[2]!;
  let v1l = S[3]!;
  let v2h = S[4]!;
  let v2l = S[5]!;
  let v3h = S[6]!;
  let v3l = S[7]!;
  for (let r = 0; r < n; r++) {
    // v0 += v1; v1 = rotl(v1, 13) ^ v0; v0 = rotl(v0, 32)
    let lo = (v0l + v1l) >>> 0;
    v0h = (v0h + v1h + (lo < v0l ? 1 : 0)) >>> 0;
    v0l = lo;
    let th = ((v1h << 13) | (v1l >>> 19)) >>> 0;
    let tl = ((v1l << 13) | (v1h >>> 19)) >>> 0;
    v1h = (th ^ v0h) >>> 0;
    v1l = (tl ^ v0l) >>> 0;
    th = v0h;
    v0h = v0l;
    v0l = th;
    // v2 += v3; v3 = rotl(v3, 16) ^ v2
    lo = (v2l + v3l) >>> 0;
    v2h = (v2h + v3h + (lo < v2l ? 1 : 0)) >>> 0;
    v2l = lo;
    th = ((v3h << 16) | (v3l >>> 16)) >>> 0;
    tl = ((v3l << 16) | (v3h >>> 16)) >>> 0;
    v3h = (th ^ v2h) >>> 0;
    v3l = (tl ^ v2l) >>> 0;
    // v0 += v3; v3 = rotl(v3, 21) ^ v0
    lo = (v0l + v3l) >>> 0;
    v0h = (v0h + v3h + (lo < v0l ? 1 : 0)) >>> 0;
    v0l = lo;
    th = ((v3h << 21) | (v3l >>> 11)) >>> 0;
    tl = ((v3l << 21) | (v3h >>> 11)) >>> 0;
    v3h = (th ^ v0h) >>> 0;
    v3l = (tl ^ v0l) >>> 0;
    // v2 += v1; v1 = rotl(v1, 17) ^ v2; v2 = rotl(v2, 32)
    lo = (v2l + v1l) >>> 0;
    v2h = (v2h + v1h + (lo < v2l ? 1 : 0)) >>> 0;
    v2l = lo;
    th = ((v1h << 17) | (v1l >>> 15)) >>> 0;
    tl = ((v1l << 17) | (v1h >>> 15)) >>> 0;
    v1h = (th ^ v2h) >>> 0;
    v1l = (tl ^ v2l) >>> 0;
    th = v2h;
    v2h = v2l;
    v2l = th;
  }
  S[0] = v0h;
  S[1] = v0l;
  S[2] = v1h;
  S[3] = v1l;
  S[4] = v2h;
  S[5] = v2l;
  S[6] = v3h;
  S[7] = v3l;
}

function le32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/** One message word m (hi, lo): v3 ^= m; two SipRounds; v0 ^= m. */
function compress(hi: number, lo: number): void {
  S[6] = (S[6]! ^ hi) >>> 0;
  S[7] = (S[7]! ^ lo) >>> 0;
  rounds(2);
  S[0] = (S[0]! ^ hi) >>> 0;
  S[1] = (S[1]! ^ lo) >>> 0;
}

/** SipHash-2-4 of the first `length` bytes of `msg` (all by default) under the 16-byte `key`. */
export function siphash24(key: Uint8Array, msg: Uint8Array, length = msg.length): Buffer {
  if (key.length !== 16) throw new RangeError('SipHash needs a 16-byte key');
  const k0l = le32(key, 0);
  const k0h = le32(key, 4);
  const k1l = le32(key, 8);
  const k1h = le32(key, 12);
  // "somepseudorandomlygeneratedbytes"
  S[0] = (0x736f6d65 ^ k0h) >>> 0;
  S[1] = (0x70736575 ^ k0l) >>> 0;
  S[2] = (0x646f7261 ^ k1h) >>> 0;
  S[3] = (0x6e646f6d ^ k1l) >>> 0;
  S[4] = (0x6c796765 ^ k0h) >>> 0;
  S[5] = (0x6e657261 ^ k0l) >>> 0;
  S[6] = (0x74656462 ^ k1h) >>> 0;
  S[7] = (0x79746573 ^ k1l) >>> 0;
  const n = length;
  const whole = n - (n % 8);
  for (let i = 0; i < whole; i += 8) compress(le32(msg, i + 4), le32(msg, i));
  // Last word: the remaining bytes, zero-padded, with the length (mod 256) in the top byte.
  let lo = 0;
  let hi = (n & 0xff) << 24;
  for (let i = whole; i < n; i++) {
    const shift = (i - whole) * 8;
    if (shift < 32) lo |= msg[i]! << shift;
    else hi |= msg[i]! << (shift - 32);
  }
  compress(hi >>> 0, lo >>> 0);
  S[5] = (S[5]! ^ 0xff) >>> 0; // v2 ^= 0xff
  rounds(4);
  const out = Buffer.allocUnsafe(8);
  out.writeUInt32LE((S[1]! ^ S[3]! ^ S[5]! ^ S[7]!) >>> 0, 0);
  out.writeUInt32LE((S[0]! ^ S[2]! ^ S[4]! ^ S[6]!) >>> 0, 4);
  return out;
}
