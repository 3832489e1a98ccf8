/**
 * Group commit for single-name writes (`PUT` and `DELETE /zones/{zone}/names/{name}`). Writes that
 * reach the store in the same event-loop turn are committed together: one store transaction (one
 * catalog commit, one commit per shard touched, one serial step and journal entry), then one wait
 * for the DNS workers, then each request's own answer. A provisioning system that writes over many
 * connections pays the fixed cost of a commit once per turn instead of once per name; a client that
 * writes one name at a time still gets a group of one, committed in the same turn it arrived in.
 *
 * Groups are flushed from setImmediate, one per turn, so a group holds what the poll phase
 * delivered and DNS queries on this thread are served between groups. A group never holds one
 * owner twice (`existed` in a ChangeResult is relative to the state before the batch, and each
 * request must see its own before-state): a repeated owner starts a new group, flushed after it.
 * A DELETE of a name without identity records answers "absent" (404) and is not written; that is
 * checked when its group is flushed, so the check and the commit see the same state. If a group's
 * commit fails on one bad change before anything is committed, each write is retried alone (one
 * per turn), so every request gets its own error and nothing it did not ask for (see failed()).
 */
import { StoreError, StoreErrorCode } from '../zone-store/errors.js';
import type { ChangeResult, NameChange, ZoneWriter } from '../zone-store/types.js';
import type { ApiLog } from './api-deps.js';
import { ApiErrorCode, ApiProblemError, makeProblem } from './errors.js';

/**
 * The most writes one group commits; more in one turn start another group. A commit's fixed cost
 * (~130 µs) is already spread thin at this size, and a group of new names, ~0.3 ms of signing and
 * planning each, holds the event loop (DNS too, in single-process mode) for ~10 ms at most.
 */
export const MAX_GROUP = 32;

export type SingleWriteOutcome = { kind: 'committed'; serial: number; existed: boolean } | { kind: 'absent' };

interface Pending {
  change: NameChange;
  resolve: (o: SingleWriteOutcome) => void;
  reject: (e: unknown) => void;
}

interface Group {
  zone: string;
  owners: Set<string>;
  writes: Pending[];
}

/** Store errors that one change of a group can cause alone: the group is split and retried. */
const PER_CHANGE_ERRORS: ReadonlySet<string> = new Set([
  StoreErrorCode.NAME_INVALID,
  StoreErrorCode.NAME_OUTSIDE_ZONE,
  StoreErrorCode.APEX_MANAGED,
  StoreErrorCode.TYPE_REFUSED,
  StoreErrorCode.RRSET_DUPLICATE,
  StoreErrorCode.TTL_INVALID,
]);

export interface WriteCoalescerOptions {
  /**
   * Called once per committed group with its result (the API waits there for the DNS workers); a
   * rejection fails every request of the group.
   */
  afterCommit: (result: ChangeResult) => Promise<void>;
  /** Told the size of every committed group (a metric). */
  onGroup?: (size: number) => void;
  /** Where a group that failed after its commit is reported. */
  log?: ApiLog | undefined;
}

export class WriteCoalescer {
  private groups: Group[] = [];
  private scheduled = false;

  constructor(
    private readonly store: Pick<ZoneWriter, 'applyChanges' | 'getZone' | 'getNode'>,
    private readonly opts: WriteCoalescerOptions,
  ) {}

  /** Queues one change to one name; settles once its group is committed and propagated. */
  submit(zone: string, change: NameChange): Promise<SingleWriteOutcome> {
    return new Promise<SingleWriteOutcome>((resolve, reject) => {
      this.groupFor(zone, change.owner).writes.push({ change, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /**
   * The earliest queued group of `zone` with room that comes after every group already holding
   * `owner` (so writes to one name stay in order, and a client repeating writes to one name does
   * not hold the others back), or a new group at the end.
   */
  private groupFor(zone: string, owner: string): Group {
    const key = owner.toLowerCase();
    let from = 0;
    for (let i = this.groups.length - 1; i >= 0; i--) {
      const g = this.groups[i]!;
      if (g.zone === zone && g.owners.has(key)) {
        from = i + 1;
        break;
      }
    }
    for (let i = from; i < this.groups.length; i++) {
      const g = this.groups[i]!;
      if (g.zone !== zone || g.writes.length >= MAX_GROUP) continue;
      g.owners.add(key);
      return g;
    }
    const g: Group = { zone, owners: new Set([key]), writes: [] };
    this.groups.push(g);
    return g;
  }

  /**
   * Commits the oldest group and leaves the rest for the next turn, so DNS queries served by this
   * thread (single-process mode) wait for at most one group's work (see MAX_GROUP).
   */
  private flush(): void {
    this.scheduled = false;
    const g = this.groups.shift();
    if (g !== undefined) this.commitGroup(g);
    if (this.groups.length > 0) this.schedule();
  }

  private commitGroup(g: Group): void {
    const live = g.writes.filter((w) => {
      if (w.change.op !== 'delete' || this.holdsRecords(g.zone, w.change.owner)) return true;
      w.resolve({ kind: 'absent' });
      return false;
    });
    if (live.length === 0) return;
    const serialBefore = this.store.getZone(g.zone)?.serial;
    let result: ChangeResult;
    try {
      result = this.store.applyChanges(g.zone, live.map((w) => w.change));
    } catch (e) {
      this.failed(g.zone, live, e, serialBefore);
      return;
    }
    this.opts.onGroup?.(live.length);
    this.opts.afterCommit(result).then(
      () => live.forEach((w, i) => w.resolve({ kind: 'committed', serial: result.serial, existed: result.existed[i] === true })),
      (e: unknown) => live.forEach((w) => w.reject(e)),
    );
  }

  /**
   * A group's commit threw. If the serial moved, it was committed (a shard write failed after the
   * catalog commit; the store completes it from its redo log): every request gets 503, as when the
   * DNS workers do not confirm. If nothing was committed and one change alone can be the cause,
   * each write goes back to the front of the queue as a group of its own, one per turn, so a bad
   * write fails alone. Anything else (a busy or broken database, a signer fault) fails them all.
   */
  private failed(zone: string, live: Pending[], e: unknown, serialBefore: number | undefined): void {
    const serialNow = this.store.getZone(zone)?.serial;
    if (serialNow !== serialBefore) {
      this.opts.log?.('error', 'group commit failed after the catalog commit', { zone, serial: serialNow, writes: live.length, error: (e as Error).message });
      const detail = `the change to ${zone} was committed as serial ${serialNow}, but not completed: ${(e as Error).message}; the store completes it from its redo log`;
      for (const w of live) w.reject(new ApiProblemError(makeProblem(ApiErrorCode.UNAVAILABLE, detail)));
      return;
    }
    if (live.length === 1 || !(e instanceof StoreError) || !PER_CHANGE_ERRORS.has(e.code)) {
      for (const w of live) w.reject(e);
      return;
    }
    this.groups.unshift(...live.map((w): Group => ({ zone, owners: new Set([w.change.owner.toLowerCase()]), writes: [w] })));
    this.schedule();
  }

  /** Whether `owner` holds identity records now; a bad name or zone is left to applyChanges to refuse. */
  private holdsRecords(zone: string, owner: string): boolean {
    const info = this.store.getZone(zone);
    if (info === undefined) return true;
    try {
      const node = this.store.getNode(info, owner);
      return node !== undefined && node.rrsets.length > 0;
    } catch {
      return true;
    }
  }
}
