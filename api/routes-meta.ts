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

async function getHealth(ctx: RouteContext): Promise<Reply> {
  // Listing zones touches the store, so a closed or broken store shows here as a 500.
  const zones = ctx.deps.store.listZones().length;
  return { kind: 'json', status: 200, body: { status: 'ok', zones } };
}

async function getMetrics(ctx: RouteContext): Promise<Reply> {
  const { registry } = ctx.deps;
  return { kind: 'text', status: 200, contentType: registry.contentType, body: await registry.metrics() };
}
