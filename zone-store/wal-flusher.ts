/**
 * Writes the WAL files' dirty pages to disk in the background, on libuv's thread pool, so that the
 * checkpoint a writer's commit runs every WAL_AUTOCHECKPOINT_PAGES frames (sqlite-open.ts) finds
 * little left to write. SQLite's checkpoint first fsyncs the WAL; with synchronous=NORMAL nothing
 * else had, so that fsync wrote the whole ~40 MB WAL out on the event loop: 35–51 ms measured with
 * `strace -T`, a stall every ~1,700 single-name writes for the API and, in single-process mode, for
 * DNS. An fsync only makes bytes durable sooner; it changes nothing SQLite relies on, and a file
 * that is missing (no WAL yet, or a store closed meanwhile) is skipped.
 */
import { open, stat } from 'node:fs/promises';

export interface WalFlusher {
  /** A write happened: end an idle back-off, so the next round comes within `intervalMs`. */
  poke(): void;
  stop(): void;
}

/** Longest wait between two rounds while nothing changes (an idle server stats each file this often). */
const IDLE_MAX_MS = 3200;

/**
 * Every `intervalMs`, fsyncs `<db>-wal` for each database path whose size or modification time
 * changed since its last sync; while no file changes, the wait doubles up to IDLE_MAX_MS, so an
 * idle server pays a few stat calls every few seconds, and poke() ends that back-off when writes
 * start again. One round at a time. `onError` hears of any failure but ENOENT, once per file.
 */
export function startWalFlusher(dbPaths: readonly string[], intervalMs: number, onError?: (path: string, err: Error) => void): WalFlusher {
  const reported = new Set<string>();
  const synced = new Map<string, string>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wait = intervalMs;
  let inRound = false;
  /** True when the file had changed and was synced. */
  const flushOne = async (path: string): Promise<boolean> => {
    let handle;
    try {
      const st = await stat(path, { bigint: true });
      const seen = `${st.ino}:${st.size}:${st.mtimeNs}`;
      if (synced.get(path) === seen) return false;
      handle = await open(path, 'r');
      if (stopped) return false;
      await handle.sync();
      synced.set(path, seen);
      return true;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code !== 'ENOENT' && !reported.has(path)) {
        reported.add(path);
        onError?.(path, err);
      }
      return false;
    } finally {
      await handle?.close().catch(() => undefined);
    }
  };
  const round = (): void => {
    inRound = true;
    void Promise.all(dbPaths.map((p) => flushOne(`${p}-wal`))).then((changed) => {
      inRound = false;
      wait = changed.includes(true) ? intervalMs : Math.min(wait * 2, Math.max(IDLE_MAX_MS, intervalMs));
      if (!stopped) arm();
    });
  };
  const arm = (): void => {
    timer = setTimeout(round, wait);
    timer.unref();
  };
  arm();
  return {
    poke: () => {
      if (stopped || inRound || wait === intervalMs) return;
      wait = intervalMs;
      if (timer !== undefined) clearTimeout(timer);
      arm();
    },
    stop: () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
