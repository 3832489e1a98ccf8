/**
 * A client's address as bytes: 4 for IPv4 (IPv4-mapped IPv6 addresses count as IPv4), 16 for
 * IPv6 (a zone index is ignored). The one parser behind rate-limit buckets (rate-limit.ts) and
 * DNS server cookies (cookies.ts); the dotted IPv4 form every UDP query from an IPv4 client has
 * is read without allocating.
 */
import { isIPv6 } from 'node:net';

/** Writes the address into `out` at `at`; returns its length (4 or 16), or 0 when it does not parse. */
export function writeAddress(address: string, out: Uint8Array, at: number): number {
  if (writeDottedIpv4(address, 0, out, at)) return 4;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return writeDottedIpv4(mapped[1]!, 0, out, at) ? 4 : 0;
  const groups = ipv6Groups(address);
  if (groups === undefined) return 0;
  for (let i = 0; i < 8; i++) {
    out[at + 2 * i] = groups[i]! >>> 8;
    out[at + 2 * i + 1] = groups[i]! & 0xff;
  }
  return 16;
}

/** The address bytes (see writeAddress); empty when it does not parse. */
export function addressBytes(address: string): Buffer {
  const out = Buffer.alloc(16);
  return out.subarray(0, writeAddress(address, out, 0));
}

/** Writes a dotted-quad IPv4 address starting at `from`; false (nothing reliable written) if it is not one. */
function writeDottedIpv4(s: string, from: number, out: Uint8Array, at: number): boolean {
  let octet = 0;
  let n = 0;
  let digits = 0;
  for (let i = from; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57 && digits < 3) {
      octet = octet * 10 + c - 48;
      digits++;
    } else if (c === 46 && digits > 0 && octet <= 255 && n < 4) {
      out[at + n++] = octet;
      octet = 0;
      digits = 0;
    } else return false;
  }
  return n === 4;
}

/** The eight 16-bit groups of an IPv6 address (zone index ignored), or undefined. */
function ipv6Groups(address: string): number[] | undefined {
  const a = address.split('%')[0]!;
  if (!isIPv6(a)) return undefined;
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const parse = (s: string | undefined): number[] => {
    if (s === undefined || s === '') return [];
    const out: number[] = [];
    for (const part of s.split(':')) {
      if (part.includes('.')) {
        const p = part.split('.').map(Number);
        out.push((p[0]! << 8) | p[1]!, (p[2]! << 8) | p[3]!);
      } else out.push(parseInt(part, 16));
    }
    return out;
  };
  const h = parse(head);
  const t = parse(tail);
  if (tail === undefined) return h.length === 8 ? h : undefined;
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}
