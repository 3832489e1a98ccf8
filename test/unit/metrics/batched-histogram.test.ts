/**
 * BatchedHistogram (server/batched-histogram.ts) against prom-client's own Histogram fed the same
 * observations: the same exposition text, the same JSON after cluster aggregation, and reset.
 */
import { strict as assert } from 'node:assert';
import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { BatchedHistogram } from '../../../server/batched-histogram.js';

const BOUNDS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.05];
// Below, on, between and above the bounds, and a value that is not finite (ignored by ours; prom-client throws).
const VALUES = [0, 0.000001, 0.00001, 0.00002, 0.000025, 0.00007, 0.0003, 0.004, 0.05, 0.051, 7];

/** Exposition lines in a stable order, with labels sorted inside each line. */
function lines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/\{([^}]*)\}/, (_, inner: string) => `{${inner.split(',').sort().join(',')}}`))
    .sort();
}

function pair(): { ours: Registry; theirs: Registry; child: (t: string) => (v: number) => void; prom: Histogram<'transport'> } {
  const ours = new Registry();
  const theirs = new Registry();
  const h = new BatchedHistogram('x_seconds', 'help', BOUNDS, ours);
  const prom = new Histogram({ name: 'x_seconds', help: 'help', labelNames: ['transport'], buckets: BOUNDS, registers: [theirs] });
  return { ours, theirs, prom, child: (t) => { const c = h.child({ transport: t }); return (v) => c.observe(v); } };
}

describe('BatchedHistogram', () => {
  it('exposes exactly what prom-client Histogram exposes for the same observations', async () => {
    const { ours, theirs, prom, child } = pair();
    const udp = child('udp');
    const tcp = child('tcp');
    for (const v of VALUES) {
      udp(v);
      prom.observe({ transport: 'udp' }, v);
    }
    for (const v of VALUES.slice(3)) {
      tcp(v);
      prom.observe({ transport: 'tcp' }, v);
    }
    udp(Number.NaN);
    assert.deepEqual(lines(await ours.metrics()), lines(await theirs.metrics()));
    assert.match(await ours.metrics(), /# TYPE x_seconds histogram/);
  });

  it('aggregates across processes like prom-client histograms do (cluster /metrics)', async () => {
    const a = pair();
    const b = pair();
    a.child('udp')(0.00003);
    a.prom.observe({ transport: 'udp' }, 0.00003);
    b.child('udp')(0.002);
    b.child('tcp')(0.2);
    b.prom.observe({ transport: 'udp' }, 0.002);
    b.prom.observe({ transport: 'tcp' }, 0.2);
    const ours = AggregatorRegistry.aggregate([await a.ours.getMetricsAsJSON(), await b.ours.getMetricsAsJSON()]);
    const theirs = AggregatorRegistry.aggregate([await a.theirs.getMetricsAsJSON(), await b.theirs.getMetricsAsJSON()]);
    assert.deepEqual(lines(await ours.metrics()), lines(await theirs.metrics()));
  });

  it('one series per label set, however often its child is asked for; reset drops it as prom-client does', async () => {
    const { ours, theirs, prom, child } = pair();
    const udp = child('udp');
    udp(0.001);
    child('udp')(0.001);
    assert.match(await ours.metrics(), /x_seconds_count\{transport="udp"\} 2\n/);
    ours.resetMetrics();
    prom.observe({ transport: 'udp' }, 0.001);
    theirs.resetMetrics();
    assert.deepEqual(lines(await ours.metrics()), lines(await theirs.metrics()));
    assert.doesNotMatch(await ours.metrics(), /transport="udp"/);
    udp(0.002);
    assert.match(await ours.metrics(), /x_seconds_count\{transport="udp"\} 1\n/, 'a child kept across the reset counts again');
  });

  it('refuses bounds that do not increase', () => {
    assert.throws(() => new BatchedHistogram('y', 'help', [1, 1], new Registry()), /must increase/);
  });
});
