/**
 * Opens one SQLite file the way every idzone database is opened: WAL journal (readers never block
 * the writer), synchronous=NORMAL (durable at checkpoints; a power cut may lose the last commits but
 * never corrupts), a busy timeout for the moments a checkpoint holds a lock, and a read-only flag for
 * worker processes, which then cannot write even by mistake.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import Database from 'better-sqlite3';

export const BUSY_TIMEOUT_MS = 5000;
export const PAGE_CACHE_KIB = 1024;
/**
 * WAL frames before a commit also checkpoints (SQLite's default: 1,000). A checkpoint costs two
 * fsyncs (0.3-5 ms on this VM) plus a copy of each distinct page, and a single-name write adds ~8
 * frames to the catalog's WAL, nearly all of them the same few pages again; at 1,000 frames every
 * ~125th write paid for it, ~40 % of a catalog commit on average. At 10,000 frames that cost is
 * within noise (bench/README.md, "Write path"). The WAL then grows to ~40 MB per file between
 * checkpoints; JOURNAL_SIZE_LIMIT truncates what is left above that after one.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;
export const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

export interface OpenOptions {
  /**
   * Bytes of the file SQLite may read through a memory map instead of pread (PRAGMA mmap_size;
   * default 0: none). Saves a syscall and a copy per page read, but every page a process touches
   * then counts in its RSS (shared, clean page cache the kernel can drop, yet RSS all the same).
   */
  mmapBytes?: number;
  /** WAL size at which a shard writer forces the WAL to start over (default WAL_RESTART_BYTES; tests set less). */
  walRestartBytes?: number;
}

export function openDatabase(path: string, readonly: boolean, opts: OpenOptions = {}): Database.Database {
  // SQLite opens a file it may not write read-only without a word: the writer then started and
  // failed at its first write ("attempt to write a readonly database"), or left a change committed
  // in the catalog that a read-only shard could never apply.
  if (!readonly && existsSync(path)) {
    try {
      accessSync(path, constants.W_OK);
    } catch (e) {
      throw withPath(new Error(`not writable by this process (${(e as NodeJS.ErrnoException).code ?? 'EACCES'}): check its owner, mode and mount`), path);
    }
  }
  const db = new Database(path, { readonly, fileMustExist: readonly });
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
  }
  // 1 MiB of page cache per file (better-sqlite3's build default is 16 MiB: with a catalog and 8
  // shards per process that alone was ~147 MB of RSS once warm). The B-tree interior pages of a
  // million-name shard fit easily; leaf pages come from the OS page cache through pread, which
  // costs microseconds and does not count against the process's memory. Positive-answer rates
  // with 1 and 2 MiB were within this VM's run-to-run spread (bench/README.md).
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  if (opts.mmapBytes !== undefined && opts.mmapBytes > 0) db.pragma(`mmap_size = ${Math.floor(opts.mmapBytes)}`);
  return db;
}

/**
 * WAL size above which a writer forces the WAL to start over (shard.ts): twice what the automatic
 * checkpoint lets it reach with 4 KiB pages.
 */
export const WAL_RESTART_BYTES = 2 * WAL_AUTOCHECKPOINT_PAGES * 4096;

/** Copies every WAL frame into the database and starts the WAL over, waiting for readers to let it. */
export function restartWal(db: Database.Database): void {
  db.pragma('wal_checkpoint(RESTART)');
}

/** Truncates the WAL so the next open does not replay it (after bulk imports). */
export function checkpointDatabase(db: Database.Database): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
}

/** `e` with `path` in front of its message (SQLite's own messages name no file), once. */
export function withPath(e: unknown, path: string): unknown {
  if (e instanceof Error && !e.message.startsWith(path)) e.message = `${path}: ${e.message}`;
  return e;
}
