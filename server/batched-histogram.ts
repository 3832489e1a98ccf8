/**
 * A Prometheus histogram for the query path. prom-client's Histogram hashes its label object and
 * validates it on every observe(), ~1.5 µs a query (bench/README.md, "Query path"); here a child is
 * picked once per label set and observe() is a bucket search and three additions. The values are
 * exposed in prom-client's own shape (`_bucket` with cumulative `le`, `_sum`, `_count`), so the
 * text exposition and AggregatorRegistry (cluster-metrics.ts) treat it like one of theirs.
 */
import type { Metric, Registry } from 'prom-client';

/** One exposed value, as prom-client's own metrics give them to the registry. */
export interface ExposedValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

export interface HistogramChild {
  observe(value: number): void;
}

interface Series {
  key: string;
  /** In the exposition; false after a reset until its child observes again (prom-client drops labelled series on reset). */
  live: boolean;
  labels: Record<string, string>;
  /** Observations per bucket, not cumulative; the last slot is +Inf. */
  counts: Float64Array;
  sum: number;
}

export class BatchedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();
  private readonly bounds: Float64Array;

  constructor(
    readonly name: string,
    readonly help: string,
    bounds: readonly number[],
    registry: Registry,
  ) {
    if (bounds.some((b, i) => i > 0 && b <= bounds[i - 1]!)) throw new Error(`${name}: bucket bounds must increase`);
    this.bounds = Float64Array.from(bounds);
    registry.registerMetric(this as unknown as Metric<string>);
  }

  /** The series of one label set, made on first use; keep it and observe on it. */
  child(labels: Record<string, string>): HistogramChild {
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    let s = this.series.get(key);
    if (s === undefined) {
      s = { key, live: true, labels: { ...labels }, counts: new Float64Array(this.bounds.length + 1), sum: 0 };
      this.series.set(key, s);
    }
    const series = s;
    const bounds = this.bounds;
    const all = this.series;
    return {
      observe(value: number): void {
        if (!Number.isFinite(value)) return;
        if (!series.live) {
          series.live = true;
          all.set(series.key, series);
        }
        let i = 0;
        while (i < bounds.length && value > bounds[i]!) i++;
        series.counts[i]! += 1;
        series.sum += value;
      },
    };
  }

  get(): Promise<{ name: string; help: string; type: 'histogram'; values: ExposedValue[]; aggregator: 'sum' }> {
    const values: ExposedValue[] = [];
    for (const s of this.series.values()) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: this.bounds[i]!, ...s.labels }, value: acc });
      }
      acc += s.counts[this.bounds.length]!;
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...s.labels }, value: acc });
      values.push({ metricName: `${this.name}_sum`, labels: { ...s.labels }, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...s.labels }, value: acc });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  reset(): void {
    for (const s of this.series.values()) {
      s.live = false;
      s.counts.fill(0);
      s.sum = 0;
    }
    this.series.clear();
  }
}
