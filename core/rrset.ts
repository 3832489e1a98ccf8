/**
 * RRsets as idzone holds them: a type, a TTL and RDATA in canonical wire form (RFC 4034 §6.2),
 * sorted in canonical order and free of duplicates (RFC 4034 §6.3), so that signing and answering
 * never re-encode or re-sort.
 */

export interface RrsetData {
  type: number;
  ttl: number;
  rdatas: Buffer[];
}

/** Sorts RDATA as unsigned octet strings (shorter prefix first) and drops duplicates. */
export function canonicalRdatas(rdatas: readonly Buffer[]): Buffer[] {
  // One RDATA is already in order: skip the copy and the sort (most identity names hold one).
  if (rdatas.length <= 1) return rdatas.slice();
  const sorted = [...rdatas].sort(Buffer.compare);
  const out: Buffer[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last === undefined || !last.equals(r)) out.push(r);
  }
  return out;
}

export function makeRrset(type: number, ttl: number, rdatas: readonly Buffer[]): RrsetData {
  return { type, ttl, rdatas: canonicalRdatas(rdatas) };
}

/** RFC 1982 serial arithmetic: the serial after `s`, skipping nothing (0 is a valid serial). */
export function nextSerial(s: number): number {
  return (s + 1) >>> 0;
}

/** RFC 1982 §3.2 comparison: negative when a < b, 0 when equal, positive when a > b. */
export function compareSerial(a: number, b: number): number {
  if (a === b) return 0;
  const d = (b - a) >>> 0;
  return d < 0x80000000 ? -1 : 1;
}
