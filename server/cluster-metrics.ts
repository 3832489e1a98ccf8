/**
 * /metrics in cluster mode: one exposition for the whole server. The primary asks every DNS worker
 * for its metrics as JSON over IPC, adds its own, and merges them with prom-client's
 * AggregatorRegistry.aggregate (counters and histograms summed by labels), so a metric family
 * appears once even though several processes emit it. A worker that does not answer within the
 * timeout is left out of that scrape and the scrape says so in a comment.
 */
import type { Worker } from 'node:cluster';
import { AggregatorRegistry, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';

type MetricJson = MetricObjectWithValues<MetricValue<string>>[];

interface MetricsRequest {
  t: 'metrics?';
  id: number;
}
interface MetricsReply {
  t: 'metrics';
  id: number;
  json: MetricJson;
}

export class ClusterRegistry extends Registry {
  private nextId = 1;

  constructor(
    private readonly workers: () => Worker[],
    private readonly timeoutMs = 2000,
  ) {
    super();
  }

  override async metrics(): Promise<string> {
    const own = (await super.getMetricsAsJSON()) as MetricJson;
    const replies = await Promise.all(this.workers().map((w) => this.ask(w)));
    const missing = replies.filter((r) => r === undefined).length;
    const merged = AggregatorRegistry.aggregate([own, ...replies.filter((r): r is MetricJson => r !== undefined)]);
    const text = await merged.metrics();
    return missing > 0 ? `# ${missing} DNS worker(s) did not report in time\n${text}` : text;
  }

  private ask(w: Worker): Promise<MetricJson | undefined> {
    if (!w.isConnected()) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), this.timeoutMs);
      const onMessage = (m: unknown): void => {
        if (typeof m === 'object' && m !== null && (m as MetricsReply).t === 'metrics' && (m as MetricsReply).id === id) done((m as MetricsReply).json);
      };
      const done = (v: MetricJson | undefined): void => {
        clearTimeout(timer);
        w.off('message', onMessage);
        resolve(v);
      };
      w.on('message', onMessage);
      const req: MetricsRequest = { t: 'metrics?', id };
      w.send(req);
    });
  }
}

/** Worker side: answers the primary's metrics requests from the worker's registry. */
export function serveMetricsToPrimary(registry: Registry): void {
  process.on('message', (m: unknown) => {
    if (typeof m !== 'object' || m === null || (m as MetricsRequest).t !== 'metrics?') return;
    const id = (m as MetricsRequest).id;
    void registry.getMetricsAsJSON().then((json) => {
      const reply: MetricsReply = { t: 'metrics', id, json: json as MetricJson };
      process.send?.(reply);
    });
  });
}
