/**
 * Zone routes: list, create (admin; for a signed zone — the default — makes the DNSSEC keys through
 * the injected key service, KSK+ZSK or CSK, algorithm 13 or 15, and answers with the DNSKEYs and
 * the DS for the parent), show, delete (admin). A zone whose keys cannot be made
 * is removed again, so a failed create leaves nothing behind (createZoneWithKeys, shared with the CLI).
 */
import type { Violation } from '../core/identity-rdata.js';
import { isWildcardName, parseName, WILDCARD_APEX_MESSAGE } from '../core/names.js';
import { isStoreError, StoreErrorCode } from '../zone-store/errors.js';
import type { ZoneInfo, ZoneSettings, ZoneWriter } from '../zone-store/types.js';
import { authorize, coversZone, FORBIDDEN_CHALLENGE } from './auth.js';
import { checkMediaType, readJsonBody } from './body-reader.js';
import { awaitPropagation, describeCause, serialHeaders } from './commit.js';
import { ApiErrorCode, makeProblem } from './errors.js';
import { isPlainObject, readInteger, readString, rejectUnknownKeys, type JsonObject } from './json-fields.js';
import type { Reply, Route, RouteContext } from './router.js';
import { zoneSummary, zoneView } from './views.js';

const ZONE_KEYS: ReadonlySet<string> = new Set(['name', 'defaultTtl', 'maxTtl', 'negativeTtl', 'denial', 'signed', 'algorithm', 'keys']);
const MAX_TTL = 0x7fffffff; // RFC 2181 §8

export const zoneRoutes: Route[] = [
  { method: 'GET', template: '/api/v1/zones', operationId: 'listZones', access: 'token', handler: listZones },
  { method: 'POST', template: '/api/v1/zones', operationId: 'createZone', access: 'admin', handler: createZone },
  { method: 'GET', template: '/api/v1/zones/{zone}', operationId: 'getZone', access: 'read', handler: getZone },
  { method: 'DELETE', template: '/api/v1/zones/{zone}', operationId: 'deleteZone', access: 'admin', handler: deleteZone },
];

async function listZones(ctx: RouteContext): Promise<Reply> {
  const { store } = ctx.deps;
  const zones = store.listZones().filter((z) => ctx.token !== undefined && coversZone(ctx.token, z.name));
  return { kind: 'json', status: 200, body: { zones: zones.map((z) => zoneSummary(store, z)) } };
}

async function getZone(ctx: RouteContext): Promise<Reply> {
  return { kind: 'json', status: 200, body: zoneView(ctx.deps.store, ctx.zone!, ctx.deps.keys) };
}

async function createZone(ctx: RouteContext): Promise<Reply> {
  const media = checkMediaType(ctx.req, ['application/json']);
  if (media !== undefined) return { kind: 'problem', problem: media };
  const body = await readJsonBody(ctx.req, ctx.deps.config.maxBodyBytes);
  if (!body.ok) return { kind: 'problem', problem: body.problem, close: body.close };
  const parsed = parseZoneCreate(body.value);
  if (!parsed.ok) return { kind: 'problem', problem: makeProblem(ApiErrorCode.VALIDATION, 'the zone cannot be created as given', parsed.violations) };
  const forbidden = authorize(ctx.token!, { admin: true, zone: parsed.name });
  if (forbidden !== undefined) return { kind: 'problem', problem: forbidden, headers: { 'WWW-Authenticate': FORBIDDEN_CHALLENGE } };
  const { store, keys } = ctx.deps;
  const stop = ctx.metrics.writeDuration.startTimer({ op: 'zone_create' });
  let zone: ZoneInfo;
  try {
    const remove = `DELETE /api/v1/zones/${parsed.name} (or "idzone zone delete ${parsed.name}" with the server stopped)`;
    zone = createZoneWithKeys(store, keys, parsed.name, parsed.settings, keys === undefined ? undefined : parsed.signing, remove);
  } catch (e) {
    if (!(e instanceof ZoneCreateError)) throw e;
    ctx.deps.log?.('error', 'zone create failed', { zone: parsed.name, leftBehind: e.leftBehind, error: e.message });
    return { kind: 'problem', problem: makeProblem(ApiErrorCode.INTERNAL, e.message) };
  }
  await awaitPropagation(ctx.deps, zone.name, zone.serial);
  stop();
  const headers = { ...serialHeaders(zone.serial), Location: `/api/v1/zones/${encodeURIComponent(zone.name)}` };
  return { kind: 'json', status: 201, body: zoneView(store, zone, keys), headers };
}

/** What a zone create needs of the store (a ZoneWriter fits). */
export type ZoneCreateStore = Pick<ZoneWriter, 'createZone' | 'deleteZone' | 'getZone'>;

/** What a zone create needs of the key service (server/dnssec/key-service.ts KeyService fits). */
export interface ZoneCreateKeys {
  createZoneKeys(zone: ZoneInfo, layout?: 'ksk-zsk' | 'csk', algorithm?: 13 | 15): unknown;
  deleteZoneKeys?(zone: string): void;
}

/**
 * A zone create that failed. ERR_ZONE_CREATE_FAILED: nothing is left behind. ERR_ZONE_CREATE_LEFT_BEHIND:
 * the clean-up failed too; the message says what is left and the command that removes it.
 */
export class ZoneCreateError extends Error {
  readonly code: 'ERR_ZONE_CREATE_FAILED' | 'ERR_ZONE_CREATE_LEFT_BEHIND';
  /** What the clean-up could not remove (empty when nothing is left). */
  readonly leftBehind: string[];
  constructor(message: string, leftBehind: string[], options: { cause: unknown }) {
    super(message, options);
    this.name = 'ZoneCreateError';
    this.code = leftBehind.length === 0 ? 'ERR_ZONE_CREATE_FAILED' : 'ERR_ZONE_CREATE_LEFT_BEHIND';
    this.leftBehind = leftBehind;
  }
}

/**
 * Creates a zone and, when `signing` is given, its keys; a failure leaves nothing behind. The store
 * has no transaction over the zone row, the key rows and the key files, so a signed zone is created
 * marked signed from its first commit: until its keys load it is never served as an unsigned zone
 * (DNSSEC queries get SERVFAIL and writes are refused, as for any signed zone whose keys cannot be
 * loaded). On a failure the zone and its key directory (with any empty or partial key file) are
 * removed again; if that fails too, the error names what is left and the command that removes it.
 * Store refusals that stored nothing (exists, nested, invalid settings) are thrown unchanged.
 */
export function createZoneWithKeys(
  store: ZoneCreateStore,
  keys: ZoneCreateKeys | undefined,
  name: string,
  settings: Partial<ZoneSettings>,
  signing: ZoneSigning | undefined,
  /** How the caller's user removes a zone: `DELETE /api/v1/zones/…` or `idzone zone delete --data-dir … NAME`. */
  removeCommand: string,
): ZoneInfo {
  let created: ZoneInfo;
  try {
    created = store.createZone(name, signing === undefined ? settings : { ...settings, signed: true });
  } catch (e) {
    if (isStoreError(e) && e.code !== StoreErrorCode.CORRUPT) throw e;
    if (store.getZone(name) === undefined) throw new ZoneCreateError(`zone ${name} was not created: ${describeCause(e)}; nothing was stored`, [], { cause: e });
    return failedCreate(store, keys, name, e, removeCommand);
  }
  if (signing === undefined || keys === undefined) return created;
  try {
    keys.createZoneKeys(created, signing.layout, signing.algorithm);
  } catch (e) {
    return failedCreate(store, keys, name, e, removeCommand);
  }
  return store.getZone(name) ?? created;
}

function failedCreate(store: ZoneCreateStore, keys: ZoneCreateKeys | undefined, name: string, cause: unknown, removeCommand: string): never {
  const left: string[] = [];
  const problems: string[] = [];
  try {
    store.deleteZone(name);
  } catch (e) {
    // A delete whose catalog commit went through is done: the redo log purges the shards.
    if (store.getZone(name) !== undefined) {
      left.push(`zone ${name} in the catalog`);
      problems.push(`the zone could not be removed: ${describeCause(e)}`);
    }
  }
  try {
    keys?.deleteZoneKeys?.(name);
  } catch (e) {
    left.push(`its key directory keys/${name.replace(/\.$/, '') || '_root'}/ in the data directory`);
    problems.push(`its key files could not be removed: ${describeCause(e)}`);
  }
  const first = `zone ${name} was not created: ${describeCause(cause)}`;
  if (left.length === 0) throw new ZoneCreateError(`${first}; nothing is left behind (the zone and any key file were removed)`, [], { cause });
  const zoneLeft = store.getZone(name) !== undefined;
  const remove = zoneLeft
    ? ` Remove it with ${removeCommand} once the disk has space.` +
      ' The zone is marked signed but has no usable keys, so it is not served as an unsigned zone: DNSSEC (DO=1) queries get SERVFAIL, queries without DO get only its empty apex, and signed writes to it (PUT, DELETE, POST /changes) are refused.'
    : ' Remove that directory once the disk has space.';
  throw new ZoneCreateError(`${first}. The clean-up failed too (${problems.join('; ')}), so ${left.join(' and ')} ${left.length === 1 ? 'is' : 'are'} left behind.${remove}`, left, { cause });
}

async function deleteZone(ctx: RouteContext): Promise<Reply> {
  const zone = ctx.zone!;
  const stop = ctx.metrics.writeDuration.startTimer({ op: 'zone_delete' });
  if (!ctx.deps.store.deleteZone(zone.name)) return { kind: 'problem', problem: makeProblem(ApiErrorCode.NOT_FOUND, `no zone ${zone.name}`) };
  // Private keys of a deleted zone have no further use; leaving them on disk only adds risk.
  ctx.deps.keys?.deleteZoneKeys?.(zone.name);
  await awaitPropagation(ctx.deps, zone.name, zone.serial);
  stop();
  return { kind: 'empty', status: 204 };
}

export interface ZoneSigning {
  layout: 'ksk-zsk' | 'csk';
  algorithm: 13 | 15;
}

type ZoneCreate = { ok: true; name: string; settings: Partial<ZoneSettings>; signing: ZoneSigning | undefined } | { ok: false; violations: Violation[] };

/** `{name, defaultTtl?, maxTtl?, negativeTtl?, denial?, signed?, algorithm?, keys?}`, strictly. */
function parseZoneCreate(value: unknown): ZoneCreate {
  const out: Violation[] = [];
  if (!isPlainObject(value)) return { ok: false, violations: [{ pointer: '', message: 'the body must be a JSON object like {"name": "_device.example.net."}' }] };
  rejectUnknownKeys(value, ZONE_KEYS, '', out);
  const name = zoneName(value, out);
  const settings: Partial<ZoneSettings> = {};
  for (const k of ['defaultTtl', 'maxTtl', 'negativeTtl'] as const) {
    const v = readInteger(value, k, '', out);
    if (v === undefined) continue;
    if (v < 1 || v > MAX_TTL) out.push({ pointer: `/${k}`, message: `${k} must be from 1 to ${MAX_TTL}, got ${v}` });
    else settings[k] = v;
  }
  if (settings.defaultTtl !== undefined && settings.maxTtl !== undefined && settings.defaultTtl > settings.maxTtl) {
    out.push({ pointer: '/defaultTtl', message: `defaultTtl ${settings.defaultTtl} exceeds maxTtl ${settings.maxTtl}` });
  }
  const denial = readString(value, 'denial', '', out);
  if (denial !== undefined && denial !== 'nsec3' && denial !== 'compact') out.push({ pointer: '/denial', message: 'denial must be "nsec3" or "compact"' });
  else if (denial !== undefined) settings.denial = denial;
  const signing = zoneSigning(value, out);
  if (out.length > 0 || name === undefined) return { ok: false, violations: out };
  return { ok: true, name, settings, signing };
}

/** `signed` (default true), `algorithm` 13|15 (default 13), `keys` "ksk-zsk"|"csk" (default "ksk-zsk"). */
function zoneSigning(value: JsonObject, out: Violation[]): ZoneSigning | undefined {
  if (value.signed !== undefined && typeof value.signed !== 'boolean') out.push({ pointer: '/signed', message: 'signed must be true or false' });
  const signed = value.signed !== false;
  const algorithm = readInteger(value, 'algorithm', '', out);
  if (algorithm !== undefined && algorithm !== 13 && algorithm !== 15) out.push({ pointer: '/algorithm', message: `algorithm must be 13 (ECDSA P-256) or 15 (Ed25519), got ${algorithm}` });
  const layout = readString(value, 'keys', '', out);
  if (layout !== undefined && layout !== 'ksk-zsk' && layout !== 'csk') out.push({ pointer: '/keys', message: 'keys must be "ksk-zsk" (a KSK and a ZSK) or "csk" (one combined key)' });
  if (!signed) {
    for (const k of ['algorithm', 'keys'] as const) if (value[k] !== undefined) out.push({ pointer: `/${k}`, message: `${k} applies only to a signed zone, and "signed" is false` });
    return undefined;
  }
  return { layout: layout === 'csk' ? 'csk' : 'ksk-zsk', algorithm: algorithm === 15 ? 15 : 13 };
}

function zoneName(value: JsonObject, out: Violation[]): string | undefined {
  if (value.name === undefined) {
    out.push({ pointer: '/name', message: 'name is required' });
    return undefined;
  }
  const text = readString(value, 'name', '', out);
  if (text === undefined) return undefined;
  try {
    const name = parseName(text);
    if (name === '.') out.push({ pointer: '/name', message: 'the root cannot be an identity zone' });
    else if (isWildcardName(name)) out.push({ pointer: '/name', message: WILDCARD_APEX_MESSAGE });
    return name;
  } catch (e) {
    out.push({ pointer: '/name', message: `not a domain name: ${(e as Error).message}` });
    return undefined;
  }
}
