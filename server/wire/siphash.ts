/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012), the keyed hash RFC 9018 §4.4 prescribes for
 * interoperable DNS server cookies. 64-bit words are kept as pairs of 32-bit halves so the hot
 * loop stays in small integers (no BigInt). Output: the 64-bit result as 8 little-endian bytes,
 * the byte order of the reference vectors (and of `openssl mac ... SIPHASH`).
 */

/** Four 64-bit state words v0..v3 as [hi, lo] pairs in one array: v[2i] = hi, v[2i+1] = lo. */
type State = Uint32Array;

function add(v: State, a: number, b: number): void {
  // v_a += v_b (mod 2^64)
  const lo = (v[a + 1]! + v[b + 1]!) >>> 0;
  const carry = lo < v[a + 1]! ? 1 : 0;
  v[a] = (v[a]! + v[b]! + carry) >>> 0;
  v[a + 1] = lo;
}

function rotl(v: State, a: number, n: number): void {
  let hi = v[a]!;
  let lo = v[a + 1]!;
  if (n >= 32) {
    [hi, lo] = [lo, hi];
    n -= 32;
  }
  if (n === 0) {
    v[a] = hi;
    v[a + 1] = lo;
    return;
  }
  v[a] = ((hi << n) | (lo >>> (32 - n))) >>> 0;
  v[a + 1] = ((lo << n) | (hi >>> (32 - n))) >>> 0;
}

function xor(v: State, a: number, b: number): void {
  v[a] = (v[a]! ^ v[b]!) >>> 0;
  v[a + 1] = (v[a + 1]! ^ v[b + 1]!) >>> 0;
}

function swapHalves(v: State, a: number): void {
  const hi = v[a]!;
  v[a] = v[a + 1]!;
  v[a + 1] = hi;
}

const V0 = 0;
const V1 = 2;
const V2 = 4;
const V3 = 6;

function sipRound(v: State): void {
  add(v, V0, V1);
  rotl(v, V1, 13);
  xor(v, V1, V0);
  swapHalves(v, V0); // rotl(v0, 32)
  add(v, V2, V3);
  rotl(v, V3, 16);
  xor(v, V3, V2);
  add(v, V0, V3);
  rotl(v, V3, 21);
  xor(v, V3, V0);
  add(v, V2, V1);
  rotl(v, V1, 17);
  xor(v, V1, V2);
  swapHalves(v, V2); // rotl(v2, 32)
}

function xorWord(v: State, a: number, hi: number, lo: number): void {
  v[a] = (v[a]! ^ hi) >>> 0;
  v[a + 1] = (v[a + 1]! ^ lo) >>> 0;
}

/** SipHash-2-4 of `msg` under the 16-byte `key`. */
export function siphash24(key: Uint8Array, msg: Uint8Array): Buffer {
  if (key.length !== 16) throw new RangeError('SipHash needs a 16-byte key');
  const k = Buffer.from(key.buffer, key.byteOffset, 16);
  const k0lo = k.readUInt32LE(0);
  const k0hi = k.readUInt32LE(4);
  const k1lo = k.readUInt32LE(8);
  const k1hi = k.readUInt32LE(12);
  // "somepseudorandomlygeneratedbytes"
  const v: State = new Uint32Array([0x736f6d65 ^ k0hi, 0x70736575 ^ k0lo, 0x646f7261 ^ k1hi, 0x6e646f6d ^ k1lo, 0x6c796765 ^ k0hi, 0x6e657261 ^ k0lo, 0x74656462 ^ k1hi, 0x79746573 ^ k1lo]);
  const m = Buffer.from(msg.buffer, msg.byteOffset, msg.length);
  const whole = m.length - (m.length % 8);
  for (let i = 0; i < whole; i += 8) {
    const lo = m.readUInt32LE(i);
    const hi = m.readUInt32LE(i + 4);
    xorWord(v, V3, hi, lo);
    sipRound(v);
    sipRound(v);
    xorWord(v, V0, hi, lo);
  }
  // Last block: the remaining bytes, zero-padded, with the length (mod 256) in the top byte.
  const last = Buffer.alloc(8);
  m.copy(last, 0, whole);
  last[7] = m.length & 0xff;
  const lo = last.readUInt32LE(0);
  const hi = last.readUInt32LE(4);
  xorWord(v, V3, hi, lo);
  sipRound(v);
  sipRound(v);
  xorWord(v, V0, hi, lo);
  xorWord(v, V2, 0, 0xff);
  for (let r = 0; r < 4; r++) sipRound(v);
  const outHi = (v[0]! ^ v[2]! ^ v[4]! ^ v[6]!) >>> 0;
  const outLo = (v[1]! ^ v[3]! ^ v[5]! ^ v[7]!) >>> 0;
  const out = Buffer.allocUnsafe(8);
  out.writeUInt32LE(outLo, 0);
  out.writeUInt32LE(outHi, 4);
  return out;
}
