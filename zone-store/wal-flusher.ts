/**
 * Writes the WAL files' dirty pages to disk in the background, on libuv's thread pool, so that the
 * checkpoint a writer's commit runs every WAL_AUTOCHECKPOINT_PAGES frames (sqlite-open.ts) finds
 * little left to write. SQLite's checkpoint first fsyncs the WAL; with synchronous=NORMAL nothing
 * else had, so that fsync wrote the whole ~40 MB WAL out on the event loop: 35–51 ms measured with
 * `strace -T`, a stall every ~1,700 single-name writes for the API and, in single-process mode, for
 * DNS. An fsync only makes bytes durable sooner; it changes nothing SQLite relies on, and a file
 * that is missing (no WAL yet, or a store closed meanwhile) is skipped.
 */
import { open } from 'node:fs/promises';

export interface WalFlusher {
  stop(): void;
}

/**
 * Every `intervalMs`, fsyncs `<db>-wal` for each database path, one round at a time (a round still
 * running when the next is due is not doubled). `onError` hears of any failure but ENOENT, once
 * per file.
 */
export function startWalFlusher(dbPaths: readonly string[], intervalMs: number, onError?: (path: string, err: Error) => void): WalFlusher {
  const reported = new Set<string>();
  let running = false;
  let stopped = false;
  const flushOne = async (path: string): Promise<void> => {
    let handle;
    try {
      handle = await open(path, 'r');
      if (!stopped) await handle.sync();
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code !== 'ENOENT' && !reported.has(path)) {
        reported.add(path);
        onError?.(path, err);
      }
    } finally {
      await handle?.close().catch(() => undefined);
    }
  };
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = true;
    void Promise.all(dbPaths.map((p) => flushOne(`${p}-wal`))).finally(() => {
      running = false;
    });
  }, intervalMs);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
