/**
 * Type bit maps as NSEC3 (RFC 5155 §3.2.1) and NSEC (RFC 4034 §4.1.2) carry them: for each
 * non-empty 256-type window in increasing order, `window | length (1..32) | bitmap`, where type n
 * sets bit 0x80 >> (n mod 8) of byte floor(n/8) of its window and trailing zero bytes are dropped.
 * An empty type list encodes as zero bytes (an empty non-terminal or a white-lies cover).
 */
import { SignerError, SignerErrorCode } from './errors.js';

/**
 * Encodes a set of RR types (duplicates and order do not matter). Runs for the NSEC3 of every
 * denial and NODATA answer, so it sorts a copy in place and writes one buffer.
 */
export function encodeTypeBitmap(types: Iterable<number>): Buffer {
  const sorted = Array.isArray(types) ? (types as number[]).slice() : [...types];
  for (const t of sorted) {
    if (!Number.isInteger(t) || t < 0 || t > 0xffff) throw new SignerError(SignerErrorCode.INPUT, `type ${t} out of range`);
  }
  sorted.sort((a, b) => a - b);
  // Size: per window, 2 octets plus up to the byte of its highest type.
  let size = 0;
  for (let i = 0; i < sorted.length; i++) {
    const last = i + 1 === sorted.length || sorted[i + 1]! >>> 8 !== sorted[i]! >>> 8;
    if (last) size += 2 + ((sorted[i]! & 0xff) >>> 3) + 1;
  }
  const out = Buffer.alloc(size);
  let o = 0;
  let i = 0;
  while (i < sorted.length) {
    const window = sorted[i]! >>> 8;
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1]! >>> 8 === window) j++;
    const len = ((sorted[j]! & 0xff) >>> 3) + 1;
    out[o] = window;
    out[o + 1] = len;
    for (; i <= j; i++) {
      const low = sorted[i]! & 0xff;
      out[o + 2 + (low >>> 3)]! |= 0x80 >>> (low & 7);
    }
    o += 2 + len;
  }
  return out;
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
