/**
 * One writer per data directory. The store's crash recovery and the servers' cache invalidation
 * both assume a single writing process, so `serve` and the writing CLI commands take the writer
 * lock. The lock itself is an exclusive SQLite lock on `<data-dir>/writer.lock.sqlite` (an fcntl
 * lock underneath): the kernel drops it when its process dies, however it dies, so there is no
 * stale lock to take over and no window in which two processes that both found one dead can both
 * believe they hold it. `<data-dir>/writer.lock` only says who holds it (pid, then purpose), for
 * the refusal message and for finding a live server (serve-command.ts readLiveServer).
 *
 * Within one process the lock is re-entrant (tests and in-process CLI runs take it around a
 * server of their own); it is released when the last holder releases it.
 */
import Database from 'better-sqlite3';
import { chmodSync, closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

export class WriterLockError extends Error {
  readonly code = 'ERR_CLI_DATA_DIR_LOCKED';
}

export interface WriterLock {
  release(): void;
}

/** Held locks of this process, by resolved lock file path. */
const held = new Map<string, { db: Database.Database; holders: number }>();

export function acquireWriterLock(dataDir: string, purpose: string): WriterLock {
  const infoPath = join(dataDir, 'writer.lock');
  const lockPath = resolve(join(dataDir, 'writer.lock.sqlite'));
  const mine = held.get(lockPath);
  if (mine === undefined) held.set(lockPath, { db: takeLock(dataDir, lockPath, infoPath), holders: 1 });
  else mine.holders++;
  writeInfo(infoPath, purpose);
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      const h = held.get(lockPath);
      if (h === undefined || --h.holders > 0) return;
      held.delete(lockPath);
      if (readHolder(infoPath)?.pid === process.pid) {
        try {
          unlinkSync(infoPath);
        } catch {
          /* already gone */
        }
      }
      h.db.close();
    },
  };
}

/**
 * BEGIN EXCLUSIVE in exclusive locking mode: the first write keeps the file's EXCLUSIVE lock until
 * the connection closes. The file is never deleted (a new inode would be a second lock).
 *
 * Two processes that start together can each take the file's SHARED lock and then wait for the
 * other to drop it: with a busy timeout both waited it out and both were refused (a clean-clone CI
 * run; every time once the timeout was 2 s). So each try fails at once, the connection is closed
 * (dropping its SHARED lock), and the next try comes after a random pause, until LOCK_WAIT_MS.
 */
function takeLock(dataDir: string, lockPath: string, infoPath: string): Database.Database {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    const db = new Database(lockPath, { timeout: 0 });
    try {
      chmodSync(lockPath, 0o600);
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL)');
      db.prepare('DELETE FROM holder').run();
      db.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
      db.exec('COMMIT');
      return db;
    } catch (err) {
      db.close();
      const code = (err as { code?: string }).code ?? '';
      if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
        // It holds nothing but the lock: say which file, and what to do (SQLite names no file).
        throw new WriterLockError(`${lockPath} is damaged (${(err as Error).message}); it holds only the writer lock: delete it once no idzone process uses ${dataDir}`);
      }
      if (!code.startsWith('SQLITE_BUSY') && !code.startsWith('SQLITE_LOCKED')) throw err;
      if (Date.now() < deadline) {
        pause(10 + Math.floor(Math.random() * 40));
        continue;
      }
      const holder = readHolder(infoPath);
      const who = holder !== undefined ? `process ${holder.pid} (${holder.purpose})` : 'another process';
      throw new WriterLockError(
        `data directory ${dataDir} is in use by ${who}; ` +
          `while the server runs, change data through its HTTP API (e.g. POST /api/v1/zones/{zone}/import), or stop it first`,
      );
    }
  }
}

/** How long a process tries to take the lock while another takes or holds it (ms). */
const LOCK_WAIT_MS = 1000;

/** Blocks the thread for `ms` (start-up only: nothing else runs yet). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function writeInfo(path: string, purpose: string): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    writeSync(fd, `${process.pid}\n${purpose}\n`);
  } finally {
    closeSync(fd);
  }
}

function readHolder(path: string): { pid: number; purpose: string } | undefined {
  try {
    const [pid, purpose] = readFileSync(path, 'utf8').split('\n');
    const n = Number(pid);
    return Number.isInteger(n) && n > 0 ? { pid: n, purpose: purpose ?? '' } : undefined;
  } catch {
    return undefined;
  }
}

/** True when a process with this pid exists (EPERM: it exists but is not ours). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
