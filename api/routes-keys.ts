/**
 * Key routes: a zone's DNSSEC keys with the state of its ZSK and KSK rollovers (read), one
 * rollover step at a time (admin), and the operator's confirmation that the parent serves the new
 * KSK's DS (admin; the KSK retire step waits for it and then for the parent's DS TTL). The steps,
 * and when each is safe for a validator that cached the previous DNSKEY set or the parent's
 * previous DS set (RFC 6781 §4.1, RFC 7583 §3.2–3.3, CDS/CDNSKEY per RFC 7344 and RFC 8078), are
 * decided by the injected rollover service; this file only validates input, maps refusals to
 * problems (409 with `safeAt` when a step is early) and waits for propagation, so that once the API
 * answers, every DNS worker serves the new DNSKEY set. Only public key data is ever shown.
 */
import type { Violation } from '../core/identity-rdata.js';
import type { RolloverState, RolloverStep, ZoneKeyDescription, ZoneRolloverService } from './api-deps.js';
import { checkMediaType, readJsonBody } from './body-reader.js';
import { awaitPropagation } from './commit.js';
import { ApiErrorCode, makeProblem, problemFromRolloverError, type Problem } from './errors.js';
import { describeJson, isPlainObject, rejectUnknownKeys } from './json-fields.js';
import type { Reply, Route, RouteContext } from './router.js';

const ROLLOVER_KEYS: ReadonlySet<string> = new Set(['kind', 'force', 'parentDsTtl']);
const DS_SEEN_KEYS: ReadonlySet<string> = new Set(['since', 'parentDsTtl']);
/** Largest TTL (RFC 2181 §8). */
const MAX_TTL = 2147483647;

export const keyRoutes: Route[] = [
  { method: 'GET', template: '/api/v1/zones/{zone}/keys', operationId: 'getZoneKeys', access: 'read', handler: getKeys },
  { method: 'POST', template: '/api/v1/zones/{zone}/keys/rollover', operationId: 'advanceRollover', access: 'admin', handler: advanceRollover },
  { method: 'POST', template: '/api/v1/zones/{zone}/keys/ds-seen', operationId: 'confirmDsSeen', access: 'admin', handler: confirmDsSeen },
];

/** A rollover step as JSON: key records are reduced to their tags. */
export interface RolloverStepView {
  step: string;
  kind: 'zsk' | 'ksk';
  newKeyTag?: number;
  oldKeyTags?: number[];
}

export interface RolloverStateView {
  kind: 'zsk' | 'ksk';
  stepTaken: number;
  description: string;
  next: RolloverStepView;
  /** Unix seconds from which `next` is safe (0: at any time). */
  safeAt: number;
  /** `safeAt` as an ISO 8601 time. */
  safeAtTime: string;
  waitingFor?: string;
  /** KSK: the parent's DS TTL the waits use. */
  parentDsTtl?: number;
  /** KSK step 1: since when the parent serves the new DS (confirmed), and the same as an ISO time. */
  dsSeenAt?: number;
  dsSeenAtTime?: string;
}

export interface ZoneKeysView {
  zone: string;
  csk: boolean;
  keys: ZoneKeyDescription[];
  zsk: RolloverStateView;
  ksk: RolloverStateView;
}

export function stepView(s: RolloverStep): RolloverStepView {
  const v: RolloverStepView = { step: s.step, kind: s.kind };
  if (s.newKey !== undefined) v.newKeyTag = s.newKey.keyTag;
  if (s.oldKeys !== undefined) v.oldKeyTags = s.oldKeys.map((k) => k.keyTag);
  return v;
}

export function stateView(s: RolloverState): RolloverStateView {
  const v: RolloverStateView = {
    kind: s.kind,
    stepTaken: s.stepTaken,
    description: s.description,
    next: stepView(s.next),
    safeAt: s.safeAt,
    safeAtTime: new Date(s.safeAt * 1000).toISOString(),
  };
  if (s.waitingFor !== undefined) v.waitingFor = s.waitingFor;
  if (s.parentDsTtl !== undefined) v.parentDsTtl = s.parentDsTtl;
  if (s.dsSeenAt !== undefined) {
    v.dsSeenAt = s.dsSeenAt;
    v.dsSeenAtTime = new Date(s.dsSeenAt * 1000).toISOString();
  }
  return v;
}

/** Copies only the public fields, whatever else the key service returns. */
function publicKey(k: ZoneKeyDescription): ZoneKeyDescription {
  const v: ZoneKeyDescription = { keyTag: k.keyTag, algorithm: k.algorithm, flags: k.flags, role: k.role, dnskey: k.dnskey };
  if (k.state !== undefined) v.state = k.state;
  if (k.ds !== undefined) v.ds = k.ds;
  return v;
}

function unavailable(zone: string): Reply {
  return { kind: 'problem', problem: makeProblem(ApiErrorCode.NOT_FOUND, `key management is not available in this server for ${zone}`) };
}

/** Runs a rollover-service call, turning its refusals into problem replies. */
function attempt<T>(f: () => T): { ok: true; value: T } | { ok: false; reply: Reply } {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    const problem = problemFromRolloverError(e) ?? problemFromDsSeenError(e);
    if (problem === undefined) throw e;
    return { ok: false, reply: { kind: 'problem', problem } };
  }
}

/** The ds-seen refusals errors.ts does not know: nothing waits for a DS (409), a time or TTL that cannot be right (400). */
function problemFromDsSeenError(e: unknown): Problem | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as { code?: unknown }).code;
  if (code === 'ERR_ROLLOVER_NO_DS_WAIT') return makeProblem(ApiErrorCode.CONFLICT, e.message);
  if (code === 'ERR_ROLLOVER_INVALID') return makeProblem(ApiErrorCode.VALIDATION, e.message, [{ pointer: '', message: e.message }]);
  return undefined;
}

async function getKeys(ctx: RouteContext): Promise<Reply> {
  const zone = ctx.zone!;
  const rollovers: ZoneRolloverService | undefined = ctx.deps.rollovers;
  if (rollovers === undefined) return unavailable(zone.name);
  const st = attempt(() => rollovers.status(zone.name));
  if (!st.ok) return st.reply;
  const keys = (ctx.deps.keys?.describeKeys(zone) ?? []).map(publicKey);
  const body: ZoneKeysView = { zone: zone.name, csk: st.value.csk, keys, zsk: stateView(st.value.zsk), ksk: stateView(st.value.ksk) };
  return { kind: 'json', status: 200, body };
}

async function advanceRollover(ctx: RouteContext): Promise<Reply> {
  const zone = ctx.zone!;
  const rollovers = ctx.deps.rollovers;
  if (rollovers === undefined) return unavailable(zone.name);
  const media = checkMediaType(ctx.req, ['application/json']);
  if (media !== undefined) return { kind: 'problem', problem: media };
  const body = await readJsonBody(ctx.req, ctx.deps.config.maxBodyBytes);
  if (!body.ok) return { kind: 'problem', problem: body.problem, close: body.close };
  const parsed = parseRolloverRequest(body.value);
  if (!parsed.ok) return { kind: 'problem', problem: makeProblem(ApiErrorCode.VALIDATION, 'the rollover request is not valid', parsed.violations) };
  const stop = ctx.metrics.writeDuration.startTimer({ op: 'key_rollover' });
  const done = attempt(() => rollovers.advance(zone.name, parsed.kind, parsed.force, parsed.parentDsTtl === undefined ? {} : { parentDsTtl: parsed.parentDsTtl }));
  if (!done.ok) return done.reply;
  // Key changes do not bump the serial; the barrier still waits for every worker to reload keys.
  const serial = ctx.deps.store.getZone(zone.name)?.serial ?? zone.serial;
  await awaitPropagation(ctx.deps, zone.name, serial);
  stop();
  ctx.deps.log?.('info', 'rollover step taken through the API', { zone: zone.name, kind: parsed.kind, step: done.value.action.step, force: parsed.force });
  const s = done.value.status;
  const answer: Record<string, unknown> = { zone: zone.name, action: stepView(done.value.action), status: statusView(s) };
  if (done.value.warning !== undefined) answer.warning = done.value.warning;
  return { kind: 'json', status: 200, body: answer };
}

function statusView(s: { zone: string; csk: boolean; zsk: RolloverState; ksk: RolloverState }): object {
  return { zone: s.zone, csk: s.csk, zsk: stateView(s.zsk), ksk: stateView(s.ksk) };
}

/** The operator confirms that the parent serves the new KSK's DS; nothing in DNS changes. */
async function confirmDsSeen(ctx: RouteContext): Promise<Reply> {
  const zone = ctx.zone!;
  const rollovers = ctx.deps.rollovers;
  if (rollovers?.confirmDsSeen === undefined) return unavailable(zone.name);
  const media = checkMediaType(ctx.req, ['application/json']);
  if (media !== undefined) return { kind: 'problem', problem: media };
  const body = await readJsonBody(ctx.req, ctx.deps.config.maxBodyBytes);
  if (!body.ok) return { kind: 'problem', problem: body.problem, close: body.close };
  const parsed = parseDsSeenRequest(body.value);
  if (!parsed.ok) return { kind: 'problem', problem: makeProblem(ApiErrorCode.VALIDATION, 'the DS confirmation is not valid', parsed.violations) };
  const done = attempt(() => rollovers.confirmDsSeen!(zone.name, parsed.options));
  if (!done.ok) return done.reply;
  const r = done.value;
  ctx.deps.log?.('info', 'parent DS confirmed through the API', { zone: zone.name, keyTag: r.keyTag, dsSeenAt: r.dsSeenAt, parentDsTtl: r.parentDsTtl });
  return {
    kind: 'json',
    status: 200,
    body: { zone: r.zone, keyTag: r.keyTag, dsSeenAt: r.dsSeenAt, dsSeenAtTime: new Date(r.dsSeenAt * 1000).toISOString(), parentDsTtl: r.parentDsTtl, status: statusView(r.status) },
  };
}

type RolloverRequest = { ok: true; kind: 'zsk' | 'ksk'; force: boolean; parentDsTtl?: number } | { ok: false; violations: Violation[] };

function checkSeconds(value: Record<string, unknown>, key: string, max: number, out: Violation[]): number | undefined {
  const v = value[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    out.push({ pointer: `/${key}`, message: `${key} must be a whole number of seconds from 0 to ${max}, got ${describeJson(v)}` });
    return undefined;
  }
  return v;
}

/** `{"kind": "zsk"|"ksk", "force"?: boolean, "parentDsTtl"?: seconds (KSK only)}`, strictly. */
export function parseRolloverRequest(value: unknown): RolloverRequest {
  const out: Violation[] = [];
  if (!isPlainObject(value)) return { ok: false, violations: [{ pointer: '', message: 'the body must be a JSON object like {"kind": "zsk"}' }] };
  rejectUnknownKeys(value, ROLLOVER_KEYS, '', out);
  const kind = value.kind;
  if (kind === undefined) out.push({ pointer: '/kind', message: 'kind is required: "zsk" or "ksk"' });
  else if (kind !== 'zsk' && kind !== 'ksk') out.push({ pointer: '/kind', message: `kind must be "zsk" or "ksk", got ${describeJson(kind)}` });
  const force = value.force;
  if (force !== undefined && typeof force !== 'boolean') out.push({ pointer: '/force', message: `force must be a boolean, got ${describeJson(force)}` });
  const parentDsTtl = checkSeconds(value, 'parentDsTtl', MAX_TTL, out);
  if (value.parentDsTtl !== undefined && kind === 'zsk') out.push({ pointer: '/parentDsTtl', message: 'parentDsTtl applies to KSK rollovers only' });
  if (out.length > 0 || (kind !== 'zsk' && kind !== 'ksk')) return { ok: false, violations: out };
  const req: RolloverRequest = { ok: true, kind, force: force === true };
  if (parentDsTtl !== undefined) req.parentDsTtl = parentDsTtl;
  return req;
}

type DsSeenRequest = { ok: true; options: { since?: number; parentDsTtl?: number } } | { ok: false; violations: Violation[] };

/** `{"since"?: Unix seconds, "parentDsTtl"?: seconds}`, strictly (`{}`: the parent serves the DS from now). */
export function parseDsSeenRequest(value: unknown): DsSeenRequest {
  const out: Violation[] = [];
  if (!isPlainObject(value)) return { ok: false, violations: [{ pointer: '', message: 'the body must be a JSON object like {} or {"parentDsTtl": 3600}' }] };
  rejectUnknownKeys(value, DS_SEEN_KEYS, '', out);
  const since = checkSeconds(value, 'since', Number.MAX_SAFE_INTEGER, out);
  const parentDsTtl = checkSeconds(value, 'parentDsTtl', MAX_TTL, out);
  if (out.length > 0) return { ok: false, violations: out };
  const options: { since?: number; parentDsTtl?: number } = {};
  if (since !== undefined) options.since = since;
  if (parentDsTtl !== undefined) options.parentDsTtl = parentDsTtl;
  return { ok: true, options };
}
