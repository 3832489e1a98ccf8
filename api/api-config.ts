/**
 * The API's configuration: validated, defaulted and frozen before the server is built (the fastify
 * initial-config habit). Unknown keys and out-of-range values are refused with every problem listed at
 * once, so a typo never silently keeps a default.
 */

export interface ApiConfig {
  /** Largest JSON request body, enforced while streaming (413 beyond it). */
  readonly maxBodyBytes: number;
  /** Largest single NDJSON line of an import; longer lines are rejected without being buffered. */
  readonly importMaxLineBytes: number;
  /** Names committed per store transaction during an import. */
  readonly importBatchSize: number;
  /** Rejected lines kept in an import report (the count stays exact beyond it). */
  readonly importMaxReportedRejections: number;
  /** Whether GET /metrics needs a bearer token. */
  readonly metricsAccess: 'open' | 'token';
  /** Whether GET /healthz needs a bearer token. */
  readonly healthAccess: 'open' | 'token';
  /** Socket inactivity limit in ms: bounds slow clients that stop sending mid-body. */
  readonly idleTimeoutMs: number;
  /**
   * Open API connections beyond which new ones are closed at once: clients that trickle headers for
   * the 30 s header deadline cannot take the process's file descriptors from DNS over TCP.
   */
  readonly maxConnections: number;
}

export const DEFAULT_API_CONFIG: ApiConfig = Object.freeze({
  maxBodyBytes: 1024 * 1024,
  importMaxLineBytes: 64 * 1024,
  // 2,500 rather than 10,000: each young-generation GC copies the batch being committed, and
  // smaller batches overlap parsing and committing better (api/README.md, "Import").
  importBatchSize: 2_500,
  importMaxReportedRejections: 100_000,
  metricsAccess: 'open',
  healthAccess: 'open',
  idleTimeoutMs: 60_000,
  maxConnections: 1024,
});

type IntKey = 'maxBodyBytes' | 'importMaxLineBytes' | 'importBatchSize' | 'importMaxReportedRejections' | 'idleTimeoutMs' | 'maxConnections';
const INT_RANGES: Readonly<Record<IntKey, readonly [number, number]>> = {
  maxBodyBytes: [1024, 1024 * 1024 * 1024],
  importMaxLineBytes: [256, 16 * 1024 * 1024],
  importBatchSize: [1, 1_000_000],
  importMaxReportedRejections: [0, 10_000_000],
  idleTimeoutMs: [1000, 3_600_000],
  maxConnections: [1, 100_000],
};
const ACCESS_KEYS = ['metricsAccess', 'healthAccess'] as const;

export type ApiConfigResult = { ok: true; config: ApiConfig } | { ok: false; errors: string[] };

/** Validates `input` (an object of overrides, or undefined) over the defaults and freezes the result. */
export function createApiConfig(input: unknown = {}): ApiConfigResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, errors: ['API config must be an object'] };
  const src = input as Record<string, unknown>;
  const errors: string[] = [];
  const known = new Set<string>([...Object.keys(INT_RANGES), ...ACCESS_KEYS]);
  for (const k of Object.keys(src)) if (!known.has(k)) errors.push(`unknown API config key "${k}"`);
  const out: { -readonly [K in keyof ApiConfig]: ApiConfig[K] } = { ...DEFAULT_API_CONFIG };
  for (const [k, [min, max]] of Object.entries(INT_RANGES) as [IntKey, readonly [number, number]][]) {
    const v = src[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) errors.push(`${k} must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
    else out[k] = v;
  }
  for (const k of ACCESS_KEYS) {
    const v = src[k];
    if (v === undefined) continue;
    if (v !== 'open' && v !== 'token') errors.push(`${k} must be "open" or "token", got ${JSON.stringify(v)}`);
    else out[k] = v;
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config: Object.freeze(out) };
}
