/**
 * The HTTP API server (node:http, no framework): the route table, and the dispatcher that is the one
 * place where a request is matched, authenticated and authorised, handed to its route, and where the
 * route's Reply (or any error) becomes bytes: JSON, or RFC 9457 `application/problem+json` with a
 * stable code. It also records the request metrics by route template. See api/README.md.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Violation } from '../core/identity-rdata.js';
import { NameError, parseName } from '../core/names.js';
import type { TokenRecord, ZoneInfo } from '../zone-store/types.js';
import type { ApiDeps } from './api-deps.js';
import { authenticate, authorize, FORBIDDEN_CHALLENGE } from './auth.js';
import { ApiErrorCode, ApiProblemError, makeProblem, problemFromStoreError } from './errors.js';
import { createApiMetrics, type ApiMetrics } from './metrics.js';
import { awaitPropagation } from './commit.js';
import { pointerToken } from './json-fields.js';
import { WriteCoalescer } from './write-coalescer.js';
import { Router, type Reply, type Route } from './router.js';
import { changeRoutes } from './routes-changes.js';
import { importRoutes } from './routes-import.js';
import { keyRoutes } from './routes-keys.js';
import { metaRoutes } from './routes-meta.js';
import { nameRoutes } from './routes-names.js';
import { zoneRoutes } from './routes-zones.js';

export type { ApiDeps, ZoneKeyService, ZoneKeyDescription, ApiLog, ZoneRolloverService, ZoneRolloverStatus, RolloverState, RolloverStep } from './api-deps.js';

/** Every route the API serves; the OpenAPI test walks this table. */
export const API_ROUTES: readonly Route[] = Object.freeze([...zoneRoutes, ...keyRoutes, ...nameRoutes, ...changeRoutes, ...importRoutes, ...metaRoutes]);

export interface ApiServer {
  listen(host: string, port: number): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
  handle: (req: IncomingMessage, res: ServerResponse) => void;
}

export function createApiServer(deps: ApiDeps): ApiServer {
  const metrics = createApiMetrics(deps.registry, deps.store);
  const router = new Router(API_ROUTES);
  const writes = new WriteCoalescer(deps.store, {
    afterCommit: (r) => awaitPropagation(deps, r.zone, r.serial),
    onGroup: (size) => metrics.writeGroupSize.observe(size),
    log: deps.log,
  });
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    dispatch(req, res, deps, router, metrics, writes).catch((e: unknown) => {
      // Only a failure while writing the response lands here; the socket is all that is left to end.
      deps.log?.('error', 'API response failed', { error: (e as Error).message });
      res.destroy();
    });
  };
  let server: Server | undefined;
  return {
    handle,
    listen: (host, port) => listenOn((server = configureServer(createServer(handle), deps)), host, port),
    close: () => closeServer(server),
  };
}

function configureServer(server: Server, deps: ApiDeps): Server {
  // Imports of millions of names take minutes, so no whole-request deadline; slow or stalled clients
  // are bounded instead by the header deadline and the socket inactivity limit.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.setTimeout(deps.config.idleTimeoutMs);
  server.maxConnections = deps.config.maxConnections;
  return server;
}

function listenOn(server: Server, host: string, port: number): Promise<{ address: string; port: number }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      resolve({ address: a.address, port: a.port });
    });
  });
}

function closeServer(server: Server | undefined): Promise<void> {
  if (server === undefined || !server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH']);

async function dispatch(req: IncomingMessage, res: ServerResponse, deps: ApiDeps, router: Router, metrics: ApiMetrics, writes: WriteCoalescer): Promise<void> {
  const method = req.method ?? 'GET';
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const match = router.match(method, path);
  const labels = { route: match.kind === 'found' ? match.route.template : 'unmatched', method: METHODS.has(method) ? method : 'OTHER' };
  const stop = metrics.requestDuration.startTimer(labels);
  res.once('close', () => {
    stop();
    metrics.requests.inc({ ...labels, status: String(res.statusCode) });
  });
  let reply: Reply;
  try {
    if (match.kind === 'none') reply = badPercentEncoding(path) ? problemReply(ApiErrorCode.VALIDATION, `the path is not valid percent-encoding: ${path.slice(0, 200)}`) : problemReply(ApiErrorCode.NOT_FOUND, `no resource at ${path.slice(0, 200)}`);
    else if (match.kind === 'method') reply = { ...problemReply(ApiErrorCode.METHOD, `${method} is not allowed here; use ${match.allow.join(', ')}`), headers: { Allow: match.allow.join(', ') } };
    else reply = await runRoute(req, res, deps, metrics, writes, match.route, match.params, q === -1 ? '' : rawUrl.slice(q + 1));
  } catch (e) {
    reply = replyForError(e, deps, path);
  }
  send(req, res, reply, path);
}

/** A path whose segments do not all percent-decode (a `{name}` like `a%ZZb` matches no route). */
function badPercentEncoding(path: string): boolean {
  if (!path.includes('%')) return false;
  try {
    for (const segment of path.split('/')) decodeURIComponent(segment);
    return false;
  } catch {
    return true;
  }
}

async function runRoute(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ApiDeps,
  metrics: ApiMetrics,
  writes: WriteCoalescer,
  route: Route,
  params: Record<string, string>,
  query: string,
): Promise<Reply> {
  let token: TokenRecord | undefined;
  if (needsToken(route, deps)) {
    const auth = authenticate(req.headers.authorization, deps.store);
    if (!auth.ok) return { kind: 'problem', problem: auth.problem, headers: { 'WWW-Authenticate': auth.challenge } };
    token = auth.token;
  }
  let zone: ZoneInfo | undefined;
  if (params.zone !== undefined) {
    const resolved = resolveZone(params.zone, route, token!, deps);
    if (!resolved.ok) return resolved.reply;
    zone = resolved.zone;
  } else if (route.access === 'admin') {
    const forbidden = authorize(token!, { admin: true });
    if (forbidden !== undefined) return { kind: 'problem', problem: forbidden, headers: { 'WWW-Authenticate': FORBIDDEN_CHALLENGE } };
  }
  const search = new URLSearchParams(query);
  const unknown = queryViolations(search, route.query ?? []);
  if (unknown.length > 0) return { kind: 'problem', problem: makeProblem(ApiErrorCode.VALIDATION, unknown[0]!.message, unknown) };
  return route.handler({ req, res, params, query: search, token, zone, deps, metrics, writes });
}

/**
 * Query parameters the route does not read, or reads once and got twice: refused like unknown body
 * fields, since a write that ignored `?dryRun=true` or a listing that ignored `?afterr=` would do
 * something other than what was asked.
 */
function queryViolations(search: URLSearchParams, known: readonly string[]): Violation[] {
  const out: Violation[] = [];
  const seen = new Set<string>();
  for (const key of search.keys()) {
    const pointer = `/query/${pointerToken(key)}`;
    const shown = JSON.stringify(key.slice(0, 100));
    if (!known.includes(key)) {
      const allowed = known.length > 0 ? `allowed: ${known.join(', ')}` : 'this resource takes none';
      out.push({ pointer, message: `unknown query parameter ${shown} (${allowed})` });
    } else if (seen.has(key)) out.push({ pointer, message: `query parameter ${shown} is given more than once` });
    seen.add(key);
  }
  return out;
}

function needsToken(route: Route, deps: ApiDeps): boolean {
  if (route.access === 'open') return false;
  if (route.access === 'health') return deps.config.healthAccess === 'token';
  if (route.access === 'metrics') return deps.config.metricsAccess === 'token';
  return true;
}

/** `{zone}`: parse, check the token's scope (before existence, so scope hides other zones), load. */
function resolveZone(text: string, route: Route, token: TokenRecord, deps: ApiDeps): { ok: true; zone: ZoneInfo } | { ok: false; reply: Reply } {
  let name: string;
  try {
    name = parseName(text);
  } catch (e) {
    const message = `zone ${JSON.stringify(text.slice(0, 300))} is not a domain name: ${(e as Error).message}`;
    return { ok: false, reply: { kind: 'problem', problem: makeProblem(ApiErrorCode.VALIDATION, message, [{ pointer: '/path/zone', message }]) } };
  }
  const forbidden = authorize(token, { zone: name, write: route.access === 'write', admin: route.access === 'admin' });
  if (forbidden !== undefined) return { ok: false, reply: { kind: 'problem', problem: forbidden, headers: { 'WWW-Authenticate': FORBIDDEN_CHALLENGE } } };
  const zone = deps.store.getZone(name);
  if (zone === undefined) return { ok: false, reply: problemReply(ApiErrorCode.NOT_FOUND, `no zone ${name}`) };
  return { ok: true, zone };
}

/** Signer errors carry stable ERR_SIGNER_* codes (signer/errors.ts); api/ does not import signer/. */
function isSignerFault(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return e instanceof Error && typeof code === 'string' && code.startsWith('ERR_SIGNER_');
}

function problemReply(code: ApiErrorCode, detail: string): Reply & { kind: 'problem' } {
  return { kind: 'problem', problem: makeProblem(code, detail) };
}

/** Thrown errors: carried problems, mapped store errors, bad names; anything else is a logged 500. */
function replyForError(e: unknown, deps: ApiDeps, path: string): Reply {
  if (e instanceof ApiProblemError) return { kind: 'problem', problem: e.problem };
  const mapped = problemFromStoreError(e);
  if (mapped !== undefined) return { kind: 'problem', problem: mapped };
  if (e instanceof NameError) return problemReply(ApiErrorCode.VALIDATION, e.message);
  if (isSignerFault(e)) {
    // The zone is signed but cannot sign now (key files missing or unreadable): nothing was
    // stored, and storing unsigned data for a signed zone is never an option.
    deps.log?.('error', 'write refused: the zone cannot be signed', { path: path.slice(0, 200), error: (e as Error).message });
    return problemReply(ApiErrorCode.UNAVAILABLE, `nothing was stored: ${(e as Error).message}; the server log says which key file is missing or unreadable`);
  }
  deps.log?.('error', 'API request failed', { path: path.slice(0, 200), error: (e as Error).message, stack: (e as Error).stack });
  return problemReply(ApiErrorCode.INTERNAL, 'the server failed to handle this request; the failure is logged');
}

function send(req: IncomingMessage, res: ServerResponse, reply: Reply, path: string): void {
  if (res.headersSent) return;
  switch (reply.kind) {
    case 'json':
      return write(res, reply.status, 'application/json', JSON.stringify(reply.body), reply.headers);
    case 'text':
      return write(res, reply.status, reply.contentType, reply.body, undefined);
    case 'empty':
      res.writeHead(reply.status, { 'Cache-Control': 'no-store', ...reply.headers });
      res.end();
      return;
    case 'problem':
      if (reply.close === true) closeAfter(req, res);
      return write(res, reply.problem.status, 'application/problem+json', JSON.stringify({ ...reply.problem, instance: path.slice(0, 500) }), reply.headers);
    default:
      return assertNever(reply);
  }
}

function write(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> | undefined): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}

/**
 * The rest of the body is not read (a 413 must not make the server swallow 20 MB): the answer says
 * `Connection: close` and the socket is destroyed once the answer is flushed.
 */
function closeAfter(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Connection', 'close');
  res.once('finish', () => {
    req.socket.destroySoon();
  });
}

function assertNever(x: never): never {
  throw new Error(`unexpected reply ${JSON.stringify(x)}`);
}
