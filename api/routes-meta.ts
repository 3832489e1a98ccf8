/**
 * Operational routes: the OpenAPI document, health and Prometheus metrics. Health and metrics are
 * open or token-protected per config (access 'health' / 'metrics'); the OpenAPI document is always
 * open, since it describes the API and holds no data.
 */
import { OPENAPI_DOCUMENT } from './openapi.js';
import type { Reply, Route, RouteContext } from './router.js';

export const metaRoutes: Route[] = [
  { method: 'GET', template: '/api/v1/openapi.json', operationId: 'getOpenApi', access: 'open', handler: getOpenApi },
  { method: 'GET', template: '/healthz', operationId: 'getHealth', access: 'health', handler: getHealth },
  { method: 'GET', template: '/metrics', operationId: 'getMetrics', access: 'metrics', handler: getMetrics },
];

const openApiText = JSON.stringify(OPENAPI_DOCUMENT);

async function getOpenApi(): Promise<Reply> {
  return { kind: 'text', status: 200, contentType: 'application/json', body: openApiText };
}

/**
 * 200 while the server runs: "ok", or "degraded" with `problems` (writes that cannot complete, zones
 * that cannot sign). It stays 200 when degraded on purpose: DNS is still answered, and a liveness
 * probe that restarted the server would not free a disk or restore a key file — alert on `status`.
 */
async function getHealth(ctx: RouteContext): Promise<Reply> {
  const zones = ctx.deps.store.listZones().length;
  const problems = ctx.deps.health?.() ?? [];
  const body = problems.length === 0 ? { status: 'ok', zones } : { status: 'degraded', zones, problems };
  return { kind: 'json', status: 200, body };
}

async function getMetrics(ctx: RouteContext): Promise<Reply> {
  const { registry } = ctx.deps;
  return { kind: 'text', status: 200, contentType: registry.contentType, body: await registry.metrics() };
}
