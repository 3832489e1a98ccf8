/**
 * NS RDATA (RFC 1035 §3.3.11): one domain name, written uncompressed and canonical (RFC 4034 §6.2;
 * RFC 3597 §4 allows compression of NS RDATA, but uncompressed bytes are what RRSIGs cover and what
 * the store holds). Also the reader of uncompressed names inside stored RDATA.
 */
import { MAX_NAME_WIRE, nameFromWireLabels, nameToWire } from '../../core/names.js';

export function encodeNs(nsdname: string): Buffer {
  return nameToWire(nsdname);
}

/** Decodes NS RDATA that holds exactly one uncompressed name; undefined if malformed. */
export function decodeNs(rdata: Uint8Array): string | undefined {
  const n = readUncompressedName(rdata, 0);
  if (n === undefined || n.end !== rdata.length) return undefined;
  return nameFromWireLabels(n.labels);
}

/** Reads an uncompressed name at `offset`; undefined on pointers, bad labels or overrun. */
export function readUncompressedName(data: Uint8Array, offset: number): { labels: Uint8Array[]; end: number } | undefined {
  const labels: Uint8Array[] = [];
  let pos = offset;
  let wire = 1;
  while (pos < data.length) {
    const len = data[pos]!;
    if (len === 0) return { labels, end: pos + 1 };
    if (len > 63 || pos + 1 + len > data.length) return undefined;
    wire += len + 1;
    if (wire > MAX_NAME_WIRE) return undefined;
    labels.push(data.subarray(pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return undefined;
}
