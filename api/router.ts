/**
 * The route table's types and its matcher. A route is a method, a path template with `{param}`
 * segments, the access it needs and a handler returning a Reply value (never writing the response
 * itself), so the dispatcher in api-server.ts is the one place that turns replies and problems into
 * bytes, records metrics and maps errors. Templates match raw (still percent-encoded) segments, so a
 * `%2F` inside a name never splits it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenRecord, ZoneInfo } from '../zone-store/types.js';
import type { ApiDeps } from './api-deps.js';
import type { Problem } from './errors.js';
import type { ApiMetrics } from './metrics.js';
import type { WriteCoalescer } from './write-coalescer.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * open: nobody needs a token. token: any valid token. read/write: a token covering `{zone}` (write
 * also needs the write flag). admin: the admin flag (and `{zone}` coverage when there is one).
 * health/metrics: open or token, per config.
 */
export type Access = 'open' | 'token' | 'read' | 'write' | 'admin' | 'health' | 'metrics';

export type Reply =
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'empty'; status: number; headers?: Record<string, string> }
  | { kind: 'text'; status: number; contentType: string; body: string }
  | { kind: 'problem'; problem: Problem; close?: boolean; headers?: Record<string, string> };

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Decoded path parameters. */
  params: Record<string, string>;
  query: URLSearchParams;
  token: TokenRecord | undefined;
  /** The zone of a `{zone}` route, resolved (and scope-checked) by the dispatcher. */
  zone: ZoneInfo | undefined;
  deps: ApiDeps;
  metrics: ApiMetrics;
  /** Group commit for single-name writes (write-coalescer.ts). */
  writes: WriteCoalescer;
}

export interface Route {
  method: HttpMethod;
  template: string;
  /** The operationId of this route in the OpenAPI document. */
  operationId: string;
  access: Access;
  /** The query parameters the route reads; any other (or one given twice) is a 400. */
  query?: readonly string[];
  handler: (ctx: RouteContext) => Promise<Reply>;
}

export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method'; allow: (HttpMethod | 'HEAD')[] }
  | { kind: 'none' };

interface Compiled {
  route: Route;
  segments: { literal?: string; param?: string }[];
}

export class Router {
  private readonly compiled: Compiled[];

  constructor(readonly routes: readonly Route[]) {
    this.compiled = routes.map((route) => ({
      route,
      segments: route.template.split('/').map((s) => (/^\{\w+\}$/.test(s) ? { param: s.slice(1, -1) } : { literal: s })),
    }));
  }

  /**
   * Matches a raw path (no query); undefined params on bad percent-encoding count as no match. HEAD
   * runs the GET route (RFC 9110 §9.3.2; node:http sends no body for it).
   */
  match(method: string, rawPath: string): RouteMatch {
    const parts = rawPath.split('/');
    const allow: (HttpMethod | 'HEAD')[] = [];
    const wanted = method === 'HEAD' ? 'GET' : method;
    for (const c of this.compiled) {
      const params = matchSegments(c.segments, parts);
      if (params === undefined) continue;
      if (c.route.method === wanted) return { kind: 'found', route: c.route, params };
      allow.push(c.route.method);
      if (c.route.method === 'GET') allow.push('HEAD');
    }
    return allow.length > 0 ? { kind: 'method', allow } : { kind: 'none' };
  }
}

function matchSegments(segments: Compiled['segments'], parts: string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const p = parts[i]!;
    if (s.literal !== undefined) {
      if (s.literal !== p) return undefined;
      continue;
    }
    if (p === '') return undefined;
    try {
      params[s.param!] = decodeURIComponent(p);
    } catch {
      return undefined;
    }
  }
  return params;
}
