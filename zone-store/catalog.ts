/**
 * The catalog database: zones (with serial and name count), and the redo log (`pending_ops`) that
 * makes a change atomic across shard files. SQLite in WAL mode cannot commit several files as one,
 * so a change is first committed here as absolute row operations per shard, together with its
 * journal entry and serial bump; shards are brought up to date from it afterwards, at once or on the
 * next open. The journal lives in catalog-journal.ts, keys and tokens in catalog-credentials.ts.
 */
import type Database from 'better-sqlite3';
import type { ZoneInfo, ZoneSettings } from './types.js';
import { openDatabase, checkpointDatabase } from './sqlite-open.js';
import { CATALOG_MIGRATIONS, getMeta, migrate, setMeta } from './migrations.js';
import { CatalogJournal } from './catalog-journal.js';
import { CatalogCredentials } from './catalog-credentials.js';
import type { ShardOp } from './shard.js';
import { packShardOps, unpackShardOps } from './shard-op-codec.js';

type ZoneRow = [number, string, number, string, number];
type PendingRow = [number, number, number, Buffer];

/** Pending shard operations of one batch, grouped by shard index. */
export interface PendingBatch {
  batch: number;
  shards: Map<number, ShardOp[]>;
}

export class Catalog {
  readonly db: Database.Database;
  readonly journal: CatalogJournal;
  readonly credentials: CatalogCredentials;
  private readonly stmts;
  /**
   * One IMMEDIATE transaction wrapper, made once: better-sqlite3's db.transaction() builds four
   * wrapper functions with defineProperties, ~20 µs measured per call on this VM, which every
   * single-name write paid.
   */
  private readonly runInTransaction: Database.Transaction<(fn: () => unknown) => unknown>;

  constructor(path: string, readonly: boolean) {
    this.db = openDatabase(path, readonly);
    migrate(this.db, CATALOG_MIGRATIONS, `catalog ${path}`, readonly);
    this.journal = new CatalogJournal(this.db);
    this.credentials = new CatalogCredentials(this.db);
    const db = this.db;
    this.stmts = {
      zones: db.prepare<[], ZoneRow>('SELECT id, name, serial, settings, created_at FROM zones').raw(),
      nameCount: db.prepare<[number], number>('SELECT name_count FROM zones WHERE id = ?').pluck(),
      recordCount: db.prepare<[number], number | null>('SELECT record_count FROM zones WHERE id = ?').pluck(),
      setRecordCount: db.prepare<[number, number]>('UPDATE zones SET record_count = ? WHERE id = ?'),
      serial: db.prepare<[number], number>('SELECT serial FROM zones WHERE id = ?').pluck(),
      insertZone: db.prepare<[string, number, string, number]>('INSERT INTO zones (name, serial, settings, created_at, record_count) VALUES (?, ?, ?, ?, 0)'),
      deleteZone: db.prepare<[number]>('DELETE FROM zones WHERE id = ?'),
      // A NULL record_count (not counted yet) stays NULL until the writer counts it.
      bumpZone: db.prepare<[number, number, number, number]>('UPDATE zones SET serial = ?, name_count = name_count + ?, record_count = record_count + ? WHERE id = ?'),
      setSettings: db.prepare<[string, number, number]>('UPDATE zones SET settings = ?, serial = ? WHERE id = ?'),
      insertOps: db.prepare<[number, number, number, Buffer]>('INSERT INTO pending_ops (batch, shard, zone_id, ops) VALUES (?, ?, ?, ?)'),
      pending: db.prepare<[], PendingRow>('SELECT batch, shard, zone_id, ops FROM pending_ops ORDER BY id').raw(),
      deletePending: db.prepare<[number]>('DELETE FROM pending_ops WHERE batch <= ?'),
      maxPending: db.prepare<[], number | null>('SELECT max(batch) FROM pending_ops').pluck(),
      deleteMeta: db.prepare<[string]>('DELETE FROM meta WHERE key = ?'),
    };
    this.runInTransaction = db.transaction((fn: () => unknown) => fn());
  }

  transaction<T>(fn: () => T): T {
    return this.runInTransaction.immediate(fn) as T;
  }

  shardCount(): number | undefined {
    const v = getMeta(this.db, 'shard_count');
    return v === undefined ? undefined : Number(v);
  }

  setShardCount(n: number): void {
    setMeta(this.db, 'shard_count', n);
  }

  /** The data directory's identity, also recorded in each of its shards (data-dir.ts). */
  dataDirId(): string | undefined {
    const v = getMeta(this.db, 'data_dir_id');
    return v === undefined ? undefined : String(v);
  }

  setDataDirId(id: string): void {
    setMeta(this.db, 'data_dir_id', id);
  }

  /**
   * The highest batch number the catalog knows of: in the redo log, or in `meta.last_batch`, which
   * data directories written before the store derived it (sqlite-zone-store.ts: lastBatchAtOpen)
   * still hold. Nothing writes that row any more: it cost a page in every catalog commit.
   */
  lastBatch(): number {
    return Math.max(Number(getMeta(this.db, 'last_batch') ?? 0), this.stmts.maxPending.get() ?? 0);
  }

  loadZones(): ZoneInfo[] {
    return this.stmts.zones.all().map(([id, name, serial, settings, createdAt]) => ({
      id,
      name,
      serial,
      settings: JSON.parse(settings) as ZoneSettings,
      createdAt,
    }));
  }

  nameCount(zoneId: number): number {
    return this.stmts.nameCount.get(zoneId) ?? 0;
  }

  serial(zoneId: number): number | undefined {
    return this.stmts.serial.get(zoneId);
  }

  insertZone(name: string, serial: number, settings: ZoneSettings, createdAt: number): number {
    return Number(this.stmts.insertZone.run(name, serial, JSON.stringify(settings), createdAt).lastInsertRowid);
  }

  /** The zone's recorded re-signing check (JSON), see ResignPassRecord. */
  resignPass(zoneId: number): string | undefined {
    const v = getMeta(this.db, resignPassKey(zoneId));
    return typeof v === 'string' ? v : undefined;
  }

  setResignPass(zoneId: number, json: string): void {
    setMeta(this.db, resignPassKey(zoneId), json);
  }

  clearResignPass(zoneId: number): void {
    this.stmts.deleteMeta.run(resignPassKey(zoneId));
  }

  /** Removes a zone's catalog rows: the zone, its keys, its journal and its re-signing record. */
  deleteZone(zoneId: number): void {
    this.stmts.deleteZone.run(zoneId);
    this.clearResignPass(zoneId);
    this.credentials.deleteKeysOf(zoneId);
    this.journal.deleteZone(zoneId);
  }

  bumpZone(zoneId: number, serial: number, nameCountDelta: number, recordCountDelta: number): void {
    this.stmts.bumpZone.run(serial, nameCountDelta, recordCountDelta, zoneId);
  }

  /** Identity records (TLSA and SSHFP RRs) in the zone; undefined until counted (see v3 migration). */
  recordCount(zoneId: number): number | undefined {
    return this.stmts.recordCount.get(zoneId) ?? undefined;
  }

  setRecordCount(zoneId: number, count: number): void {
    this.stmts.setRecordCount.run(count, zoneId);
  }

  setSettings(zoneId: number, settings: ZoneSettings, serial: number): void {
    this.stmts.setSettings.run(JSON.stringify(settings), serial, zoneId);
  }

  /** Records the row operations of `batch` for one shard in the redo log (one packed row). */
  addPendingOps(batch: number, shard: number, zoneId: number, ops: readonly ShardOp[]): void {
    this.stmts.insertOps.run(batch, shard, zoneId, packShardOps(ops));
  }

  /** Every batch still in the redo log, oldest first (normally none: they are cleared once applied). */
  pendingBatches(): PendingBatch[] {
    const out: PendingBatch[] = [];
    for (const [batch, shard, zoneId, blob] of this.stmts.pending.iterate()) {
      let b = out[out.length - 1];
      if (b === undefined || b.batch !== batch) {
        b = { batch, shards: new Map() };
        out.push(b);
      }
      const ops = b.shards.get(shard) ?? [];
      ops.push(...unpackShardOps(zoneId, blob));
      b.shards.set(shard, ops);
    }
    return out;
  }

  clearPending(throughBatch: number): void {
    this.stmts.deletePending.run(throughBatch);
  }

  checkpoint(): void {
    checkpointDatabase(this.db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function resignPassKey(zoneId: number): string {
  return `resign_pass:${zoneId}`;
}
