/**
 * Response rate limiting (RRL) for UDP answers, the scheme BIND, Knot and NSD use (ISC TN-2012-1;
 * SPECS.md §6). A spoofed-source flood turns an authoritative server into an amplifier: a DO=1
 * denial here is ~10 times the size of its query. Answers are counted per client prefix (/24 IPv4,
 * /56 IPv6 by default) and per response class, each in a token bucket that refills at `rate` per
 * second up to one second's worth. Over the limit an answer is dropped, except every `slip`-th one,
 * which goes out empty with TC=1: a real client behind the prefix retries over TCP and is served
 * there (TCP is never limited: its source address is proven), a victim receives a packet no larger
 * than the query.
 *
 * The classes follow BIND's, so random names cannot spread a flood over many buckets:
 *   answer    keyed by question name and type
 *   nodata    keyed by question name (any type)
 *   nxdomain  keyed by the zone (every absent name of a zone shares one bucket)
 *   wildcard  keyed by the closest encloser the answer was synthesised from
 *   error     keyed by nothing but the prefix (FORMERR, REFUSED, SERVFAIL, ...); never slipped
 * The pipeline asks before it signs: a dropped denial never costs a signature.
 *
 * Memory is bounded: at most `maxBuckets` buckets (~110 bytes each), the least recently used
 * evicted first, so a flood from many sources costs a fixed table, not a growing one.
 */
import { randomInt } from 'node:crypto';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { addressBytes, writeAddress } from './client-address.js';

export interface RrlConfig {
  /** Answers per second per bucket; 0 turns limiting off. */
  rate: number;
  /** Every slip-th limited answer is sent empty with TC=1 instead of dropped (0: drop them all). */
  slip: number;
  ipv4PrefixLength: number;
  ipv6PrefixLength: number;
  maxBuckets: number;
  /** Addresses or CIDR prefixes never limited (monitoring, known resolvers). */
  exempt: readonly string[];
}

export const RRL_DEFAULTS: RrlConfig = { rate: 0, slip: 2, ipv4PrefixLength: 24, ipv6PrefixLength: 56, maxBuckets: 100_000, exempt: [] };

export const RrlClass = { ANSWER: 'answer', NODATA: 'nodata', NXDOMAIN: 'nxdomain', WILDCARD: 'wildcard', ERROR: 'error' } as const;
export type RrlClassName = (typeof RrlClass)[keyof typeof RrlClass];

/** What an answer is counted under: its class, the name that class keys on, and the type (answers only). */
export interface RrlKey {
  cls: RrlClassName;
  name: string;
  qtype: number;
}

export const RrlAction = { SEND: 0, SLIP: 1, DROP: 2 } as const;
export type RrlActionValue = (typeof RrlAction)[keyof typeof RrlAction];

export interface RrlStats {
  buckets: number;
  slipped: number;
  dropped: number;
}

interface Bucket {
  tokens: number;
  last: number;
  /** Answers limited so far (picks the slipped ones). */
  limited: number;
}

export class ResponseRateLimiter {
  /** By a 53-bit hash of the bucket's key: a number key keeps ~110 bytes per bucket, not ~400–730. */
  private readonly buckets = new Map<number, Bucket>();
  /** Per-process hash seeds, so nobody can compute colliding keys offline. */
  private readonly seed1 = randomInt(0x7fffffff);
  private readonly seed2 = randomInt(0x7fffffff);
  private readonly exempt: BlockList | undefined;
  private slipped = 0;
  private dropped = 0;

  constructor(
    private readonly cfg: RrlConfig,
    private readonly now: () => number = () => performance.now(),
  ) {
    const problems = checkRrlConfig(cfg);
    if (problems.length > 0) throw new Error(`response rate limiting: ${problems.join('; ')}`);
    if (cfg.exempt.length > 0) {
      this.exempt = new BlockList();
      for (const e of cfg.exempt) addExempt(this.exempt, e);
    }
  }

  /**
   * Whether an answer of class `cls` about `name` (already reduced to what the class keys on) and
   * `qtype` may go to `address`. Counts it either way.
   */
  check(address: string, cls: RrlClassName, name: string, qtype: number): RrlActionValue {
    if (this.exempt !== undefined && isExempt(this.exempt, address)) return RrlAction.SEND;
    const key = hash53(`${clientPrefix(address, this.cfg.ipv4PrefixLength, this.cfg.ipv6PrefixLength)}|${cls}|${name}|${qtype}`, this.seed1, this.seed2);
    const t = this.now();
    let b = this.buckets.get(key);
    if (b === undefined) {
      b = { tokens: this.cfg.rate, last: t, limited: 0 };
      if (this.buckets.size >= this.cfg.maxBuckets) this.buckets.delete(this.buckets.keys().next().value as number);
    } else {
      // Re-inserted so that the Map's insertion order is least recently used first.
      this.buckets.delete(key);
      b.tokens = Math.min(this.cfg.rate, b.tokens + ((t - b.last) / 1000) * this.cfg.rate);
      b.last = t;
    }
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return RrlAction.SEND;
    }
    b.limited++;
    // An error answer is no larger than its query: a slip would not be smaller, so none is sent.
    if (this.cfg.slip > 0 && cls !== RrlClass.ERROR && b.limited % this.cfg.slip === 0) {
      this.slipped++;
      return RrlAction.SLIP;
    }
    this.dropped++;
    return RrlAction.DROP;
  }

  get stats(): RrlStats {
    return { buckets: this.buckets.size, slipped: this.slipped, dropped: this.dropped };
  }
}

/**
 * A 53-bit hash of `s` (two seeded 32-bit multiply-xor lanes with a final mix), exact as a JS
 * number. Two keys that collide share a bucket, which only makes limiting stricter for them.
 */
function hash53(s: string, seed1: number, seed2: number): number {
  let a = 0x811c9dc5 ^ seed1;
  let b = 0x01000193 ^ seed2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b) ^ Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  b = Math.imul(b ^ (b >>> 16), 0x85ebca6b) ^ Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
  return (b & 0x1fffff) * 0x100000000 + (a >>> 0);
}

/** Everything wrong with a configuration, as sentences naming the setting (empty: fine). */
export function checkRrlConfig(cfg: RrlConfig): string[] {
  const problems: string[] = [];
  const int = (v: number, name: string, min: number, max: number): void => {
    if (!Number.isInteger(v) || v < min || v > max) problems.push(`${name} must be a whole number from ${min} to ${max}, got ${v}`);
  };
  int(cfg.rate, 'rate', 0, 1_000_000);
  int(cfg.slip, 'slip', 0, 10);
  int(cfg.ipv4PrefixLength, 'IPv4 prefix length', 8, 32);
  int(cfg.ipv6PrefixLength, 'IPv6 prefix length', 16, 128);
  int(cfg.maxBuckets, 'table size', 1, 10_000_000);
  for (const e of cfg.exempt) {
    try {
      addExempt(new BlockList(), e);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return problems;
}

function addExempt(list: BlockList, entry: string): void {
  const [addr, len, ...rest] = entry.split('/');
  const family = addr !== undefined && isIPv4(addr) ? 'ipv4' : addr !== undefined && isIPv6(addr) ? 'ipv6' : undefined;
  const max = family === 'ipv4' ? 32 : 128;
  const prefix = len === undefined ? max : Number(len);
  if (family === undefined || rest.length > 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max || (len !== undefined && !/^\d+$/.test(len))) {
    throw new Error(`exempt entry "${entry}" is not an IP address or CIDR prefix`);
  }
  list.addSubnet(addr!, prefix, family);
}

function isExempt(list: BlockList, address: string): boolean {
  const bytes = addressBytes(address);
  if (bytes.length === 4) return list.check(bytes.join('.'), 'ipv4');
  return isIPv6(address) && list.check(address, 'ipv6');
}

/** Parsed addresses, reused per call (clientPrefix runs on every limited query). */
const scratch = new Uint8Array(16);

/**
 * The client's network as a bucket key: the address with everything past the prefix length
 * cleared (IPv4-mapped IPv6 addresses count as IPv4). Unparseable text is its own key.
 */
export function clientPrefix(address: string, v4Length: number, v6Length: number): string {
  const n = writeAddress(address, scratch, 0);
  if (n === 0) return address;
  const bits = n === 4 ? v4Length : v6Length;
  for (let i = 0; i < n; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    scratch[i] = scratch[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  if (n === 4) return `${scratch[0]}.${scratch[1]}.${scratch[2]}.${scratch[3]}/${bits}`;
  let out = '';
  for (let i = 0; i < 8; i++) out += (i === 0 ? '' : ':') + ((scratch[2 * i]! << 8) | scratch[2 * i + 1]!).toString(16);
  return `${out}/${bits}`;
}
