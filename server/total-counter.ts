/**
 * A Prometheus counter that mirrors a running total kept elsewhere (cache statistics, signature
 * counts): the hot path only increments a plain number, and the counter catches up at scrape time.
 */
import { Counter, type Registry } from 'prom-client';

export function registerTotalCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let last = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = read();
      if (now > last) this.inc(now - last);
      last = now;
    },
  });
}

/**
 * The same for totals kept per label value: `read` returns the running total of each value of
 * `label` (every value, every time), and the counter adds what each grew by since the last scrape.
 */
export function registerLabeledTotalCounter<V extends string>(registry: Registry, name: string, help: string, label: string, read: () => Record<V, number>): void {
  const last = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      for (const [value, now] of Object.entries(read()) as [string, number][]) {
        const before = last.get(value) ?? 0;
        if (now > before) this.inc({ [label]: value }, now - before);
        last.set(value, now);
      }
    },
  });
}
