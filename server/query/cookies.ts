/**
 * DNS Cookies (RFC 7873), with interoperable server cookies (RFC 9018). A query carrying a COOKIE
 * option gets one back: its client cookie and a fresh 16-byte server cookie = version 1, three
 * reserved zero bytes, a 32-bit timestamp and SipHash-2-4(client cookie | version | reserved |
 * timestamp | client IP) under the server secret. A later query that presents a server cookie the
 * server made for that client within the last hour (and not over five minutes ahead) proves its
 * source address: response rate limiting then leaves it alone (rate-limit.ts), as BIND does. An
 * invalid or foreign server cookie is answered normally with a fresh one (RFC 7873 §5.2.3); a
 * COOKIE option of an impossible length is a FORMERR (§5.2.2).
 */
import { isIPv4 } from 'node:net';
import { EdnsOptionCode, type EdnsOption } from '../wire/edns.js';
import { siphash24 } from '../wire/siphash.js';
import { ipv6Groups, mappedIpv4 } from './rate-limit.js';

export const CLIENT_COOKIE_BYTES = 8;
const SERVER_COOKIE_BYTES = 16;
const VERSION = 1;
/** RFC 9018 §4.3: a server cookie older than an hour, or over 5 minutes in the future, is invalid. */
const MAX_AGE_SECONDS = 3600;
const MAX_SKEW_SECONDS = 300;

export type CookieInput =
  | { kind: 'none' }
  | { kind: 'malformed' }
  | { kind: 'present'; client: Buffer; server: Buffer | undefined };

/** The COOKIE option of a query (the first, if several), judged by its length (RFC 7873 §4). */
export function readCookie(options: readonly EdnsOption[]): CookieInput {
  const o = options.find((x) => x.code === EdnsOptionCode.COOKIE);
  if (o === undefined) return { kind: 'none' };
  const n = o.data.length;
  if (n === CLIENT_COOKIE_BYTES) return { kind: 'present', client: o.data, server: undefined };
  // A server cookie is 8 to 32 bytes long.
  if (n >= CLIENT_COOKIE_BYTES + 8 && n <= CLIENT_COOKIE_BYTES + 32) return { kind: 'present', client: o.data.subarray(0, 8), server: o.data.subarray(8) };
  return { kind: 'malformed' };
}

export class ServerCookies {
  constructor(
    private readonly secret: Buffer,
    private readonly clock: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    if (secret.length !== 16) throw new RangeError('the DNS cookie secret must be 16 bytes');
  }

  /** The COOKIE option to send to `address`: its client cookie and a new server cookie. */
  optionFor(client: Buffer, address: string): EdnsOption {
    const data = Buffer.allocUnsafe(CLIENT_COOKIE_BYTES + SERVER_COOKIE_BYTES);
    client.copy(data, 0, 0, CLIENT_COOKIE_BYTES);
    this.serverCookie(client, address, this.clock() >>> 0).copy(data, CLIENT_COOKIE_BYTES);
    return { code: EdnsOptionCode.COOKIE, data };
  }

  /** True when `server` is a cookie this server made for this client cookie and address, in time. */
  isValid(client: Buffer, server: Buffer | undefined, address: string): boolean {
    if (server === undefined || server.length !== SERVER_COOKIE_BYTES || server[0] !== VERSION) return false;
    const stamp = server.readUInt32BE(4);
    // Serial number arithmetic (RFC 1982) on 32-bit seconds, so the check survives 2106.
    const age = ((this.clock() >>> 0) - stamp) | 0;
    if (age > MAX_AGE_SECONDS || age < -MAX_SKEW_SECONDS) return false;
    return this.serverCookie(client, address, stamp).equals(server);
  }

  private serverCookie(client: Buffer, address: string, stamp: number): Buffer {
    const ip = addressBytes(address);
    const input = Buffer.alloc(CLIENT_COOKIE_BYTES + 8 + ip.length);
    client.copy(input, 0, 0, CLIENT_COOKIE_BYTES);
    input[8] = VERSION;
    input.writeUInt32BE(stamp >>> 0, 12);
    ip.copy(input, 16);
    const out = Buffer.allocUnsafe(SERVER_COOKIE_BYTES);
    input.copy(out, 0, CLIENT_COOKIE_BYTES, CLIENT_COOKIE_BYTES + 8);
    siphash24(this.secret, input).copy(out, 8);
    return out;
  }
}

/** The client's address as RFC 9018 hashes it: 4 bytes for IPv4 (IPv4-mapped too), 16 for IPv6. */
export function addressBytes(address: string): Buffer {
  const v4 = mappedIpv4(address) ?? address;
  if (isIPv4(v4)) return Buffer.from(v4.split('.').map(Number));
  const groups = ipv6Groups(address);
  if (groups === undefined) return Buffer.from(address, 'utf8');
  const out = Buffer.allocUnsafe(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}
