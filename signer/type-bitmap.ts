/**
 * Type bit maps as NSEC3 (RFC 5155 §3.2.1) and NSEC (RFC 4034 §4.1.2) carry them: for each
 * non-empty 256-type window in increasing order, `window | length (1..32) | bitmap`, where type n
 * sets bit 0x80 >> (n mod 8) of byte floor(n/8) of its window and trailing zero bytes are dropped.
 * An empty type list encodes as zero bytes (an empty non-terminal or a white-lies cover).
 */
import { SignerError, SignerErrorCode } from './errors.js';

/** Encodes a set of RR types (duplicates and order do not matter). */
export function encodeTypeBitmap(types: Iterable<number>): Buffer {
  const sorted = [...new Set(types)].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let i = 0;
  while (i < sorted.length) {
    const window = sorted[i]! >>> 8;
    const block = Buffer.alloc(32);
    let len = 0;
    for (; i < sorted.length && sorted[i]! >>> 8 === window; i++) {
      const t = sorted[i]!;
      if (!Number.isInteger(t) || t < 0 || t > 0xffff) throw new SignerError(SignerErrorCode.INPUT, `type ${t} out of range`);
      const low = t & 0xff;
      block[low >>> 3]! |= 0x80 >>> (low & 7);
      len = (low >>> 3) + 1;
    }
    parts.push(Buffer.from([window, len]), block.subarray(0, len));
  }
  return Buffer.concat(parts);
}

/** Decodes a type bit map into sorted types; undefined when the encoding is malformed. */
export function decodeTypeBitmap(buf: Uint8Array): number[] | undefined {
  const out: number[] = [];
  let o = 0;
  let lastWindow = -1;
  while (o < buf.length) {
    if (o + 2 > buf.length) return undefined;
    const window = buf[o]!;
    const len = buf[o + 1]!;
    if (window <= lastWindow || len < 1 || len > 32 || o + 2 + len > buf.length) return undefined;
    for (let k = 0; k < len; k++) {
      const byte = buf[o + 2 + k]!;
      for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >>> bit)) out.push(window * 256 + k * 8 + bit);
    }
    lastWindow = window;
    o += 2 + len;
  }
  return out;
}
