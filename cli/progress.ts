/**
 * A one-line progress bar for long CLI jobs (bulk import): share of the input read, names done,
 * rate and rejected count, redrawn in place with a carriage return and an erase-line escape (ECMA-48
 * EL). Redraws are throttled (at most 10 per second by default) so a job of millions of lines spends
 * its time on the job, not on the terminal. Only meant for a TTY; callers print a plain summary
 * otherwise.
 */

export interface ProgressState {
  /** Bytes of input consumed so far. */
  bytes: number;
  names: number;
  rejected: number;
}

export interface ProgressBar {
  /** Redraws if the last redraw is older than the interval. */
  update(state: ProgressState): void;
  /** Draws the final state and ends the line. */
  finish(state: ProgressState): void;
}

export interface ProgressOptions {
  stream: NodeJS.WritableStream;
  totalBytes: number;
  /** Clock in milliseconds (injected by tests). */
  now?: () => number;
  /** Minimum time between redraws; 100 ms = 10 redraws per second. */
  intervalMs?: number;
  /** Width of the bar itself in characters. */
  width?: number;
}

export function createProgressBar(opts: ProgressOptions): ProgressBar {
  const now = opts.now ?? (() => performance.now());
  const interval = opts.intervalMs ?? 100;
  const start = now();
  let last = -Infinity;
  const draw = (state: ProgressState, t: number): void => {
    const line = formatProgressLine(state, opts.totalBytes, (t - start) / 1000, opts.width ?? 30);
    opts.stream.write(`\r\x1b[K${line}`);
  };
  return {
    update(state) {
      const t = now();
      if (t - last < interval) return;
      last = t;
      draw(state, t);
    },
    finish(state) {
      draw(state, now());
      opts.stream.write('\n');
    },
  };
}

/** `[#######-------]  48%  120,000 names  40,000/s  3 rejected` (pure, for tests). */
export function formatProgressLine(state: ProgressState, totalBytes: number, seconds: number, width: number): string {
  const share = totalBytes > 0 ? Math.min(1, state.bytes / totalBytes) : 1;
  const filled = Math.round(share * width);
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  const pct = `${Math.floor(share * 100)}%`.padStart(4);
  const rate = seconds > 0 ? Math.round(state.names / seconds) : 0;
  return `[${bar}] ${pct}  ${formatCount(state.names)} names  ${formatCount(rate)}/s  ${formatCount(state.rejected)} rejected`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
