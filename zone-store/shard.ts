/**
 * One shard database: the `nodes` rows of the names that hash to it, and `applied_batch`, the last
 * catalog redo batch whose operations this shard has committed. A batch's rows and the new
 * applied_batch are written in one transaction, so a shard is always at a batch boundary and replay
 * after a crash knows exactly which batches it still lacks.
 */
import type Database from 'better-sqlite3';
import { performance } from 'node:perf_hooks';
import { statSync } from 'node:fs';
import { openDatabase, checkpointDatabase, restartWal, withPath, WAL_RESTART_BYTES, type OpenOptions } from './sqlite-open.js';
import { SHARD_MIGRATIONS, getMeta, migrate, setMeta } from './migrations.js';
import { StoreError, StoreErrorCode } from './errors.js';

/** Row operations of one batch for one shard (absolute values: replay is idempotent). */
export type ShardOp =
  | { kind: 'put'; zoneId: number; owner: string; descendants: number; hasData: boolean; node: Buffer }
  | { kind: 'descendants'; zoneId: number; owner: string; descendants: number }
  | { kind: 'delete'; zoneId: number; owner: string }
  | { kind: 'purge'; zoneId: number };

/** A row as read: [descendants, has_data, node blob]. */
export type NodeRow = [number, number, Buffer];
/** A listed row: [owner, descendants, node blob]. */
export type ListedRow = [string, number, Buffer];

/**
 * Owners per multi-row read. One statement with a JSON array of owners costs about a quarter of the
 * same number of point reads (measured: 0.9 µs vs 3.9 µs per name), which matters for bulk changes.
 */
const MANY_CHUNK = 500;
/**
 * Put rows per multi-row INSERT when a batch applies many puts in a row: one statement step for 64
 * rows instead of 64 (measured with better-sqlite3 on this VM, 10,000 sorted rows: ~3 µs per row
 * alone, ~2 µs in statements of 64). Rows are inserted in order, so the result is that of one
 * INSERT per row.
 */
const PUT_ROWS = 64;

/**
 * Shards whose read snapshot ends at the next turn of the event loop (one setImmediate for all).
 * Every SQLite statement outside a transaction opens and closes its own read transaction: in WAL
 * mode that is two fcntl locks, an fstat and a look at the WAL index, ~4 µs of a ~16 µs point read
 * (bench/README.md, "Session 6"). Reads in one turn — the datagrams one poll of the socket
 * delivered — share one transaction instead. A snapshot never outlives the turn it began in, and
 * the store ends it early when it writes or learns of a write (releaseSnapshot), so a change
 * committed before a query is read, as it was with a transaction per statement.
 *
 * Nor does it outlive SNAPSHOT_MAX_MS. A checkpoint can only copy WAL frames older than every
 * reader's snapshot, and the WAL only starts over once a checkpoint copied all of them: readers
 * whose turns follow each other with no gap (a saturated worker, a long synchronous export) would
 * otherwise always hold a snapshot older than the last commit, and the WAL would grow without end
 * (301 MB after 90 s in a review's test, against a steady 42 MB with a transaction per statement).
 */
const SNAPSHOT_MAX_MS = 2;
const holding = new Set<Shard>();
let releaseScheduled = false;
function releaseHeld(): void {
  releaseScheduled = false;
  for (const s of holding) s.releaseSnapshot();
  holding.clear();
}

export class Shard {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[number, string], NodeRow>;
  private readonly manyStmt: Database.Statement<[number, string], ListedRow>;
  private readonly listStmt: Database.Statement<[number, string, number], ListedRow>;
  private readonly scanStmt: Database.Statement<[number, string, number], ListedRow>;
  private readonly putStmt: Database.Statement<[number, string, number, number, Buffer]>;
  private putManyStmt: Database.Statement<unknown[]> | undefined;
  private readonly descStmt: Database.Statement<[number, number, string]>;
  private readonly deleteStmt: Database.Statement<[number, string]>;
  private readonly purgeStmt: Database.Statement<[number]>;
  private readonly sigStmt: Database.Statement<[Buffer, number, string]>;
  private readonly applyTx: Database.Transaction<(batch: number, ops: readonly ShardOp[]) => void>;
  private readonly beginStmt: Database.Statement<[]>;
  private readonly commitStmt: Database.Statement<[]>;
  /** A read transaction begun by holdSnapshot() is open. */
  private snapshot = false;
  /** performance.now() when it began. */
  private snapshotAt = 0;
  private readonly walPath: string;
  private readonly walRestartBytes: number;
  /** Writes since the WAL's size was last looked at. */
  private writesSinceWalCheck = 0;

  constructor(
    private readonly path: string,
    readonly index: number,
    shardCount: number,
    readonly: boolean,
    open: OpenOptions = {},
  ) {
    this.db = openDatabase(path, readonly, open);
    this.walPath = `${path}-wal`;
    this.walRestartBytes = open.walRestartBytes ?? WAL_RESTART_BYTES;
    migrate(this.db, SHARD_MIGRATIONS, `shard ${path}`, readonly);
    if (!readonly && getMeta(this.db, 'shard_index') === undefined) {
      setMeta(this.db, 'shard_index', index);
      setMeta(this.db, 'shard_count', shardCount);
      setMeta(this.db, 'applied_batch', 0);
    }
    checkIdentity(this.db, path, index, shardCount);
    this.getStmt = this.db.prepare<[number, string], NodeRow>('SELECT descendants, has_data, node FROM nodes WHERE zone_id = ? AND owner = ?').raw();
    this.manyStmt = this.db
      .prepare<[number, string], ListedRow>('SELECT owner, descendants, node FROM nodes WHERE zone_id = ? AND owner IN (SELECT value FROM json_each(?))')
      .raw();
    this.listStmt = this.db
      .prepare<[number, string, number], ListedRow>('SELECT owner, descendants, node FROM nodes WHERE zone_id = ? AND owner > ? AND has_data = 1 ORDER BY owner LIMIT ?')
      .raw();
    this.scanStmt = this.db
      .prepare<[number, string, number], ListedRow>('SELECT owner, descendants, node FROM nodes WHERE zone_id = ? AND owner > ? ORDER BY owner LIMIT ?')
      .raw();
    this.putStmt = this.db.prepare('INSERT OR REPLACE INTO nodes (zone_id, owner, descendants, has_data, node) VALUES (?, ?, ?, ?, ?)');
    this.descStmt = this.db.prepare('UPDATE nodes SET descendants = ? WHERE zone_id = ? AND owner = ?');
    this.deleteStmt = this.db.prepare('DELETE FROM nodes WHERE zone_id = ? AND owner = ?');
    this.purgeStmt = this.db.prepare('DELETE FROM nodes WHERE zone_id = ?');
    this.sigStmt = this.db.prepare('UPDATE nodes SET node = ? WHERE zone_id = ? AND owner = ?');
    this.beginStmt = this.db.prepare('BEGIN');
    this.commitStmt = this.db.prepare('COMMIT');
    const setApplied = this.db.prepare<[number]>("UPDATE meta SET value = ? WHERE key = 'applied_batch'");
    this.applyTx = this.db.transaction((batch: number, ops: readonly ShardOp[]) => {
      // Checked inside the (IMMEDIATE) transaction: if another process replayed or applied this
      // batch — or a later one — meanwhile, re-applying its row images would undo newer writes.
      if (this.appliedBatch() >= batch) return;
      this.applyOps(ops);
      setApplied.run(batch);
    });
  }

  get(zoneId: number, owner: string): NodeRow | undefined {
    this.holdSnapshot();
    try {
      return this.getStmt.get(zoneId, owner);
    } catch (e) {
      throw withPath(e, this.path);
    }
  }

  /** The stored rows among `owners` (ENT rows included), in no particular order. */
  getMany(zoneId: number, owners: readonly string[]): ListedRow[] {
    try {
      return this.readMany(zoneId, owners);
    } catch (e) {
      throw withPath(e, this.path);
    }
  }

  private readMany(zoneId: number, owners: readonly string[]): ListedRow[] {
    this.holdSnapshot();
    if (owners.length === 1) {
      const row = this.getStmt.get(zoneId, owners[0]!);
      return row === undefined ? [] : [[owners[0]!, row[0], row[2]]];
    }
    const out: ListedRow[] = [];
    for (let i = 0; i < owners.length; i += MANY_CHUNK) {
      for (const row of this.manyStmt.all(zoneId, JSON.stringify(owners.slice(i, i + MANY_CHUNK)))) out.push(row);
    }
    return out;
  }

  /** Data-holding rows of a zone after `after` in owner order. */
  list(zoneId: number, after: string, limit: number): ListedRow[] {
    this.holdSnapshot();
    try {
      return this.listStmt.all(zoneId, after, limit);
    } catch (e) {
      throw withPath(e, this.path);
    }
  }

  /** Every row of the zone after `after` (ENTs included), in key order: one index range read. */
  scan(zoneId: number, after: string, limit: number): ListedRow[] {
    this.holdSnapshot();
    try {
      return this.scanStmt.all(zoneId, after, limit);
    } catch (e) {
      throw withPath(e, this.path);
    }
  }

  appliedBatch(): number {
    return Number(getMeta(this.db, 'applied_batch') ?? 0);
  }

  /** The identity of the data directory this shard belongs to (data-dir.ts), if recorded. */
  dataDirId(): string | undefined {
    const v = getMeta(this.db, 'data_dir_id');
    return v === undefined ? undefined : String(v);
  }

  setDataDirId(id: string): void {
    setMeta(this.db, 'data_dir_id', id);
  }

  get file(): string {
    return this.path;
  }

  /** Commits one batch's operations and records it as applied, in one transaction. */
  apply(batch: number, ops: readonly ShardOp[]): void {
    this.releaseSnapshot();
    this.applyTx.immediate(batch, ops);
    this.afterWrite();
  }

  /** Rewrites node blobs in place (re-signing); rows that vanished meanwhile are skipped. */
  rewriteNodes(zoneId: number, rows: readonly { owner: string; node: Buffer }[]): void {
    this.releaseSnapshot();
    this.db.transaction(() => {
      for (const r of rows) this.sigStmt.run(r.node, zoneId, r.owner);
    }).immediate();
    this.afterWrite();
  }

  checkpoint(): void {
    this.releaseSnapshot();
    checkpointDatabase(this.db);
  }

  close(): void {
    this.releaseSnapshot();
    holding.delete(this);
    if (this.db.open) this.db.close();
  }

  /**
   * Ends the read transaction the reads of this turn share, so the next read sees every commit
   * made until then. Called before this connection writes, and by the store on news of a write.
   */
  releaseSnapshot(): void {
    if (!this.snapshot) return;
    this.snapshot = false;
    if (!this.db.open || !this.db.inTransaction) return;
    try {
      this.commitStmt.run();
    } catch {
      // Ending a read transaction that met a damaged page fails too ("database disk image is
      // malformed"). The read that met it has already failed with the file's name (a SERVFAIL for
      // that question); this runs from setImmediate, where a throw ended the whole process, so
      // every query touching the page killed the server (a review's garbled leaf page).
      try {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      } catch {
        // The connection's next statement reports what is wrong, to whoever asked for it.
      }
    }
  }

  /**
   * The automatic checkpoint after a commit is passive: it copies only WAL frames older than every
   * reader's snapshot, and the WAL starts over only once all were copied. Readers in other
   * processes that always hold some snapshot (each at most SNAPSHOT_MAX_MS old) can keep that from
   * ever happening, so when the WAL has grown well past the automatic threshold the writer runs a
   * RESTART checkpoint, which waits (busy timeout) for the snapshots to move on. Looked at every
   * 16th write: a stat costs ~2 µs.
   */
  private afterWrite(): void {
    if (++this.writesSinceWalCheck < 16) return;
    this.writesSinceWalCheck = 0;
    const size = statSync(this.walPath, { throwIfNoEntry: false })?.size ?? 0;
    if (size > this.walRestartBytes) restartWal(this.db);
  }

  /** Opens the turn's read transaction, unless one (or a write transaction) is open already. */
  private holdSnapshot(): void {
    if (this.snapshot) {
      if (performance.now() - this.snapshotAt < SNAPSHOT_MAX_MS) return;
      this.releaseSnapshot();
    }
    if (this.db.inTransaction) return;
    this.beginStmt.run();
    this.snapshot = true;
    this.snapshotAt = performance.now();
    holding.add(this);
    if (!releaseScheduled) {
      releaseScheduled = true;
      setImmediate(releaseHeld);
    }
  }

  /** Applies ops in order; runs of PUT_ROWS puts go in one multi-row INSERT. */
  private applyOps(ops: readonly ShardOp[]): void {
    let i = 0;
    while (i < ops.length) {
      const run = putsFrom(ops, i);
      if (run === PUT_ROWS) {
        this.putMany(ops, i);
        i += PUT_ROWS;
      } else {
        // Fewer puts than a statement's worth before another kind of op (or the end): one by one.
        for (const end = i + Math.max(run, 1); i < end; i++) this.applyOp(ops[i]!);
      }
    }
  }

  /** Inserts the PUT_ROWS puts ops[from …] in one statement. */
  private putMany(ops: readonly ShardOp[], from: number): void {
    const args: unknown[] = new Array(PUT_ROWS * 5);
    for (let j = 0; j < PUT_ROWS; j++) {
      const op = ops[from + j] as Extract<ShardOp, { kind: 'put' }>;
      args[j * 5] = op.zoneId;
      args[j * 5 + 1] = op.owner;
      args[j * 5 + 2] = op.descendants;
      args[j * 5 + 3] = op.hasData ? 1 : 0;
      args[j * 5 + 4] = op.node;
    }
    this.putManyStmt ??= this.db.prepare<unknown[]>(`INSERT OR REPLACE INTO nodes (zone_id, owner, descendants, has_data, node) VALUES ${Array(PUT_ROWS).fill('(?, ?, ?, ?, ?)').join(', ')}`);
    this.putManyStmt.run(args);
  }

  private applyOp(op: ShardOp): void {
    switch (op.kind) {
      case 'put':
        this.putStmt.run(op.zoneId, op.owner, op.descendants, op.hasData ? 1 : 0, op.node);
        return;
      case 'descendants':
        this.descStmt.run(op.descendants, op.zoneId, op.owner);
        return;
      case 'delete':
        this.deleteStmt.run(op.zoneId, op.owner);
        return;
      case 'purge':
        this.purgeStmt.run(op.zoneId);
        return;
      default:
        assertNever(op);
    }
  }
}

function checkIdentity(db: Database.Database, path: string, index: number, count: number): void {
  const gotIndex = Number(getMeta(db, 'shard_index'));
  const gotCount = Number(getMeta(db, 'shard_count'));
  if (gotIndex !== index || gotCount !== count) {
    throw new StoreError(StoreErrorCode.CORRUPT, `${path} says it is shard ${gotIndex} of ${gotCount}, expected ${index} of ${count}`);
  }
}

/** How many puts follow one another from ops[from], at most PUT_ROWS. */
function putsFrom(ops: readonly ShardOp[], from: number): number {
  let n = 0;
  while (n < PUT_ROWS && from + n < ops.length && ops[from + n]!.kind === 'put') n++;
  return n;
}

function assertNever(x: never): never {
  throw new Error(`unexpected shard op ${JSON.stringify(x)}`);
}
