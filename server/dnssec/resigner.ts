/**
 * Background re-signing (ARCHITECTURE.md "sign what is known when it is written"). Stored
 * signatures are replaced before they expire (once less than 25 % of their validity remains), and
 * after a ZSK change every stored signature made by a key that no longer signs is re-made. Nodes
 * written without signatures (bulk imports that defer signing) are signed here too.
 *
 * A pass walks every stored node of a zone, empty non-terminals included, shard by shard
 * (store.scanNodes: no cross-shard merge), checks each node's signatures, re-signs the nodes that
 * need it and stores them without a serial bump (signatures are not zone content for transfers:
 * secondaries sign themselves). Each page is read, signed and written in one synchronous step, so
 * no API write can interleave with it and be overwritten. Between pages the pass sleeps long
 * enough to stay within its duty cycle (default a quarter of one core), so a pass over a million
 * names at start-up or after a ZSK change never starves the queries (measured: an unthrottled
 * pass cut positive DO=1 answers to a few thousand per second while it ran).
 *
 * Each zone gets a pass every interval (default an hour). A finished pass is recorded in the store
 * (when, and with which ZSKs); the store forgets that record on any write that stores names
 * unsigned, any key or settings change. A restarted server that finds a record made with the
 * current ZSKs less than an interval ago schedules the zone's next pass from it instead of walking
 * every name again at start-up. This is safe because every stored signature had at least a
 * quarter of its validity left when the pass checked it, and everything written since was signed
 * when written: the same guarantee a server that never stopped gives between two passes.
 */
import { nsec3Ttl } from '../../signer/nsec3.js';
import { storedSigsFresh } from '../../signer/rrsig.js';
import type { ZoneSigner } from '../../signer/zone-signer.js';
import type { ScanCursor, StoredNode, ZoneInfo, ZoneWriter } from '../../zone-store/types.js';
import type { LogFn } from '../log.js';

export interface ResignerOptions {
  store: ZoneWriter;
  signerFor: (zone: string) => ZoneSigner | undefined;
  clock: () => number;
  log: LogFn;
  /** Names read and checked per page. */
  pageSize?: number;
  /** Seconds between routine passes over every signed zone. */
  intervalSeconds?: number;
  /** Called with the number of signatures each re-signed page made (metrics). */
  onSigned?: (count: number) => void;
  /** Largest share of one core a background pass may use (0 < d ≤ 1). */
  dutyCycle?: number;
  /** Delay after start() before the first pass of a zone with no usable record (default 1 s). */
  startDelayMs?: number;
}

interface Pass {
  zone: string;
  cursor: ScanCursor | undefined;
  done: boolean;
  scanned: number;
  resigned: number;
  started: number;
  aborted: boolean;
  /** The zone's request count when the pass began. */
  requests: number;
}

/** Delay before a failed pass is tried again. */
const RETRY_MS = 60_000;

/** How long after the last bulk-import batch background passes keep waiting. */
const BULK_QUIET_MS = 500;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface PassReport {
  zone: string;
  scanned: number;
  resigned: number;
  seconds: number;
}

export class Resigner {
  private readonly completed = new Map<string, number>();
  /** Zones waiting for a pass, each with the performance.now() time from which it is due. */
  private readonly due = new Map<string, number>();
  /** Requests per zone so far: a pass that saw one arrive while it ran is not recorded as complete. */
  private readonly requests = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  private bulkAt = -Infinity;

  constructor(private readonly opts: ResignerOptions) {}

  /**
   * Unix seconds at which the last full pass over `zone` finished: in this process, or as recorded
   * in the store by an earlier one (a server before its restart, `idzone zone resign`) when that
   * pass checked against the zone's current ZSKs.
   */
  lastCompleted(zone: string): number | undefined {
    return this.completed.get(zone) ?? this.recordFor(zone)?.checkedAt;
  }

  /**
   * Plans a pass over every signed zone: at once, unless the store holds a record of a complete
   * pass with the zone's current ZSKs less than one interval ago, in which case the zone is next
   * due one interval after that pass, as if this process had made it. A restart then costs no walk
   * over every name (a million names: ~10 CPU-s, ~40 s at the duty cycle).
   */
  start(): void {
    const now = this.opts.clock();
    const interval = this.intervalSeconds();
    for (const z of this.opts.store.listZones()) {
      if (!z.settings.signed) continue;
      const rec = this.recordFor(z.name);
      const age = rec === undefined ? undefined : now - rec.checkedAt;
      if (rec !== undefined && age !== undefined && age >= 0 && age < interval) {
        this.completed.set(z.name, rec.checkedAt);
        this.due.set(z.name, performance.now() + (interval - age) * 1000);
        this.opts.log('info', 're-signing check recorded before the restart is recent; next pass when it falls due', { zone: z.name, checkedAt: rec.checkedAt, inSeconds: interval - age });
      } else {
        this.due.set(z.name, performance.now() + (this.opts.startDelayMs ?? 1000));
      }
    }
    this.scheduleNext();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  /**
   * Asks for a pass over `zone` soon (after a key change or a deferred-signing import). `bulk`
   * marks a batch of a bulk import: passes then wait until the import has been quiet for
   * BULK_QUIET_MS, so the import's batches do not share the thread with re-signing them.
   */
  request(zone: string, bulk = false): void {
    if (bulk) this.bulkAt = performance.now();
    this.requests.set(zone, (this.requests.get(zone) ?? 0) + 1);
    const soon = performance.now() + 100;
    this.due.set(zone, Math.min(this.due.get(zone) ?? soon, soon));
    this.scheduleNext();
  }

  private intervalSeconds(): number {
    return this.opts.intervalSeconds ?? 3600;
  }

  /** The store's record of a complete pass for `zone`, if it was made with the current ZSKs. */
  private recordFor(zone: string): { checkedAt: number } | undefined {
    const rec = this.opts.store.resignPass(zone);
    const signer = this.opts.signerFor(zone);
    if (rec === undefined || signer === undefined) return undefined;
    const current = signer.keys.zsks.map((k) => k.keyTag).sort((a, b) => a - b);
    const checked = [...rec.zskTags].sort((a, b) => a - b);
    if (current.length !== checked.length || current.some((t, i) => t !== checked[i])) return undefined;
    return rec;
  }

  private scheduleNext(): void {
    if (this.stopped || this.running) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    let next = Infinity;
    for (const at of this.due.values()) next = Math.min(next, at);
    if (next === Infinity) return;
    this.timer = setTimeout(() => void this.runPending(), Math.max(0, next - performance.now()));
    this.timer.unref();
  }

  private async runPending(): Promise<void> {
    this.running = true;
    const interval = this.intervalSeconds();
    try {
      for (;;) {
        if (this.stopped) return;
        const zone = this.nextDue();
        if (zone === undefined) break;
        this.due.delete(zone);
        try {
          const r = await this.runPass(zone);
          if (r !== undefined && r.resigned > 0) this.opts.log('info', 're-signed stored signatures', { ...r });
          if (!this.due.has(zone)) this.due.set(zone, performance.now() + interval * 1000);
        } catch (err) {
          this.opts.log('error', 're-signing pass failed; will retry', { zone, err: String(err) });
          if (!this.due.has(zone)) this.due.set(zone, performance.now() + RETRY_MS);
        }
      }
      // Zones signed since (a new zone, a zone that gained keys) join the routine passes.
      for (const z of this.opts.store.listZones()) if (z.settings.signed && !this.due.has(z.name)) this.due.set(z.name, performance.now() + interval * 1000);
    } finally {
      this.running = false;
    }
    this.scheduleNext();
  }

  /** The zone due earliest, if any is due now. */
  private nextDue(): string | undefined {
    const now = performance.now();
    let best: string | undefined;
    let bestAt = Infinity;
    for (const [zone, at] of this.due) {
      if (at <= now && at < bestAt) {
        best = zone;
        bestAt = at;
      }
    }
    return best;
  }

  /** One full pass over a zone, yielding to the event loop between pages. */
  async runPass(zoneName: string): Promise<PassReport | undefined> {
    const pass = this.newPass(zoneName);
    const duty = Math.min(1, Math.max(0.01, this.opts.dutyCycle ?? 0.25));
    for (;;) {
      while (!this.stopped && performance.now() - this.bulkAt < BULK_QUIET_MS) await sleep(BULK_QUIET_MS);
      // Stopped while it waited (a clean shutdown closes the store next): a step would fail on the
      // closed store and log a failed pass at every SIGTERM.
      if (this.stopped) break;
      const started = performance.now();
      if (!this.step(pass) || this.stopped) break;
      const busy = performance.now() - started;
      const pause = (busy * (1 - duty)) / duty;
      await new Promise<void>((r) => (pause >= 1 ? setTimeout(r, pause) : setImmediate(r)));
    }
    return this.finish(pass);
  }

  /** The same pass without yielding (offline command: nothing else to serve). */
  runPassSync(zoneName: string): PassReport | undefined {
    const pass = this.newPass(zoneName);
    while (this.step(pass));
    return this.finish(pass);
  }

  private newPass(zone: string): Pass {
    return { zone, cursor: undefined, done: false, scanned: 0, resigned: 0, started: Date.now(), aborted: false, requests: this.requests.get(zone) ?? 0 };
  }

  /** Checks and re-signs one page; false when the pass is over (done or aborted). */
  private step(p: Pass): boolean {
    const zone = this.opts.store.getZone(p.zone);
    const signer = this.opts.signerFor(p.zone);
    if (zone === undefined || !zone.settings.signed || signer === undefined) {
      p.aborted = true;
      return false;
    }
    if (p.done) return false;
    const { nodes, next } = this.opts.store.scanNodes(zone, p.cursor, this.opts.pageSize ?? 200);
    p.cursor = next;
    p.done = next === undefined;
    p.scanned += nodes.length;
    p.resigned += this.resignPage(zone, signer, nodes);
    return !p.done;
  }

  private finish(p: Pass): PassReport | undefined {
    // A pass cut short (stop() at shutdown, the zone gone or unsigned) checked only part of the
    // zone: it must not count, and above all must not be recorded, as complete.
    if (p.aborted || !p.done) return undefined;
    const checkedAt = this.opts.clock();
    this.completed.set(p.zone, checkedAt);
    // Recorded only when nothing asked for a pass meanwhile: names imported unsigned while this
    // pass ran may lie behind its cursor (the store also forgets the record on such a write).
    const signer = this.opts.signerFor(p.zone);
    if ((this.requests.get(p.zone) ?? 0) === p.requests && signer !== undefined) {
      try {
        this.opts.store.recordResignPass(p.zone, { checkedAt, zskTags: signer.keys.zsks.map((k) => k.keyTag) });
      } catch (err) {
        this.opts.log('warn', 'could not record the finished re-signing pass; the next start walks the zone again', { zone: p.zone, err: String(err) });
      }
    }
    return { zone: p.zone, scanned: p.scanned, resigned: p.resigned, seconds: (Date.now() - p.started) / 1000 };
  }

  private resignPage(zone: ZoneInfo, signer: ZoneSigner, page: readonly StoredNode[]): number {
    const zskTags = new Set(signer.keys.zsks.map((k) => k.keyTag));
    const now = this.opts.clock();
    const nsec3TtlNow = nsec3Ttl(zone.settings);
    const out: { owner: string; rrsetSigs: Buffer[][]; nsec3Sigs: Buffer[] }[] = [];
    for (const node of page) {
      if (!needsResign(node, zskTags, now, nsec3TtlNow)) continue;
      // Only what is stale is signed again: the node's fresh signatures come back as they are.
      const s = signer.signNode(zone, node.owner, node.rrsets, node.descendants, node);
      this.opts.onSigned?.(s.rrsetSigs.reduce((n, l) => n + l.length, 0) + s.nsec3Sigs.length - (s.reused ?? 0));
      out.push({ owner: node.owner, rrsetSigs: s.rrsetSigs, nsec3Sigs: s.nsec3Sigs });
    }
    if (out.length > 0) this.opts.store.storeSignatures(zone.name, out);
    return out.length;
  }
}

/** True when any stored signature is missing, made by a key that no longer signs, or due. */
export function needsResign(node: StoredNode, zskTags: ReadonlySet<number>, now: number, nsec3TtlNow?: number): boolean {
  for (const r of node.rrsets) if (!storedSigsFresh(r.sigs, zskTags, now, r.ttl)) return true;
  // Every existing name, an empty non-terminal too, has its own signed NSEC3, signed for the zone's
  // current NSEC3 TTL (a settings change moves it; the query path refuses signatures for another).
  return (node.rrsets.length > 0 || node.descendants > 0) && !storedSigsFresh(node.nsec3Sigs, zskTags, now, nsec3TtlNow);
}

