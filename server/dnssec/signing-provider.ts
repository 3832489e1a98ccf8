/**
 * Query-time DNSSEC for the pipeline (server/query/zone-signing.ts). Per signed zone it loads the
 * keyring once (and again after a key event), then:
 *   - serves the signatures stored beside each name when they were made by the active ZSKs, carry
 *     the served TTL and have not expired; otherwise it signs now through the signature cache;
 *   - signs only what depends on the question (NSEC3 covers, compact-denial records) when asked,
 *     through the same bounded cache, so repeated proofs (the closest encloser's match, the
 *     wildcard cover, the SOA per serial) cost one signature each;
 *   - reports a zone whose keys cannot be loaded as unavailable (the pipeline answers SERVFAIL
 *     with an Extended DNS Error), retrying the key files after a short delay.
 */
import { RrType } from '../../core/rr-types.js';
import { nsec3CompactNxname, nsec3Cover, nsec3Match, nsec3Rdata, nsec3Hash, hashIncrement, nsec3OwnerName, nsec3Ttl } from '../../signer/nsec3.js';
import { storedSigsFresh } from '../../signer/rrsig.js';
import type { SignatureCache } from '../../signer/signature-cache.js';
import type { SigningPool } from '../../signer/signing-pool.js';
import type { ZoneSigner, ZoneSignerOptions } from '../../signer/zone-signer.js';
import type { ZoneInfo, ZoneReader } from '../../zone-store/types.js';
import type { LogFn } from '../log.js';
import type { DnssecProvider, SignedRrset, SigningUnavailable, ZoneSigning } from '../query/zone-signing.js';
import { loadKeyring, type ApexKeyRrsets } from './keyring.js';

export interface SigningProviderOptions {
  dataDir: string;
  reader: ZoneReader;
  cache: SignatureCache;
  clock: () => number;
  log: LogFn;
  signerOptions?: Omit<ZoneSignerOptions, 'cache' | 'clock'>;
  /** How long a failed key load is remembered before the files are read again. */
  retrySeconds?: number;
  /** Threads for the signature each denial needs (signing-pool.ts); without one, signing is inline. */
  pool?: SigningPool | undefined;
}

type Slot = { kind: 'ready'; signing: ZoneSigning } | { kind: 'failed'; reason: SigningUnavailable; at: number };

export class SigningProvider implements DnssecProvider {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly opts: SigningProviderOptions) {}

  forZone(zone: ZoneInfo): ZoneSigning | SigningUnavailable | undefined {
    if (!zone.settings.signed) return undefined;
    const slot = this.slots.get(zone.name);
    if (slot?.kind === 'ready') return slot.signing;
    if (slot?.kind === 'failed' && this.opts.clock() - slot.at < (this.opts.retrySeconds ?? 5)) return slot.reason;
    return this.load(zone);
  }

  invalidate(zone: string): void {
    this.slots.delete(zone);
  }

  private load(zone: ZoneInfo): ZoneSigning | SigningUnavailable {
    const keys = this.opts.reader.listKeys(zone);
    const ring = loadKeyring(this.opts.dataDir, zone, keys, { ...this.opts.signerOptions, cache: this.opts.cache, clock: this.opts.clock });
    if (!ring.ok) {
      const reason = { unavailable: ring.reason };
      // No key records at all: a zone being created (see KeyService.loadZone), not a key fault.
      if (keys.length === 0) this.opts.log('info', 'signed zone has no keys yet; DO=1 queries for it get SERVFAIL until they exist', { zone: zone.name });
      else this.opts.log('error', 'cannot load DNSSEC keys; DO=1 queries for the zone get SERVFAIL', { zone: zone.name, reason: ring.reason });
      this.slots.set(zone.name, { kind: 'failed', reason, at: this.opts.clock() });
      return reason;
    }
    const signing = new LoadedZoneSigning(zone, ring.signer, ring.apex, this.opts.clock, this.opts.pool);
    this.slots.set(zone.name, { kind: 'ready', signing });
    return signing;
  }
}

/** Entries of the per-zone proof memo; cleared when full. */
const MEMO_LIMIT = 4096;
/** Prepared denial signatures waiting for their answer (normally taken within milliseconds). */
const PREPARED_LIMIT = 16384;
/** A memoised signature is used for at most this long, far inside its validity. */
const MEMO_SECONDS = 3600;

/** A denial record whose signatures were made on the signing pool, for `uses` more answers. */
interface Prepared {
  rec: { owner: string; rdata: Buffer };
  sigs: Buffer[];
  uses: number;
}

/** A denial record being signed on the pool, and how many answers wait for it. */
interface Preparing {
  done: Promise<void>;
  waiters: number;
}

interface Memo {
  value: SignedRrset;
  until: number;
  /** When it was made; one from the clock's future (the clock stepped back) is made again. */
  made: number;
}

class LoadedZoneSigning implements ZoneSigning {
  private readonly zskTags: Set<number>;
  /**
   * Signed records every denial repeats — the closest encloser's match, the wildcard cover at
   * it, the SOA RRSIG per serial — kept by name so a query does not rebuild their wire form and
   * hash a cache key for each. Random next-closer covers never enter (they are one-offs).
   */
  private memo = new Map<string, Memo>();
  private readonly nsec3Ttl: number;
  private readonly apexTtl: number;
  /**
   * Signatures made on the pool for one question's denial record, keyed by `c|<next closer>` or
   * `x|<qname>`, taken (once) by the plan built when they are ready; and the ones in flight, so
   * concurrent identical questions share one signing.
   */
  private prepared = new Map<string, Prepared>();
  private readonly preparing = new Map<string, Preparing>();

  constructor(
    private readonly zone: ZoneInfo,
    private readonly signer: ZoneSigner,
    private readonly apexKeys: ApexKeyRrsets,
    private readonly clock: () => number,
    private readonly pool?: SigningPool,
  ) {
    this.zskTags = new Set(signer.keys.zsks.map((k) => k.keyTag));
    this.nsec3Ttl = nsec3Ttl(zone.settings);
    this.apexTtl = zone.settings.soaTtl;
  }

  now(): number {
    return this.clock();
  }

  rrsetSigs(owner: string, type: number, ttl: number, rdatas: Buffer[], stored: Buffer[]): Buffer[] {
    if (this.storedUsable(stored, ttl)) return stored;
    if (type === RrType.SOA && owner === this.zone.name && rdatas.length === 1) {
      // One SOA per serial: memoised by its RDATA bytes (serial included).
      const key = `soa|${ttl}|${rdatas[0]!.toString('latin1')}`;
      return this.remember(key, () => ({ owner, type, ttl, rdatas, sigs: this.signer.signRrsetNow(owner, type, ttl, rdatas) })).sigs;
    }
    return this.signer.signRrsetNow(owner, type, ttl, rdatas);
  }

  signSynthesized(owner: string, type: number, ttl: number, rdatas: Buffer[]): Buffer[] {
    return this.signer.signRrsetNow(owner, type, ttl, rdatas);
  }

  apexRrsets(): SignedRrset[] {
    const apex = this.zone.name;
    const a = this.apexKeys;
    const out: SignedRrset[] = [{ owner: apex, type: RrType.DNSKEY, ttl: this.apexTtl, rdatas: a.dnskey, sigs: this.signer.signDnskeySet(a.dnskey, this.apexTtl) }];
    out.push({ owner: apex, type: RrType.NSEC3PARAM, ttl: this.nsec3Ttl, rdatas: a.nsec3param, sigs: this.signer.signApexRrset(RrType.NSEC3PARAM, this.nsec3Ttl, a.nsec3param) });
    if (a.cds.length > 0) out.push({ owner: apex, type: RrType.CDS, ttl: this.apexTtl, rdatas: a.cds, sigs: this.signer.signApexRrset(RrType.CDS, this.apexTtl, a.cds) });
    if (a.cdnskey.length > 0) out.push({ owner: apex, type: RrType.CDNSKEY, ttl: this.apexTtl, rdatas: a.cdnskey, sigs: this.signer.signApexRrset(RrType.CDNSKEY, this.apexTtl, a.cdnskey) });
    return out;
  }

  nsec3Match(name: string, types: number[], stored: Buffer[]): SignedRrset {
    if (this.storedUsable(stored, this.nsec3Ttl)) return this.signed(nsec3Match(this.zone.name, name, types), stored);
    return this.remember(`m|${name}|${types.join(',')}`, () => this.signed(nsec3Match(this.zone.name, name, types), []));
  }

  nsec3Cover(name: string): SignedRrset {
    // Wildcard covers (`*.<encloser>`) recur on every denial below their encloser; next-closer
    // covers of random names do not, and go straight to the signer (or were prepared on the pool).
    if (name.startsWith('*.')) return this.remember(`c|${name}`, () => this.signed(nsec3Cover(this.zone.name, name), []));
    return this.preparedOr(`c|${name}`, () => nsec3Cover(this.zone.name, name));
  }

  prepareDenial(qname: string, nextCloser: string, kind: 'nxdomain' | 'wildcard'): Promise<void> | undefined {
    const pool = this.pool;
    if (pool === undefined || !pool.available) return undefined;
    const compact = this.zone.settings.denial === 'compact';
    // Compact wildcard answers sign the expansion itself; those stay inline.
    if (compact && kind === 'wildcard') return undefined;
    const key = compact ? `x|${qname}` : `c|${nextCloser}`;
    const ready = this.prepared.get(key);
    if (ready !== undefined) {
      ready.uses++;
      return Promise.resolve();
    }
    const inFlight = this.preparing.get(key);
    if (inFlight !== undefined) {
      inFlight.waiters++;
      return inFlight.done;
    }
    const rec = compact ? nsec3CompactNxname(this.zone.name, qname) : nsec3Cover(this.zone.name, nextCloser);
    const sigs = this.signer.signRrsetOnPool(pool, rec.owner, RrType.NSEC3, this.nsec3Ttl, [rec.rdata]);
    if (sigs === undefined) return undefined;
    const entry: Preparing = { done: Promise.resolve(), waiters: 1 };
    entry.done = sigs.then(
      (s) => {
        this.preparing.delete(key);
        if (this.prepared.size >= PREPARED_LIMIT) this.prepared = new Map();
        this.prepared.set(key, { rec, sigs: s, uses: entry.waiters });
      },
      () => {
        this.preparing.delete(key);
      },
    );
    this.preparing.set(key, entry);
    return entry.done;
  }

  /**
   * The record prepared for `key` with its signatures (kept until every answer that waited for it
   * took it), else `make()` signed now.
   */
  private preparedOr(key: string, make: () => { owner: string; rdata: Buffer }): SignedRrset {
    const ready = this.prepared.get(key);
    if (ready === undefined) return this.signed(make(), []);
    if (--ready.uses <= 0) this.prepared.delete(key);
    return this.signed(ready.rec, ready.sigs);
  }

  private remember(key: string, make: () => SignedRrset): SignedRrset {
    const now = this.clock();
    const hit = this.memo.get(key);
    if (hit !== undefined && hit.until > now && hit.made <= now) return hit.value;
    const value = make();
    if (this.memo.size >= MEMO_LIMIT) this.memo = new Map();
    this.memo.set(key, { value, until: now + MEMO_SECONDS, made: now });
    return value;
  }

  nsec3Compact(name: string, types: number[] | undefined): SignedRrset {
    if (types === undefined) return this.preparedOr(`x|${name}`, () => nsec3CompactNxname(this.zone.name, name));
    // RFC 9824 §3.2: NODATA at an existing (or wildcard-covered) name shows its real types.
    const h = nsec3Hash(name);
    const bitmap = types.length > 0 ? [...types, RrType.RRSIG] : [];
    return this.signed({ owner: nsec3OwnerName(this.zone.name, h), rdata: nsec3Rdata(hashIncrement(h), bitmap) }, []);
  }

  private signed(rec: { owner: string; rdata: Buffer }, stored: Buffer[]): SignedRrset {
    const rdatas = [rec.rdata];
    const sigs = this.storedUsable(stored, this.nsec3Ttl) ? stored : this.signer.signRrsetNow(rec.owner, RrType.NSEC3, this.nsec3Ttl, rdatas);
    return { owner: rec.owner, type: RrType.NSEC3, ttl: this.nsec3Ttl, rdatas, sigs };
  }

  /** Stored signatures are served when there is one per active ZSK, unexpired, for this TTL. */
  private storedUsable(stored: readonly Buffer[], ttl: number): boolean {
    // Served until they expire; the re-signer replaces them well before (refresh fraction 0).
    return storedSigsFresh(stored, this.zskTags, this.clock(), ttl, 0);
  }
}
