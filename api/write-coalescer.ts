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
 * commit throws before anything is committed, each write is retried alone, so every request gets
 * its own error and nothing it did not ask for.
 */
import type { ChangeResult, NameChange, ZoneWriter } from '../zone-store/types.js';

/**
 * The most writes one group commits; more in one turn start another group. The commit cost is
 * already spread thin at this size, and a group of new names is ~40 ms of synchronous work.
 */
export const MAX_GROUP = 128;

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

export class WriteCoalescer {
  private groups: Group[] = [];
  private scheduled = false;

  /**
   * @param store the writer; `applyChanges` commits one group.
   * @param afterCommit called once per committed group with its result (the API waits there for
   *   the DNS workers); a rejection fails every request of the group.
   * @param onGroup told the size of every committed group (a metric).
   */
  constructor(
    private readonly store: Pick<ZoneWriter, 'applyChanges' | 'getZone' | 'getNode'>,
    private readonly afterCommit: (result: ChangeResult) => Promise<void>,
    private readonly onGroup?: (size: number) => void,
  ) {}

  /** Queues one change to one name; settles once its group is committed and propagated. */
  submit(zone: string, change: NameChange): Promise<SingleWriteOutcome> {
    return new Promise<SingleWriteOutcome>((resolve, reject) => {
      this.groupFor(zone, change.owner).writes.push({ change, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private groupFor(zone: string, owner: string): Group {
    const key = owner.toLowerCase();
    for (let i = this.groups.length - 1; i >= 0; i--) {
      const g = this.groups[i]!;
      if (g.zone !== zone) continue;
      if (g.owners.has(key) || g.writes.length >= MAX_GROUP) break;
      g.owners.add(key);
      return g;
    }
    const g: Group = { zone, owners: new Set([key]), writes: [] };
    this.groups.push(g);
    return g;
  }

  /**
   * Commits the oldest group and leaves the rest for the next turn, so DNS queries served by this
   * thread (single-process mode) wait for at most one group's work: MAX_GROUP new names at
   * ~0.3 ms of signing and planning each.
   */
  private flush(): void {
    const g = this.groups.shift();
    if (this.groups.length > 0) setImmediate(() => this.flush());
    else this.scheduled = false;
    if (g !== undefined) this.commitGroup(g);
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
      // Retried one by one only if nothing was committed (the serial did not move): a failure after
      // the catalog commit (say, a shard write) leaves the group committed, to be completed from the
      // redo log, and a retry would then report puts as replacements and deletes as absent.
      if (live.length === 1 || this.store.getZone(g.zone)?.serial !== serialBefore) {
        for (const w of live) w.reject(e);
        return;
      }
      for (const w of live) this.commitGroup({ zone: g.zone, owners: new Set([w.change.owner]), writes: [w] });
      return;
    }
    this.onGroup?.(live.length);
    this.afterCommit(result).then(
      () => live.forEach((w, i) => w.resolve({ kind: 'committed', serial: result.serial, existed: result.existed[i] === true })),
      (e: unknown) => live.forEach((w) => w.reject(e)),
    );
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
