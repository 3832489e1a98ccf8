/**
 * Finished answers, keyed by (qname, qtype, DO, EDNS present), stored as encoded messages with a
 * zero ID. A hit is a copy plus two patches: the query's ID and its question bytes, so the
 * question's original case (0x20) is echoed exactly. Bounded by bytes with LRU eviction (a Map
 * keeps insertion order; a hit re-inserts). Invalidation follows the store's change events:
 * 'name' answers drop when their own name changes, 'zone' answers (denials, wildcards, apex) drop
 * on any change in their zone, and key changes drop the whole zone. An answer is also served for an
 * hour at most, and never within an hour of its first RRSIG's expiration.
 *
 * Admission: an answer is stored the second time its key is asked for within a window of recent
 * misses (a "doorkeeper", as in TinyLFU). Random-name floods and one-off positive queries — most of
 * a million-device zone — then never churn the cache or pay for inserting; hot names get in on
 * their second query.
 */
import type { CacheScope } from './answer-plan.js';
import type { RrlKey } from './rate-limit.js';

interface Entry {
  key: string;
  /** Served until this time (seconds): an hour at most, and an hour before its first RRSIG expires. */
  until: number;
  /** When it was stored (seconds); an entry from the clock's future is dropped. */
  made: number;
  qname: string;
  zone: string;
  scope: CacheScope;
  gen: number;
  bytes: Buffer;
  /** The answer's rate-limiting class (rate-limit.ts), when limiting is on. */
  rrl: RrlKey | undefined;
}

export interface AnswerCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  entries: number;
  bytes: number;
}

/**
 * Per-entry bookkeeping beyond the answer bytes, as V8 lays it out: the entry object, its key
 * string, the LRU Map slot, the per-name index Set and its Map slot, the Buffer object. Measured
 * on Node 20.20 (heap growth after GC over 100,000 inserts of device names): 594 bytes. Counting
 * it keeps the byte budget honest, so a 16 MiB cache costs about 16 MiB.
 */
const ENTRY_OVERHEAD = 600;

/**
 * How long an answer is served from the cache at most, and how long its signatures must still be
 * valid when it is. The store's events drop answers whose data or stored signatures changed; these
 * bounds cover signatures made at query time (apex keys, SOA, NSEC3), which no event renews: a zone
 * without writes or stored names would otherwise serve a cached RRSIG past its expiration.
 */
export const ANSWER_MAX_AGE_SECONDS = 3600;
export const SIGNATURE_MARGIN_SECONDS = 3600;

const wallClock = (): number => Math.floor(Date.now() / 1000);

export class AnswerCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byName = new Map<string, Set<string>>();
  private readonly zoneGen = new Map<string, number>();
  private readonly keyGen = new Map<string, number>();
  private used = 0;
  /** Keys missed recently; cleared when full (bounded memory, approximate recency). */
  private recentMisses = new Set<string>();
  private readonly doorkeeperSize: number;
  readonly stats: AnswerCacheStats = { hits: 0, misses: 0, evictions: 0, entries: 0, bytes: 0 };

  constructor(
    private readonly maxBytes: number,
    doorkeeperSize = 32768,
    private readonly clock: () => number = wallClock,
  ) {
    this.doorkeeperSize = doorkeeperSize;
  }

  /** `compactOk`: the query's CO flag (RFC 9824 §5.1), which the answer's OPT echoes and which can change its rcode. */
  static key(qname: string, qtype: number, dnssecOk: boolean, edns: boolean, compactOk = false): string {
    return `${qname}|${qtype}|${dnssecOk ? 1 : 0}${edns ? 1 : 0}${compactOk ? 1 : ''}`;
  }

  /** The cached message for `key`, or undefined. The caller must copy before patching. */
  get(key: string): Buffer | undefined {
    const e = this.entries.get(key);
    const now = this.clock();
    // `made > now`: the clock stepped back since; its signatures may not be valid yet.
    if (e === undefined || !this.isCurrent(e) || e.until <= now || e.made > now) {
      if (e !== undefined) this.remove(e);
      this.stats.misses++;
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, e);
    this.stats.hits++;
    return e.bytes;
  }

  /**
   * Offers an answer. `bytes` is kept as given (no copy): the caller must not modify it later.
   * `signaturesExpire` gives the earliest RRSIG expiration in it (asked only when it is stored).
   * Returns whether it was stored.
   */
  set(key: string, qname: string, zone: string, scope: CacheScope, bytes: Buffer, rrl?: RrlKey, signaturesExpire?: () => number): boolean {
    if (scope === 'none' || this.maxBytes <= 0) return false;
    if (!this.recentMisses.has(key)) {
      if (this.recentMisses.size >= this.doorkeeperSize) this.recentMisses = new Set();
      this.recentMisses.add(key);
      return false;
    }
    this.recentMisses.delete(key);
    const size = bytes.length + key.length + ENTRY_OVERHEAD;
    if (size > this.maxBytes / 4) return false;
    const now = this.clock();
    const until = Math.min(now + ANSWER_MAX_AGE_SECONDS, (signaturesExpire?.() ?? Infinity) - SIGNATURE_MARGIN_SECONDS);
    if (until <= now) return false;
    const old = this.entries.get(key);
    if (old !== undefined) this.remove(old);
    const gen = scope === 'zone' ? this.gen(this.zoneGen, zone) : this.gen(this.keyGen, zone);
    const e: Entry = { key, until, made: now, qname, zone, scope, gen, bytes, rrl };
    this.entries.set(key, e);
    let keys = this.byName.get(qname);
    if (keys === undefined) this.byName.set(qname, (keys = new Set()));
    keys.add(key);
    this.used += size;
    while (this.used > this.maxBytes) this.evictOldest();
    this.syncStats();
    return true;
  }

  /** The rate-limiting class stored with the answer under `key` (right after a hit). */
  rrlKeyOf(key: string): RrlKey | undefined {
    return this.entries.get(key)?.rrl;
  }

  /** A committed change in `zone` touching `names`. */
  onChange(zone: string, names: readonly string[]): void {
    this.zoneGen.set(zone, this.gen(this.zoneGen, zone) + 1);
    for (const n of names) this.dropName(n);
    this.syncStats();
  }

  /** Keys or zone settings changed, or the zone was deleted: nothing cached for it stays valid. */
  onZoneReset(zone: string): void {
    this.zoneGen.set(zone, this.gen(this.zoneGen, zone) + 1);
    this.keyGen.set(zone, this.gen(this.keyGen, zone) + 1);
  }

  clear(): void {
    this.entries.clear();
    this.byName.clear();
    this.used = 0;
    this.syncStats();
  }

  private isCurrent(e: Entry): boolean {
    const table = e.scope === 'zone' ? this.zoneGen : this.keyGen;
    return this.gen(table, e.zone) === e.gen;
  }

  private gen(table: Map<string, number>, zone: string): number {
    return table.get(zone) ?? 0;
  }

  private dropName(name: string): void {
    const keys = this.byName.get(name);
    if (keys === undefined) return;
    for (const k of keys) {
      const e = this.entries.get(k);
      if (e !== undefined) this.remove(e);
    }
  }

  private evictOldest(): void {
    const first = this.entries.values().next();
    if (first.done === true) {
      this.used = 0;
      return;
    }
    this.remove(first.value);
    this.stats.evictions++;
  }

  private remove(e: Entry): void {
    if (!this.entries.delete(e.key)) return;
    this.used -= e.bytes.length + e.key.length + ENTRY_OVERHEAD;
    const keys = this.byName.get(e.qname);
    if (keys !== undefined) {
      keys.delete(e.key);
      if (keys.size === 0) this.byName.delete(e.qname);
    }
  }

  private syncStats(): void {
    this.stats.entries = this.entries.size;
    this.stats.bytes = this.used;
  }
}
