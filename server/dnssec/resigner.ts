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
 */
import { compareSerial } from '../../core/rrset.js';
import { rrsigWindow } from '../../signer/rrsig.js';
import { isDueForRefresh } from '../../signer/validity.js';
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
}

interface Pass {
  zone: string;
  cursor: ScanCursor | undefined;
  done: boolean;
  scanned: number;
  resigned: number;
  started: number;
  aborted: boolean;
}

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
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  private bulkAt = -Infinity;

  constructor(private readonly opts: ResignerOptions) {}

  /** Unix seconds at which the last full pass over `zone` finished (in this process). */
  lastCompleted(zone: string): number | undefined {
    return this.completed.get(zone);
  }

  start(): void {
    for (const z of this.opts.store.listZones()) if (z.settings.signed) this.pending.add(z.name);
    this.schedule(1000);
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
    this.pending.add(zone);
    this.schedule(100);
  }

  private schedule(ms: number): void {
    if (this.stopped || this.running) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.runPending(), ms);
    this.timer.unref();
  }

  private async runPending(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped && this.pending.size > 0) {
        const zone = this.pending.values().next().value as string;
        this.pending.delete(zone);
        const r = await this.runPass(zone);
        if (r !== undefined && r.resigned > 0) this.opts.log('info', 're-signed stored signatures', { ...r });
      }
    } catch (err) {
      this.opts.log('error', 're-signing pass failed; will retry', { err: String(err) });
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    for (const z of this.opts.store.listZones()) if (z.settings.signed) this.pending.add(z.name);
    this.schedule((this.opts.intervalSeconds ?? 3600) * 1000);
  }

  /** One full pass over a zone, yielding to the event loop between pages. */
  async runPass(zoneName: string): Promise<PassReport | undefined> {
    const pass = this.newPass(zoneName);
    const duty = Math.min(1, Math.max(0.01, this.opts.dutyCycle ?? 0.25));
    for (;;) {
      while (!this.stopped && performance.now() - this.bulkAt < BULK_QUIET_MS) await sleep(BULK_QUIET_MS);
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
    return { zone, cursor: undefined, done: false, scanned: 0, resigned: 0, started: Date.now(), aborted: false };
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
    if (p.aborted) return undefined;
    this.completed.set(p.zone, this.opts.clock());
    return { zone: p.zone, scanned: p.scanned, resigned: p.resigned, seconds: (Date.now() - p.started) / 1000 };
  }

  private resignPage(zone: ZoneInfo, signer: ZoneSigner, page: readonly StoredNode[]): number {
    const zskTags = new Set(signer.keys.zsks.map((k) => k.keyTag));
    const now = this.opts.clock();
    const out: { owner: string; rrsetSigs: Buffer[][]; nsec3Sigs: Buffer[] }[] = [];
    for (const node of page) {
      if (!needsResign(node, zskTags, now)) continue;
      const s = signer.signNode(zone, node.owner, node.rrsets, node.descendants);
      this.opts.onSigned?.(s.rrsetSigs.reduce((n, l) => n + l.length, 0) + s.nsec3Sigs.length);
      out.push({ owner: node.owner, rrsetSigs: s.rrsetSigs, nsec3Sigs: s.nsec3Sigs });
    }
    if (out.length > 0) this.opts.store.storeSignatures(zone.name, out);
    return out.length;
  }
}

/** True when any stored signature is missing, made by a key that no longer signs, or due. */
export function needsResign(node: StoredNode, zskTags: ReadonlySet<number>, now: number): boolean {
  for (const r of node.rrsets) if (!sigsFresh(r.sigs, zskTags, now)) return true;
  // Every existing name, an empty non-terminal too, has its own signed NSEC3.
  return (node.rrsets.length > 0 || node.descendants > 0) && !sigsFresh(node.nsec3Sigs, zskTags, now);
}

function sigsFresh(sigs: readonly Buffer[], zskTags: ReadonlySet<number>, now: number): boolean {
  if (sigs.length !== zskTags.size) return false;
  for (const sig of sigs) {
    const w = rrsigWindow(sig);
    if (w === undefined || sig.length < 18 || !zskTags.has(sig.readUInt16BE(16))) return false;
    if (compareSerial(w.expiration, now >>> 0) <= 0 || isDueForRefresh(w, now)) return false;
  }
  return true;
}
