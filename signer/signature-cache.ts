/**
 * A bounded LRU of RRSIG RDATA made at query time (denial spans, the closest encloser's and the
 * wildcard's NSEC3 records, the SOA and other apex RRsets), sized by bytes. Keys are SHA-256
 * digests of wire bytes the caller supplies (the canonical RRset wire plus the signing key's
 * identity, see signatureCacheKey) — never presentation text, which has several spellings for the
 * same data. The key leaves out the validity window on purpose: a cached signature stays usable
 * across window buckets until less than 25 % of its validity remains (STYLE.md), then it counts
 * as a miss and is re-signed. Changed content or a new key gives a new key, so no invalidation is
 * needed for correctness; stale entries age out of the LRU.
 *
 * In-flight de-duplication (CoreDNS plugin/dnssec/cache.go) is not needed here: signing is
 * synchronous on the thread that answers, so between a miss and the store of its result no other
 * lookup can run, and two requests can never sign the same data at once. If signing moves to
 * worker threads, getOrSign becomes async and keeps a Map<key, Promise<Buffer>> of signings in
 * flight: a miss first looks there and awaits the pending promise, otherwise it starts the signing,
 * records the promise, and deletes it when it settles (on failure too).
 */
import { createHash } from 'node:crypto';
import { rrsigWindow } from './rrsig.js';
import { DEFAULT_VALIDITY, isDueForRefresh } from './validity.js';
import type { SigningKey } from './keys.js';

export interface SignatureCacheOptions {
  /** Upper bound on the bytes held (keys, values and a fixed per-entry overhead). */
  maxBytes: number;
  /** Current Unix time in seconds (tests inject a clock). */
  clock: () => number;
  /** Entries with less than this fraction of validity left are misses (default 0.25). */
  refreshFraction?: number;
  /**
   * Store a signature only when its key missed before within a window of this many recent
   * misses (a doorkeeper). Query-time NSEC3 covers of random names are almost never asked twice;
   * without admission a flood of them would fill the cache and evict the signatures that are
   * reused on every query (closest-encloser matches, wildcard covers, SOA, DNSKEY). 0 = off.
   */
  admissionWindow?: number;
}

export interface SignatureCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  entries: number;
  bytes: number;
}

/**
 * The admission window every serving process uses (server/main.ts, server/worker-main.ts): recent
 * misses remembered, so a signature is kept from its second request within that many misses.
 */
export const SERVER_ADMISSION_WINDOW = 65536;

/** Rough cost of a Map entry, its key string and the Buffer object beyond the payload. */
const ENTRY_OVERHEAD = 160;

interface Entry {
  value: Buffer;
  inception: number;
  expiration: number;
  size: number;
}

export class SignatureCache {
  readonly #maxBytes: number;
  readonly #clock: () => number;
  readonly #refreshFraction: number;
  readonly #map = new Map<string, Entry>();
  readonly #admissionWindow: number;
  #recentMisses = new Set<string>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(opts: SignatureCacheOptions) {
    this.#maxBytes = Math.max(0, Math.floor(opts.maxBytes));
    this.#clock = opts.clock;
    this.#refreshFraction = opts.refreshFraction ?? DEFAULT_VALIDITY.refreshFraction;
    this.#admissionWindow = Math.max(0, Math.floor(opts.admissionWindow ?? 0));
  }

  /** Returns the cached RRSIG for `keyBytes` if still fresh, else calls `sign` and caches its result. */
  getOrSign(keyBytes: Uint8Array, sign: () => Buffer): Buffer {
    const key = createHash('sha256').update(keyBytes).digest('base64');
    const hit = this.#map.get(key);
    if (hit !== undefined) {
      this.#map.delete(key);
      if (!isDueForRefresh(hit, this.#clock(), this.#refreshFraction)) {
        this.#map.set(key, hit); // move to the most-recently-used end
        this.#hits++;
        return hit.value;
      }
      this.#bytes -= hit.size;
    }
    this.#misses++;
    const value = sign();
    if (this.#admit(key, hit !== undefined)) this.#store(key, value);
    return value;
  }

  /** True when the signature for `key` should be stored (always without an admission window). */
  #admit(key: string, wasCached: boolean): boolean {
    if (this.#admissionWindow === 0 || wasCached) return true;
    if (this.#recentMisses.delete(key)) return true;
    if (this.#recentMisses.size >= this.#admissionWindow) this.#recentMisses = new Set();
    this.#recentMisses.add(key);
    return false;
  }

  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }

  get stats(): SignatureCacheStats {
    return { hits: this.#hits, misses: this.#misses, evictions: this.#evictions, entries: this.#map.size, bytes: this.#bytes };
  }

  #store(key: string, value: Buffer): void {
    const window = rrsigWindow(value);
    const size = ENTRY_OVERHEAD + key.length * 2 + value.length;
    if (window === undefined || size > this.#maxBytes) return;
    this.#map.set(key, { value, inception: window.inception, expiration: window.expiration, size });
    this.#bytes += size;
    for (const [oldKey, old] of this.#map) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#map.delete(oldKey);
      this.#bytes -= old.size;
      this.#evictions++;
    }
  }
}

/**
 * Cache key bytes for one signature: the canonical RR wire of the RRset (owner, type, class,
 * original TTL and every RDATA), the signer name's wire form, and the signing key's algorithm and
 * tag plus its DNSKEY RDATA (key tags collide, RFC 4034 App. B).
 */
export function signatureCacheKey(rrsetWire: Buffer, signerWire: Buffer, key: SigningKey): Buffer {
  const id = Buffer.allocUnsafe(3);
  id.writeUInt16BE(key.keyTag, 0);
  id[2] = key.algorithm;
  return Buffer.concat([id, key.dnskeyRdata, signerWire, rrsetWire]);
}
