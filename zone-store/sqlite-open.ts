/**
 * Opens one SQLite file the way every idzone database is opened: WAL journal (readers never block
 * the writer), synchronous=NORMAL (durable at checkpoints; a power cut may lose the last commits but
 * never corrupts), a busy timeout for the moments a checkpoint holds a lock, and a read-only flag for
 * worker processes, which then cannot write even by mistake.
 */
import Database from 'better-sqlite3';

export const BUSY_TIMEOUT_MS = 5000;
export const PAGE_CACHE_KIB = 1024;

export function openDatabase(path: string, readonly: boolean): Database.Database {
  const db = new Database(path, { readonly, fileMustExist: readonly });
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  // 1 MiB of page cache per file (better-sqlite3's build default is 16 MiB: with a catalog and 8
  // shards per process that alone was ~147 MB of RSS once warm). The B-tree interior pages of a
  // million-name shard fit easily; leaf pages come from the OS page cache through pread, which
  // costs microseconds and does not count against the process's memory. Positive-answer rates
  // with 1 and 2 MiB were within this VM's run-to-run spread (bench/README.md).
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  return db;
}

/** Truncates the WAL so the next open does not replay it (after bulk imports). */
export function checkpointDatabase(db: Database.Database): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
}
