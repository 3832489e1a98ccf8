/**
 * The query path's metrics (server/query/query-metrics.ts): answers counted in plain numbers are
 * handed to the counter at each scrape exactly once, with the label values prom-client would have
 * had, and a registry reset forgets the ones not yet handed over.
 */
import { strict as assert } from 'node:assert';
import { Registry } from 'prom-client';
import { createQueryMetrics } from '../../../server/query/query-metrics.js';

const NO_CACHE = { hits: 0, misses: 0, evictions: 0, entries: 0, bytes: 0 };

function sample(text: string, labels: string): number | undefined {
  const m = new RegExp(`^idzone_dns_queries_total\\{${labels}\\} (\\d+)$`, 'm').exec(text);
  return m === null ? undefined : Number(m[1]);
}

describe('query metrics', () => {
  it('counts each answer once across scrapes, by transport, qtype label and rcode name', async () => {
    const registry = new Registry();
    const m = createQueryMetrics(registry, () => NO_CACHE);
    for (let i = 0; i < 3; i++) m.observe('udp', 52, 0, 0.00002);
    m.observe('tcp', 44, 3, 0.00002);
    m.observe('udp', 99, 16, 0.00002); // a qtype outside the labelled set, BADVERS
    let text = await registry.metrics();
    assert.equal(sample(text, 'transport="udp",qtype="TLSA",rcode="NOERROR"'), 3);
    assert.equal(sample(text, 'transport="tcp",qtype="SSHFP",rcode="NXDOMAIN"'), 1);
    assert.equal(sample(text, 'transport="udp",qtype="other",rcode="BADVERS"'), 1);
    assert.match(text, /^idzone_dns_answer_duration_seconds_count\{transport="udp"\} 4$/m);
    m.observe('udp', 52, 0, 0.00002);
    text = await registry.metrics();
    assert.equal(sample(text, 'transport="udp",qtype="TLSA",rcode="NOERROR"'), 4, 'a second scrape adds only what is new');
    text = await registry.metrics();
    assert.equal(sample(text, 'transport="udp",qtype="TLSA",rcode="NOERROR"'), 4);
  });

  it('forgets unscraped answers on a registry reset', async () => {
    const registry = new Registry();
    const m = createQueryMetrics(registry, () => NO_CACHE);
    m.observe('udp', 52, 0, 0.00002);
    registry.resetMetrics();
    const text = await registry.metrics();
    assert.equal(sample(text, 'transport="udp",qtype="TLSA",rcode="NOERROR"'), undefined);
    assert.doesNotMatch(text, /idzone_dns_answer_duration_seconds_count\{transport="udp"\}/);
  });
});
