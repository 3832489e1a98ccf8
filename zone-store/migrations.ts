/**
 * Versioned schemas for the catalog and the shard databases. Each database keeps `schema_version`
 * in its `meta` table; a list of migration functions, applied in order inside one IMMEDIATE
 * transaction, brings an older file up to date. A file newer than this code is refused (never
 * guessed at), and a read-only handle refuses a file the writer has not migrated yet, because it
 * cannot migrate it itself.
 */
import type Database from 'better-sqlite3';
import { StoreError, StoreErrorCode } from './errors.js';

export type Migration = (db: Database.Database) => void;

/**
 * Catalog: zones, DNSSEC keys, API tokens, the IXFR journal (RRs packed in chunks by journal-codec),
 * and the shard redo log (one packed BLOB of row operations per batch and shard, by shard-op-codec).
 */
export const CATALOG_MIGRATIONS: readonly Migration[] = [
  (db) =>
    db.exec(`
      CREATE TABLE zones (
        id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, serial INTEGER NOT NULL,
        settings TEXT NOT NULL, created_at INTEGER NOT NULL,
        name_count INTEGER NOT NULL DEFAULT 0, journal_rows INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE keys (
        id INTEGER PRIMARY KEY AUTOINCREMENT, zone_id INTEGER NOT NULL, role TEXT NOT NULL,
        algorithm INTEGER NOT NULL, flags INTEGER NOT NULL, key_tag INTEGER NOT NULL,
        public_key BLOB NOT NULL, private_file TEXT NOT NULL, state TEXT NOT NULL,
        created_at INTEGER NOT NULL, changed_at INTEGER NOT NULL);
      CREATE INDEX keys_zone ON keys (zone_id);
      CREATE TABLE tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT, hash TEXT NOT NULL UNIQUE, zones TEXT NOT NULL,
        write INTEGER NOT NULL, admin INTEGER NOT NULL, description TEXT NOT NULL, created_at INTEGER NOT NULL);
      CREATE TABLE journal_versions (
        id INTEGER PRIMARY KEY AUTOINCREMENT, zone_id INTEGER NOT NULL,
        from_serial INTEGER NOT NULL, to_serial INTEGER NOT NULL, rows INTEGER NOT NULL);
      CREATE INDEX journal_versions_zone ON journal_versions (zone_id);
      CREATE INDEX journal_versions_from ON journal_versions (zone_id, from_serial);
      CREATE TABLE journal (
        version_id INTEGER NOT NULL, chunk INTEGER NOT NULL, rrs BLOB NOT NULL,
        PRIMARY KEY (version_id, chunk));
      CREATE TABLE pending_ops (
        id INTEGER PRIMARY KEY, batch INTEGER NOT NULL, shard INTEGER NOT NULL, zone_id INTEGER NOT NULL,
        ops BLOB NOT NULL);
    `),
  // v2: fewer B-tree pages written by every change (8 → 5 per catalog commit, see bench/README.md,
  // "Write path"). journal_versions loses AUTOINCREMENT (a sqlite_sequence page per insert; an id
  // comes back only after every row carrying it is gone, and nothing outside the catalog keeps
  // one) and its (zone_id,
  // from_serial) index: the one lookup by from_serial walks the zone's steps newest first and stops
  // at the first match, which for a secondary's recent serial is a few rows. The journal becomes a
  // WITHOUT ROWID table, one B-tree instead of a table plus its primary-key index.
  (db) =>
    db.exec(`
      CREATE TABLE journal_versions_v2 (
        id INTEGER PRIMARY KEY, zone_id INTEGER NOT NULL,
        from_serial INTEGER NOT NULL, to_serial INTEGER NOT NULL, rows INTEGER NOT NULL);
      INSERT INTO journal_versions_v2 (id, zone_id, from_serial, to_serial, rows)
        SELECT id, zone_id, from_serial, to_serial, rows FROM journal_versions;
      DROP TABLE journal_versions;
      ALTER TABLE journal_versions_v2 RENAME TO journal_versions;
      CREATE INDEX journal_versions_zone ON journal_versions (zone_id);
      DELETE FROM sqlite_sequence WHERE name = 'journal_versions';
      CREATE TABLE journal_v2 (
        version_id INTEGER NOT NULL, chunk INTEGER NOT NULL, rrs BLOB NOT NULL,
        PRIMARY KEY (version_id, chunk)) WITHOUT ROWID;
      INSERT INTO journal_v2 (version_id, chunk, rrs) SELECT version_id, chunk, rrs FROM journal;
      DROP TABLE journal;
      ALTER TABLE journal_v2 RENAME TO journal;
    `),
  // v3: identity records per zone beside the name count (a metric and the zone view). NULL in a
  // catalog written before: the writer counts those zones once when it opens the store.
  (db) => db.exec('ALTER TABLE zones ADD COLUMN record_count INTEGER'),
];

/** Shard: one row per stored name (data-holding or empty non-terminal). */
export const SHARD_MIGRATIONS: readonly Migration[] = [
  (db) =>
    db.exec(`
      CREATE TABLE nodes (
        zone_id INTEGER NOT NULL, owner TEXT NOT NULL, descendants INTEGER NOT NULL,
        has_data INTEGER NOT NULL, node BLOB NOT NULL,
        PRIMARY KEY (zone_id, owner)) WITHOUT ROWID;
    `),
];

/** Brings `db` to the newest schema in `migrations` (or checks it, when read-only). */
export function migrate(db: Database.Database, migrations: readonly Migration[], label: string, readonly: boolean): void {
  const current = schemaVersion(db);
  const target = migrations.length;
  if (current > target) {
    throw new StoreError(StoreErrorCode.SCHEMA_TOO_NEW, `${label} has schema version ${current}, newer than this idzone understands (${target}); upgrade idzone`);
  }
  if (current === target) return;
  if (readonly) {
    throw new StoreError(StoreErrorCode.SCHEMA_TOO_OLD, `${label} has schema version ${current} and needs ${target}; start the writer first so it migrates`);
  }
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID');
    for (let v = current; v < target; v++) migrations[v]!(db);
    setMeta(db, 'schema_version', target);
  }).immediate();
}

/** The schema version recorded in `meta`, 0 for a fresh file. */
export function schemaVersion(db: Database.Database): number {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").pluck().get();
  if (hasMeta === undefined) return 0;
  const v = getMeta(db, 'schema_version');
  return typeof v === 'number' ? v : Number(v ?? 0);
}

/** Meta statements prepared once per connection: getMeta runs on every write (batch numbers). */
const metaStatements = new WeakMap<Database.Database, { get: Database.Statement; set: Database.Statement }>();

function metaStatementsOf(db: Database.Database): { get: Database.Statement; set: Database.Statement } {
  let s = metaStatements.get(db);
  if (s === undefined) {
    s = {
      get: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      set: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    };
    metaStatements.set(db, s);
  }
  return s;
}

export function getMeta(db: Database.Database, key: string): unknown {
  return metaStatementsOf(db).get.get(key);
}

export function setMeta(db: Database.Database, key: string, value: number | string): void {
  metaStatementsOf(db).set.run(key, value);
}
