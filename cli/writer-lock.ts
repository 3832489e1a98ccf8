/**
 * One writer per data directory. The store's crash recovery and the servers' cache invalidation
 * both assume a single writing process, so `serve` and the writing CLI commands take
 * `<data-dir>/writer.lock` (created with O_EXCL, holding the pid). A lock left by a dead process
 * is taken over; a live one is reported with its pid and what to do instead.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class WriterLockError extends Error {
  readonly code = 'ERR_CLI_DATA_DIR_LOCKED';
}

export interface WriterLock {
  release(): void;
}

export function acquireWriterLock(dataDir: string, purpose: string): WriterLock {
  const path = join(dataDir, 'writer.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n${purpose}\n`);
      closeSync(fd);
      return { release: () => releaseIfOurs(path) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(path);
      if (holder !== undefined && isAlive(holder.pid) && holder.pid !== process.pid) {
        throw new WriterLockError(
          `data directory ${dataDir} is in use by process ${holder.pid} (${holder.purpose}); ` +
            `while the server runs, change data through its HTTP API (e.g. POST /api/v1/zones/{zone}/import), or stop it first`,
        );
      }
      try {
        unlinkSync(path); // stale lock of a dead process
      } catch {
        /* raced with another remover; retry */
      }
    }
  }
  throw new WriterLockError(`could not take ${path}`);
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

function releaseIfOurs(path: string): void {
  const holder = readHolder(path);
  if (holder?.pid === process.pid) {
    try {
      unlinkSync(path);
    } catch {
      /* already gone */
    }
  }
}
