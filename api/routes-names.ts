/**
 * Name routes: the paginated listing in the store's stable order, and GET / PUT / DELETE of one name.
 * PUT replaces every identity record at the name (201 when the name is new, 200 when it held data);
 * DELETE is revocation (204, or 404 when there was nothing to revoke, with no serial bump). Names in
 * the URL are resolved like names in bodies (identity-input.ts: resolveOwnerName).
 */
import type { Violation } from '../core/identity-rdata.js';
import type { ZoneInfo } from '../zone-store/types.js';
import { checkMediaType, readJsonBody } from './body-reader.js';
import { commitOneName, serialHeaders } from './commit.js';
import { ApiErrorCode, makeProblem } from './errors.js';
import { isTypeRefusal, parseIdentityBody, resolveOwnerName } from './identity-input.js';
import type { Reply, Route, RouteContext } from './router.js';
import { nameView } from './views.js';

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

export const nameRoutes: Route[] = [
  { method: 'GET', template: '/api/v1/zones/{zone}/names', operationId: 'listNames', access: 'read', query: ['after', 'limit'], handler: listNames },
  { method: 'GET', template: '/api/v1/zones/{zone}/names/{name}', operationId: 'getName', access: 'read', handler: getName },
  { method: 'PUT', template: '/api/v1/zones/{zone}/names/{name}', operationId: 'putName', access: 'write', handler: putName },
  { method: 'DELETE', template: '/api/v1/zones/{zone}/names/{name}', operationId: 'deleteName', access: 'write', handler: deleteName },
];

async function listNames(ctx: RouteContext): Promise<Reply> {
  const zone = ctx.zone!;
  const out: Violation[] = [];
  const limit = pageLimit(ctx.query.get('limit'), out);
  const afterText = ctx.query.get('after');
  let after: string | undefined;
  if (afterText !== null && afterText !== '') {
    const r = resolveOwnerName(afterText, zone.name);
    if (r.ok) after = r.owner;
    else out.push({ pointer: '/query/after', message: r.message });
  }
  if (out.length > 0) return { kind: 'problem', problem: makeProblem(ApiErrorCode.VALIDATION, 'bad listing parameters', out) };
  const nodes = ctx.deps.store.listNames(zone, after, limit);
  const names = nodes.map((n) => nameView(n.owner, n.rrsets));
  const next = nodes.length === limit ? (nodes[nodes.length - 1]?.owner ?? null) : null;
  return { kind: 'json', status: 200, body: { zone: zone.name, serial: zone.serial, names, next } };
}

function pageLimit(text: string | null, out: Violation[]): number {
  if (text === null || text === '') return DEFAULT_PAGE;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_PAGE) {
    out.push({ pointer: '/query/limit', message: `limit must be an integer from 1 to ${MAX_PAGE}` });
    return DEFAULT_PAGE;
  }
  return n;
}

/** Resolves `{name}` of the URL inside the zone, or a 400 problem reply. */
function ownerParam(ctx: RouteContext, zone: ZoneInfo): { ok: true; owner: string } | { ok: false; reply: Reply } {
  const r = resolveOwnerName(ctx.params.name ?? '', zone.name);
  if (r.ok) return r;
  return { ok: false, reply: { kind: 'problem', problem: makeProblem(ApiErrorCode.VALIDATION, r.message, [{ pointer: '/path/name', message: r.message }]) } };
}

function notFound(owner: string): Reply {
  return { kind: 'problem', problem: makeProblem(ApiErrorCode.NOT_FOUND, `${owner} holds no identity records`) };
}

async function getName(ctx: RouteContext): Promise<Reply> {
  const zone = ctx.zone!;
  const p = ownerParam(ctx, zone);
  if (!p.ok) return p.reply;
  const node = ctx.deps.store.getNode(zone, p.owner);
  if (node === undefined || node.rrsets.length === 0) return notFound(p.owner);
  return { kind: 'json', status: 200, body: { zone: zone.name, serial: zone.serial, ...nameView(node.owner, node.rrsets) } };
}

async function putName(ctx: RouteContext): Promise<Reply> {
  const zone = ctx.zone!;
  const p = ownerParam(ctx, zone);
  if (!p.ok) return p.reply;
  const media = checkMediaType(ctx.req, ['application/json']);
  if (media !== undefined) return { kind: 'problem', problem: media };
  const body = await readJsonBody(ctx.req, ctx.deps.config.maxBodyBytes);
  if (!body.ok) return { kind: 'problem', problem: body.problem, close: body.close };
  const { defaultTtl, maxTtl } = zone.settings;
  const parsed = parseIdentityBody(body.value, { zone: zone.name, owner: p.owner, defaultTtl, maxTtl });
  if (!parsed.ok) return { kind: 'problem', problem: violationProblem(parsed.violations, `the records for ${p.owner} were not stored`) };
  const result = await commitOneName(ctx.writes, ctx.metrics, zone.name, { op: 'put', owner: parsed.owner, rrsets: parsed.rrsets });
  if (result.kind !== 'committed') throw new Error('a put came back unwritten');
  const status = result.existed ? 200 : 201;
  const body2 = { zone: zone.name, serial: result.serial, ...nameView(parsed.owner, parsed.rrsets) };
  return { kind: 'json', status, body: body2, headers: serialHeaders(result.serial) };
}

async function deleteName(ctx: RouteContext): Promise<Reply> {
  const zone = ctx.zone!;
  const p = ownerParam(ctx, zone);
  if (!p.ok) return p.reply;
  // Revoking an absent name answers 404 without bumping the serial: the coalescer checks when it
  // commits, so the check and the commit see the same state.
  const result = await commitOneName(ctx.writes, ctx.metrics, zone.name, { op: 'delete', owner: p.owner });
  if (result.kind === 'absent') return notFound(p.owner);
  return { kind: 'empty', status: 204, headers: serialHeaders(result.serial) };
}

/** ERR_API_TYPE_REFUSED when any violation refuses a record type, else ERR_API_VALIDATION. */
export function violationProblem(violations: Violation[], detail: string): ReturnType<typeof makeProblem> {
  const code = violations.some(isTypeRefusal) ? ApiErrorCode.TYPE_REFUSED : ApiErrorCode.VALIDATION;
  const first = violations.find(isTypeRefusal) ?? violations[0];
  const more = violations.length > 1 ? ` (and ${violations.length - 1} more)` : '';
  return makeProblem(code, `${detail}: ${first?.message ?? 'invalid'}${more}`, violations);
}
