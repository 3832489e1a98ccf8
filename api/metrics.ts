/**
 * The API's Prometheus metrics, declared beside the code that updates them and registered on the
 * injected registry (never prom-client's global one). Labels come only from closed sets: the route
 * template (never the raw path, which holds names), the method, the status, the write operation, and
 * the zone name for the per-zone gauge (zones are few; names never become labels).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ZoneReader } from '../zone-store/types.js';

export type WriteOp = 'put' | 'delete' | 'changes' | 'import_batch' | 'zone_create' | 'zone_delete' | 'key_rollover';

export interface ApiMetrics {
  requests: Counter<'route' | 'method' | 'status'>;
  requestDuration: Histogram<'route' | 'method'>;
  writeDuration: Histogram<'op'>;
  writeGroupSize: Histogram;
  importNames: Counter<'result'>;
  zoneNames: Gauge<'zone'>;
  zoneRecords: Gauge<'zone'>;
}

/** Seconds: from sub-millisecond point writes to multi-second import batches. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createApiMetrics(registry: Registry, store: Pick<ZoneReader, 'listZones' | 'countNames' | 'countRecords'>): ApiMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'idzone_api_requests_total',
      help: 'API requests answered, by route template, method and HTTP status.',
      labelNames: ['route', 'method', 'status'] as const,
      registers,
    }),
    requestDuration: new Histogram({
      name: 'idzone_api_request_duration_seconds',
      help: 'Time from request arrival to the last byte of the response, by route template and method.',
      labelNames: ['route', 'method'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    writeDuration: new Histogram({
      name: 'idzone_api_write_duration_seconds',
      help: 'Store commit plus propagation to every DNS worker, by write operation.',
      labelNames: ['op'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    writeGroupSize: new Histogram({
      name: 'idzone_api_write_group_size',
      help: 'Single-name PUTs and DELETEs committed together by one store transaction (group commit).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers,
    }),
    importNames: new Counter({
      name: 'idzone_api_import_names_total',
      help: 'Names read by NDJSON imports, by result (accepted or rejected).',
      labelNames: ['result'] as const,
      registers,
    }),
    zoneNames: new Gauge({
      name: 'idzone_api_zone_names',
      help: 'Names holding identity records, per zone (read from the store at scrape time).',
      labelNames: ['zone'] as const,
      registers,
      collect() {
        // Reset first so a deleted zone disappears instead of keeping its last value.
        this.reset();
        for (const z of store.listZones()) this.set({ zone: z.name }, store.countNames(z));
      },
    }),
    zoneRecords: new Gauge({
      name: 'idzone_api_zone_records',
      help: 'Identity records (TLSA and SSHFP RRs) per zone (read from the store at scrape time).',
      labelNames: ['zone'] as const,
      registers,
      collect() {
        this.reset();
        for (const z of store.listZones()) {
          const n = store.countRecords(z);
          if (n !== undefined) this.set({ zone: z.name }, n);
        }
      },
    }),
  };
}
