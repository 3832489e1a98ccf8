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
import { EdnsOptionCode, type EdnsOption } from '../wire/edns.js';
import { siphash24 } from '../wire/siphash.js';
import { writeAddress } from './client-address.js';

/** RFC 9018 hashes the client's address as 4 bytes (IPv4) or 16 (IPv6): client-address.ts. */
export { addressBytes } from './client-address.js';

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
