/**
 * SHA-1 (FIPS 180-4 §6.1) for the short inputs NSEC3 hashes: an owner name in canonical wire form,
 * at most 255 octets plus a salt. node:crypto's one-shot hash costs ~2.7 µs per call here (an
 * OpenSSL EVP context per call), this ~0.5 µs, and every NXDOMAIN and NODATA answer hashes one to
 * three names (bench/README.md, "Query path"). Checked against node:crypto on every length from 0
 * to 600 octets and by the RFC 5155 Appendix A vectors (test/unit/signer). SHA-1 here names a
 * position on the NSEC3 ring, as RFC 5155 requires; nothing relies on its collision resistance.
 */

const W = new Int32Array(80);
let block = new Uint8Array(320);

export function sha1(data: Uint8Array): Buffer {
  const len = data.length;
  // Message, 0x80, zero padding, 64-bit big-endian bit length: a whole number of 64-octet blocks.
  const padded = (len + 9 + 63) & ~63;
  if (block.length < padded) block = new Uint8Array(padded);
  const m = block;
  m.set(data, 0);
  m[len] = 0x80;
  m.fill(0, len + 1, padded);
  const bits = len * 8;
  m[padded - 4] = bits >>> 24;
  m[padded - 3] = (bits >>> 16) & 0xff;
  m[padded - 2] = (bits >>> 8) & 0xff;
  m[padded - 1] = bits & 0xff;
  m[padded - 5] = Math.floor(bits / 0x100000000) & 0xff;

  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  for (let off = 0; off < padded; off += 64) {
    for (let t = 0; t < 16; t++) {
      const i = off + t * 4;
      W[t] = (m[i]! << 24) | (m[i + 1]! << 16) | (m[i + 2]! << 8) | m[i + 3]!;
    }
    for (let t = 16; t < 80; t++) {
      const x = W[t - 3]! ^ W[t - 8]! ^ W[t - 14]! ^ W[t - 16]!;
      W[t] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    let t = 0;
    for (; t < 20; t++) {
      const temp = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + W[t]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = temp;
    }
    for (; t < 40; t++) {
      const temp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + W[t]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = temp;
    }
    for (; t < 60; t++) {
      const temp = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e - 0x70e44324 + W[t]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = temp;
    }
    for (; t < 80; t++) {
      const temp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e - 0x359d3e2a + W[t]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = temp;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  const out = Buffer.allocUnsafe(20);
  out.writeInt32BE(h0, 0);
  out.writeInt32BE(h1, 4);
  out.writeInt32BE(h2, 8);
  out.writeInt32BE(h3, 12);
  out.writeInt32BE(h4, 16);
  return out;
}
