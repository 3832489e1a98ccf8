/**
 * The atomic batch: `{"changes": [{"op": "put", "name": …, "tlsa": […]}, {"op": "delete", "name": …}]}`.
 * Every entry is validated first and every violation listed (pointers under `/changes/<i>`); only a
 * batch with none becomes one store transaction (one serial bump, one journal entry), so it lands
 * all or nothing. A name may appear once per batch: two changes to one name would be ambiguous.
 */
import type { Violation } from '../core/identity-rdata.js';
import type { NameChange, ZoneInfo } from '../zone-store/types.js';
import { checkMediaType, readJsonBody } from './body-reader.js';
import { commitChanges, serialHeaders } from './commit.js';
import { ApiErrorCode, makeProblem } from './errors.js';
import { parseIdentityBody, prefixViolations, resolveOwnerName } from './identity-input.js';
import { isPlainObject, readString, rejectUnknownKeys, type JsonObject } from './json-fields.js';
import type { Reply, Route, RouteContext } from './router.js';
import { violationProblem } from './routes-names.js';
import { checkUserName, userOwner } from './user-owner.js';

export const changeRoutes: Route[] = [
  { method: 'POST', template: '/api/v1/zones/{zone}/changes', operationId: 'applyChanges', access: 'write', handler: applyChanges },
];

const BATCH_KEYS: ReadonlySet<string> = new Set(['changes']);
const DELETE_KEYS: ReadonlySet<string> = new Set(['op', 'name', 'user']);

async function applyChanges(ctx: RouteContext): Promise<Reply> {
  const zone = ctx.zone!;
  const media = checkMediaType(ctx.req, ['application/json']);
  if (media !== undefined) return { kind: 'problem', problem: media };
  const body = await readJsonBody(ctx.req, ctx.deps.config.maxBodyBytes);
  if (!body.ok) return { kind: 'problem', problem: body.problem, close: body.close };
  const parsed = parseBatch(body.value, zone);
  if (!parsed.ok) return { kind: 'problem', problem: violationProblem(parsed.violations, 'nothing in the batch was stored') };
  const result = await commitChanges(ctx.deps, ctx.metrics, zone.name, parsed.changes, 'changes');
  const results = parsed.changes.map((c, i) => ({ name: c.owner, op: c.op, result: outcome(c.op, result.existed[i] === true) }));
  return { kind: 'json', status: 200, body: { zone: zone.name, serial: result.serial, results }, headers: serialHeaders(result.serial) };
}

function outcome(op: NameChange['op'], existed: boolean): string {
  if (op === 'put') return existed ? 'replaced' : 'created';
  return existed ? 'deleted' : 'absent';
}

type Batch = { ok: true; changes: NameChange[] } | { ok: false; violations: Violation[] };

export function parseBatch(value: unknown, zone: ZoneInfo): Batch {
  const out: Violation[] = [];
  if (!isPlainObject(value)) return { ok: false, violations: [{ pointer: '', message: 'the body must be {"changes": [...]}' }] };
  rejectUnknownKeys(value, BATCH_KEYS, '', out);
  const list = value.changes;
  if (!Array.isArray(list) || list.length === 0) {
    out.push({ pointer: '/changes', message: 'changes must be a non-empty array' });
    return { ok: false, violations: out };
  }
  const changes: NameChange[] = [];
  const seen = new Map<string, number>();
  list.forEach((entry, i) => {
    const at = `/changes/${i}`;
    const change = parseEntry(entry, zone, at, out);
    if (change === undefined) return;
    const first = seen.get(change.owner);
    const field = isPlainObject(entry) && entry.name === undefined && entry.user !== undefined ? 'user' : 'name';
    if (first !== undefined) out.push({ pointer: `${at}/${field}`, message: `${change.owner} is already changed at /changes/${first}; give each name once per batch` });
    seen.set(change.owner, i);
    changes.push(change);
  });
  return out.length > 0 ? { ok: false, violations: out } : { ok: true, changes };
}

function parseEntry(entry: unknown, zone: ZoneInfo, at: string, out: Violation[]): NameChange | undefined {
  if (!isPlainObject(entry)) {
    out.push({ pointer: at, message: 'each change must be an object with "op": "put" or "delete"' });
    return undefined;
  }
  if (entry.op === 'delete') return parseDelete(entry, zone, at, out);
  if (entry.op !== 'put') {
    out.push({ pointer: `${at}/op`, message: `op must be "put" or "delete", got ${JSON.stringify(entry.op) ?? 'nothing'}` });
    return undefined;
  }
  const { op: _op, ...rest } = entry;
  const { defaultTtl, maxTtl } = zone.settings;
  const parsed = parseIdentityBody(rest, { zone: zone.name, defaultTtl, maxTtl });
  if (!parsed.ok) {
    out.push(...prefixViolations(at, parsed.violations));
    return undefined;
  }
  return { op: 'put', owner: parsed.owner, rrsets: parsed.rrsets };
}

function parseDelete(entry: JsonObject, zone: ZoneInfo, at: string, out: Violation[]): NameChange | undefined {
  const before = out.length;
  rejectUnknownKeys(entry, DELETE_KEYS, at, out);
  const name = readString(entry, 'name', at, out);
  const user = readString(entry, 'user', at, out);
  if ((name === undefined) === (user === undefined)) {
    if (out.length === before) out.push({ pointer: at, message: 'a delete needs exactly one of name or user' });
    return undefined;
  }
  if (user !== undefined) {
    const problem = checkUserName(user);
    if (problem !== undefined) out.push({ pointer: `${at}/user`, message: problem });
    return problem === undefined && out.length === before ? { op: 'delete', owner: userOwner(user, zone.name) } : undefined;
  }
  const r = resolveOwnerName(name!, zone.name);
  if (!r.ok) out.push({ pointer: `${at}/name`, message: r.message });
  return r.ok && out.length === before ? { op: 'delete', owner: r.owner } : undefined;
}
