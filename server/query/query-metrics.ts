/**
 * DNS query metrics, declared beside the code that emits them, on an injected prom-client
 * registry (never the global one). Label values come from small closed sets: transport, a fixed
 * list of qtype names (anything else is "other"), rcode names.
 *
 * observe() runs once per answer, so it only adds to plain numbers: answers are counted under a
 * numeric key and the counter catches up when scraped, and the latency goes to a BatchedHistogram
 * child per transport. prom-client's inc() and observe() with label objects cost ~2.6 µs per
 * answer together (6 % of a positive answer's time, bench/README.md "Query path").
 */
import { Counter, type Registry } from 'prom-client';
import { BatchedHistogram, type HistogramChild } from '../batched-histogram.js';
import { Rcode, RrType, typeToString } from '../../core/rr-types.js';
import type { AnswerCacheStats } from './answer-cache.js';
import { registerTotalCounter } from '../total-counter.js';

const QTYPE_LABELS: ReadonlySet<number> = new Set([
  RrType.TLSA, RrType.SSHFP, RrType.SOA, RrType.NS, RrType.DNSKEY, RrType.NSEC3PARAM, RrType.CDS, RrType.CDNSKEY,
  RrType.ANY, RrType.A, RrType.AAAA, RrType.AXFR, RrType.IXFR, RrType.DS, RrType.RRSIG, RrType.NSEC3,
]);
const RCODE_NAMES = new Map<number, string>(Object.entries(Rcode).map(([k, v]) => [v, k]));

export interface QueryMetrics {
  observe(transport: string, qtype: number, rcode: number, seconds: number): void;
  dropped(transport: string, reason: string): void;
  /** A UDP answer held back by response rate limiting: dropped, or sent empty with TC=1. */
  rateLimited(cls: string, action: 'dropped' | 'slipped'): void;
}

export function createQueryMetrics(registry: Registry, cacheStats: () => AnswerCacheStats): QueryMetrics {
  const dropped = new Counter({ name: 'idzone_dns_dropped_total', help: 'DNS messages dropped without an answer (malformed beyond a header, responses)', labelNames: ['transport', 'reason'], registers: [registry] });
  const limited = new Counter({
    name: 'idzone_dns_rate_limited_total',
    help: 'UDP answers held back by response rate limiting, by response class and action (dropped, or slipped: sent empty with TC=1)',
    labelNames: ['class', 'action'],
    registers: [registry],
  });
  const latency = new BatchedHistogram(
    'idzone_dns_answer_duration_seconds',
    'Time from a decoded query to its encoded answer',
    [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.05],
    registry,
  );
  // Transports get small indexes as they appear (udp, tcp, tls, …).
  const transports: string[] = [];
  const latencyOf: HistogramChild[] = [];
  const transportIndex = (transport: string): number => {
    let i = transports.indexOf(transport);
    if (i < 0) {
      i = transports.push(transport) - 1;
      latencyOf.push(latency.child({ transport }));
    }
    return i;
  };
  // Answers since the last scrape by (transport, qtype label, rcode): key = (t * 65536 + qtype) * 4096 + rcode,
  // with qtype 0 for "other" (rcodes are 12 bits with EDNS).
  const pending = new Map<number, number>();
  const queries = new Counter({
    name: 'idzone_dns_queries_total',
    help: 'DNS queries answered, by transport, qtype and rcode',
    labelNames: ['transport', 'qtype', 'rcode'],
    registers: [registry],
    collect() {
      for (const [key, n] of pending) {
        const rcode = key % 4096;
        const qtype = Math.floor(key / 4096) % 65536;
        const transport = transports[Math.floor(key / (4096 * 65536))]!;
        this.inc({ transport, qtype: qtype === 0 ? 'other' : typeToString(qtype), rcode: RCODE_NAMES.get(rcode) ?? String(rcode) }, n);
      }
      pending.clear();
    },
  });
  // A registry reset forgets the answers not yet handed over too.
  const resetQueries = queries.reset.bind(queries);
  queries.reset = (): void => {
    pending.clear();
    resetQueries();
  };
  const cacheCounter = (name: string, help: string, pick: (s: AnswerCacheStats) => number): void => registerTotalCounter(registry, name, help, () => pick(cacheStats()));
  cacheCounter('idzone_answer_cache_hits_total', 'Answers served from the answer cache', (s) => s.hits);
  cacheCounter('idzone_answer_cache_misses_total', 'Queries the answer cache could not serve', (s) => s.misses);
  cacheCounter('idzone_answer_cache_evictions_total', 'Answers evicted from the answer cache to stay within its byte budget', (s) => s.evictions);
  return {
    observe(transport, qtype, rcode, seconds) {
      const t = transportIndex(transport);
      const key = (t * 65536 + (QTYPE_LABELS.has(qtype) ? qtype : 0)) * 4096 + (rcode & 0xfff);
      pending.set(key, (pending.get(key) ?? 0) + 1);
      latencyOf[t]!.observe(seconds);
    },
    dropped(transport, reason) {
      dropped.inc({ transport, reason });
    },
    rateLimited(cls, action) {
      limited.inc({ class: cls, action });
    },
  };
}

export const NO_METRICS: QueryMetrics = { observe: () => undefined, dropped: () => undefined, rateLimited: () => undefined };
