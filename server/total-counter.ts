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
