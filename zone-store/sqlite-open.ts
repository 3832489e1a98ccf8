/**
 * Opens one SQLite file the way every idzone database is opened: WAL journal (readers never block
 * the writer), synchronous=NORMAL (durable at checkpoints; a power cut may lose the last commits but
 * never corrupts), a busy timeout for the moments a checkpoint holds a lock, and a read-only flag for
 * worker processes, which then cannot write even by mistake.
 */
import Database from 'better-sqlite3';

export const BUSY_TIMEOUT_MS = 5000;

export function openDatabase(path: string, readonly: boolean): Database.Database {
  const db = new Database(path, { readonly, fileMustExist: readonly });
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  // A larger page cache than the 2 MiB default keeps hot shard pages resident; bounded per file.
  db.pragma('cache_size = -16384');
  return db;
}

/** Truncates the WAL so the next open does not replay it (after bulk imports). */
export function checkpointDatabase(db: Database.Database): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
}
