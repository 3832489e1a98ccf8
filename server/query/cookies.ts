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
/** A valid server cookie younger than this is sent back as it came (RFC 9018 §4.3). */
const REUSE_SECONDS = 1800;

export type CookieInput =
  | { kind: 'none' }
  | { kind: 'malformed' }
  | { kind: 'present'; client: Buffer; server: Buffer | undefined; data: Buffer };

/** The COOKIE option of a query (the first, if several), judged by its length (RFC 7873 §4). */
export function readCookie(options: readonly EdnsOption[]): CookieInput {
  const o = options.find((x) => x.code === EdnsOptionCode.COOKIE);
  if (o === undefined) return { kind: 'none' };
  const n = o.data.length;
  if (n === CLIENT_COOKIE_BYTES) return { kind: 'present', client: o.data, server: undefined, data: o.data };
  // A server cookie is 8 to 32 bytes long.
  if (n >= CLIENT_COOKIE_BYTES + 8 && n <= CLIENT_COOKIE_BYTES + 32) return { kind: 'present', client: o.data.subarray(0, 8), server: o.data.subarray(8), data: o.data };
  return { kind: 'malformed' };
}

export class ServerCookies {
  /** Hash input: client cookie (8) | version (1) | reserved (3) | timestamp (4) | address (4 or 16). */
  private readonly input = Buffer.alloc(CLIENT_COOKIE_BYTES + 8 + 16);
  private readonly scratch = Buffer.alloc(SERVER_COOKIE_BYTES);

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
    this.serverCookie(client, address, this.clock() >>> 0, data, CLIENT_COOKIE_BYTES);
    return { code: EdnsOptionCode.COOKIE, data };
  }

  /** True when `server` is a cookie this server made for this client cookie and address, in time. */
  isValid(client: Buffer, server: Buffer | undefined, address: string): boolean {
    return this.ageOf(client, server, address) !== undefined;
  }

  /**
   * The COOKIE option to answer a query with: the one it sent when its server cookie is ours and
   * less than half an hour old (RFC 9018 §4.3 lets a server keep it), else a new one; and whether
   * the server cookie proved the client's address.
   */
  answerOption(client: Buffer, server: Buffer | undefined, address: string, sent: Buffer): { option: EdnsOption; proven: boolean } {
    const age = this.ageOf(client, server, address);
    if (age !== undefined && age < REUSE_SECONDS) return { option: { code: EdnsOptionCode.COOKIE, data: sent }, proven: true };
    return { option: this.optionFor(client, address), proven: age !== undefined };
  }

  /** Seconds since `server` was made, when it is a valid cookie of ours for this client; else undefined. */
  private ageOf(client: Buffer, server: Buffer | undefined, address: string): number | undefined {
    if (server === undefined || server.length !== SERVER_COOKIE_BYTES || server[0] !== VERSION) return undefined;
    const stamp = server.readUInt32BE(4);
    // Serial number arithmetic (RFC 1982) on 32-bit seconds, so the check survives 2106.
    const age = ((this.clock() >>> 0) - stamp) | 0;
    if (age > MAX_AGE_SECONDS || age < -MAX_SKEW_SECONDS) return undefined;
    this.serverCookie(client, address, stamp, this.scratch, 0);
    return this.scratch.equals(server) ? age : undefined;
  }

  /** Writes the 16-byte server cookie for (client, address, stamp) into `out` at `at`. */
  private serverCookie(client: Buffer, address: string, stamp: number, out: Buffer, at: number): void {
    const input = this.input;
    client.copy(input, 0, 0, CLIENT_COOKIE_BYTES);
    input.writeUInt32BE(VERSION << 24, 8); // version, reserved
    input.writeUInt32BE(stamp >>> 0, 12);
    const ipLength = writeAddress(address, input, 16);
    input.copy(out, at, CLIENT_COOKIE_BYTES, CLIENT_COOKIE_BYTES + 8);
    siphash24(this.secret, input, 16 + ipLength).copy(out, at + 8);
  }
}

/** Writes the address as RFC 9018 hashes it into `out` at `at`; returns its length (4 or 16). */
function writeAddress(address: string, out: Buffer, at: number): number {
  // The common case without allocating: dotted IPv4.
  let octet = 0;
  let n = 0;
  let digits = 0;
  for (let i = 0; i <= address.length; i++) {
    const c = i < address.length ? address.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57 && digits < 3) {
      octet = octet * 10 + c - 48;
      digits++;
    } else if (c === 46 && digits > 0 && octet <= 255 && n < 4) {
      out[at + n++] = octet;
      octet = 0;
      digits = 0;
    } else {
      n = -1;
      break;
    }
  }
  if (n === 4) return 4;
  const bytes = addressBytes(address);
  bytes.copy(out, at);
  return bytes.length;
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
