/**
 * The identity body: the JSON that names one owner and gives every TLSA (RFC 6698) and SSHFP
 * (RFC 4255) record it should hold. Shared by the API (PUT, changes batches, NDJSON import) and the
 * CLI importer, so both refuse the same inputs with the same words. The schema is strict: unknown
 * fields are listed one by one, any other record type (A, CNAME, NS, …) is refused naming the type
 * (idzone is an identity-only compartment, ARCHITECTURE.md), owners must lie in the zone (the apex included: TLSA/SSHFP only),
 * and the TTL must respect the zone's policy. Every violation is returned at once with its JSON pointer.
 */
import type { Violation } from '../core/identity-rdata.js';
import { isInZone, parseName } from '../core/names.js';
import { RrType, typeFromString, typeToString } from '../core/rr-types.js';
import { canonicalRdatas, makeRrset, type RrsetData } from '../core/rrset.js';
import { describeJson, isPlainObject, pointerToken, readString, UnlistedFields, type JsonObject } from './json-fields.js';
import { parseSshfpEntry } from './sshfp-input.js';
import { parseTlsaEntry } from './tlsa-input.js';
import { checkUserName, userOwner } from './user-owner.js';

export interface IdentityOptions {
  /** Canonical apex of the zone the body is for. */
  zone: string;
  /** Canonical owner already given by the caller (the URL of a PUT); the body may then omit name/user. */
  owner?: string;
  defaultTtl: number;
  maxTtl: number;
}

export type IdentityParse = { ok: true; owner: string; rrsets: RrsetData[] } | { ok: false; violations: Violation[] };

/**
 * `zone` and `serial` are what GET adds to a name's records: accepted so that a GET's body can be PUT
 * back unchanged, read-only (`zone` must be the zone of the request; `serial` is not compared, since
 * any write in the zone moves it).
 */
const BODY_KEYS: ReadonlySet<string> = new Set(['name', 'user', 'ttl', 'tlsa', 'sshfp', 'zone', 'serial']);
/** Records per type per name: far above any real rollover (two keys × two digests), far below 64 KiB. */
export const MAX_ENTRIES_PER_TYPE = 64;

/**
 * RDATA octets per name, all TLSA and SSHFP records together. The answer for the name carries them
 * with their RRSIGs in one DNS message, at most 65,535 octets even over TCP (RFC 1035 §4.2.2); this
 * leaves ~5 KB for the header, the question, several signatures and the OPT record. One RDATA is
 * limited to 65,535 octets by its 16-bit length anyway (RFC 1035 §3.2.1); a full certificate
 * (TLSA 3 0 0) that large could not be served either.
 */
export const MAX_NAME_RDATA_OCTETS = 60_000;

/** Violations that refuse a record type, so callers can answer ERR_API_TYPE_REFUSED instead of plain validation. */
const typeRefusals = new WeakSet<Violation>();

export function isTypeRefusal(v: Violation): boolean {
  return typeRefusals.has(v);
}

/** Prefixes the pointers of `vs` (e.g. with `/changes/3`), keeping their type-refusal mark. */
export function prefixViolations(prefix: string, vs: readonly Violation[]): Violation[] {
  return vs.map((v) => {
    const moved = { pointer: prefix + v.pointer, message: v.message };
    if (typeRefusals.has(v)) typeRefusals.add(moved);
    return moved;
  });
}

export function parseIdentityBody(body: unknown, opts: IdentityOptions): IdentityParse {
  const out: Violation[] = [];
  if (!isPlainObject(body)) return { ok: false, violations: [{ pointer: '', message: `the body must be a JSON object, got ${describeJson(body)}` }] };
  checkKeys(body, out);
  checkReadOnly(body, opts.zone, out);
  const owner = resolveBodyOwner(body, opts, out);
  const ttl = readTtl(body, opts, out);
  const tlsa = readEntries(body, 'tlsa', parseTlsaEntry, out);
  const sshfp = readEntries(body, 'sshfp', parseSshfpEntry, out);
  if (tlsa !== undefined && sshfp !== undefined && tlsa.length === 0 && sshfp.length === 0 && out.length === 0) {
    out.push({ pointer: '', message: 'give at least one TLSA or SSHFP record (to remove a name, DELETE it)' });
  }
  if (tlsa !== undefined && sshfp !== undefined) {
    // Identical records are one record in the RRset (canonicalRdatas drops repeats), so each counts
    // once; the plain sum decides without that work for every body under the bound.
    const sum = (list: readonly Buffer[]): number => list.reduce((n, d) => n + d.length, 0);
    let octets = sum(tlsa) + sum(sshfp);
    if (octets > MAX_NAME_RDATA_OCTETS) octets = sum(canonicalRdatas(tlsa)) + sum(canonicalRdatas(sshfp));
    if (octets > MAX_NAME_RDATA_OCTETS) {
      out.push({ pointer: '', message: `the records total ${octets} octets of RDATA, more than the ${MAX_NAME_RDATA_OCTETS} one DNS answer can carry with its signatures` });
    }
  }
  if (out.length > 0 || owner === undefined || ttl === undefined || tlsa === undefined || sshfp === undefined) return { ok: false, violations: out };
  const rrsets: RrsetData[] = [];
  if (sshfp.length > 0) rrsets.push(makeRrset(RrType.SSHFP, ttl, sshfp));
  if (tlsa.length > 0) rrsets.push(makeRrset(RrType.TLSA, ttl, tlsa));
  return { ok: true, owner, rrsets };
}

/** Unknown keys, with record-type keys (`cname`, `a`, `type: "NS"`, `records: [...]`) refused by type. */
function checkKeys(body: JsonObject, out: Violation[]): void {
  const unlisted = new UnlistedFields('');
  let unlistedType: string | undefined;
  for (const key in body) {
    if (!Object.hasOwn(body, key) || BODY_KEYS.has(key)) continue;
    const at = `/${pointerToken(key)}`;
    const named = refusedTypeOfKey(key);
    if (unlisted.full()) {
      // Counted, not listed; a refused type among them still makes the answer a type refusal.
      unlistedType ??= named;
      continue;
    }
    if (named !== undefined) refuseType(named, at, out);
    else if (key === 'type') refuseTypeValue(body[key], at, out);
    else if ((key === 'records' || key === 'rrsets') && Array.isArray(body[key])) refuseRecordList(body[key], at, out);
    else out.push({ pointer: at, message: `unknown field "${key}" (allowed: ${[...BODY_KEYS].join(', ')})` });
  }
  unlisted.report(out);
  if (unlistedType !== undefined) refuseType(unlistedType, '', out);
}

/** The read-only fields a GET adds (see BODY_KEYS): `zone` naming this zone, `serial` a serial. */
function checkReadOnly(body: JsonObject, zone: string, out: Violation[]): void {
  const text = readString(body, 'zone', '', out);
  if (text !== undefined) {
    let named: string | undefined;
    try {
      named = parseName(text);
    } catch {
      named = undefined;
    }
    if (named !== zone) out.push({ pointer: '/zone', message: `zone is read-only: ${JSON.stringify(text.slice(0, 300))} is not this request's zone ${zone}` });
  }
  const serial = body.serial;
  if (serial !== undefined && !(typeof serial === 'number' && Number.isInteger(serial) && serial >= 0 && serial <= 0xffffffff)) {
    out.push({ pointer: '/serial', message: `serial is read-only and, when given, a zone serial (an integer from 0 to 4294967295), got ${describeJson(serial)}` });
  }
}

/** The type a key names (`cname`, `AAAA`, `type65`, `delegation`), unless it is TLSA or SSHFP. */
function refusedTypeOfKey(key: string): string | undefined {
  if (key.toLowerCase() === 'delegation') return 'NS';
  const type = typeFromString(key);
  if (type === undefined) return undefined;
  if (type === RrType.TLSA || type === RrType.SSHFP) return undefined;
  return typeToString(type);
}

function refuseType(type: string, pointer: string, out: Violation[]): void {
  const v = { pointer, message: `type ${type} is not accepted: idzone serves only TLSA and SSHFP` };
  typeRefusals.add(v);
  out.push(v);
}

function refuseTypeValue(value: unknown, pointer: string, out: Violation[]): void {
  const n = typeof value === 'string' ? typeFromString(value) : typeof value === 'number' ? value : undefined;
  if (n === RrType.TLSA || n === RrType.SSHFP) {
    out.push({ pointer, message: `unknown field "type": give ${typeToString(n)} records as a "${typeToString(n).toLowerCase()}" array` });
  } else if (n !== undefined && Number.isInteger(n)) {
    refuseType(typeToString(n), pointer, out);
  } else {
    out.push({ pointer, message: `unknown field "type" (allowed: ${[...BODY_KEYS].join(', ')})` });
  }
}

function refuseRecordList(list: unknown[], pointer: string, out: Violation[]): void {
  const before = out.length;
  const unlisted = new UnlistedFields(pointer);
  list.forEach((r, i) => {
    if (isPlainObject(r) && r.type !== undefined && !unlisted.full()) refuseTypeValue(r.type, `${pointer}/${i}/type`, out);
  });
  if (out.length === before) out.push({ pointer, message: 'unknown field: give records as "tlsa" and "sshfp" arrays' });
}

function resolveBodyOwner(body: JsonObject, opts: IdentityOptions, out: Violation[]): string | undefined {
  const name = readString(body, 'name', '', out);
  const user = readString(body, 'user', '', out);
  if (name !== undefined && user !== undefined) {
    out.push({ pointer: '/user', message: 'give either name or user, not both' });
    return undefined;
  }
  let owner: string | undefined;
  if (name !== undefined) owner = ownerFromName(name, opts.zone, '/name', out);
  else if (user !== undefined) owner = ownerFromUser(user, opts.zone, out);
  if (opts.owner === undefined) {
    if (owner === undefined && name === undefined && user === undefined && body.name === undefined && body.user === undefined) {
      out.push({ pointer: '', message: 'name or user is required' });
    }
    return owner;
  }
  if (owner !== undefined && owner !== opts.owner) {
    out.push({ pointer: name !== undefined ? '/name' : '/user', message: `the body names ${owner} but the request is for ${opts.owner}` });
  }
  const problem = ownerProblem(opts.owner, opts.zone);
  if (problem !== undefined) out.push({ pointer: '', message: problem });
  return opts.owner;
}

function ownerFromName(text: string, zone: string, pointer: string, out: Violation[]): string | undefined {
  const r = resolveOwnerName(text, zone);
  if (!r.ok) out.push({ pointer, message: r.message });
  return r.ok ? r.owner : undefined;
}

function ownerFromUser(user: string, zone: string, out: Violation[]): string | undefined {
  const problem = checkUserName(user);
  if (problem !== undefined) {
    out.push({ pointer: '/user', message: problem });
    return undefined;
  }
  return userOwner(user, zone);
}

/**
 * Resolves a name as a user types it into a canonical owner inside `zone`. A trailing dot makes it
 * absolute; without one it is absolute when it already ends in the zone's name (users rarely type the
 * final dot) and relative to the zone otherwise (`sensor7` → `sensor7.<zone>`), as in a zone file.
 */
export function resolveOwnerName(text: string, zone: string): { ok: true; owner: string } | { ok: false; message: string } {
  let owner: string;
  try {
    owner = parseTypedName(text.trim(), zone);
  } catch (e) {
    return { ok: false, message: `${JSON.stringify(text.slice(0, 300))} is not a domain name: ${(e as Error).message}` };
  }
  const problem = ownerProblem(owner, zone);
  return problem === undefined ? { ok: true, owner } : { ok: false, message: problem };
}

/** Plain ASCII host-like names need no escape handling: the common case of bulk imports. */
const SIMPLE_NAME = /^[A-Za-z0-9_*-]{1,63}(?:\.[A-Za-z0-9_*-]{1,63})*\.?$/;

function parseTypedName(text: string, zone: string): string {
  if (SIMPLE_NAME.test(text)) {
    const lower = text.toLowerCase();
    const absolute = lower.endsWith('.') ? lower : `${lower}.`;
    const owner = lower.endsWith('.') || absolute === zone || absolute.endsWith(`.${zone}`) ? absolute : `${absolute}${zone}`;
    // Without escapes the wire length is the presentation length plus the root label (RFC 1035 §2.3.4).
    if (owner.length + 1 <= 255 && !zone.includes('\\')) return owner;
  }
  if (text === '@' || text.endsWith('.')) return parseName(text, zone);
  const asAbsolute = parseName(text);
  return isInZone(asAbsolute, zone) ? asAbsolute : parseName(text, zone);
}

function ownerProblem(owner: string, zone: string): string | undefined {
  if (!isOwnerInZone(owner, zone)) return `${owner} is outside zone ${zone}`;
  return undefined;
}

/**
 * isInZone for a canonical owner. Without backslashes (no escaped dots) a suffix match on a label
 * boundary is the whole test: a canonical name has no empty labels, so it then has more labels than
 * the zone. That skips the two label splits isInZone makes, once per import line.
 */
function isOwnerInZone(owner: string, zone: string): boolean {
  if (owner.indexOf('\\') >= 0 || zone.indexOf('\\') >= 0) return isInZone(owner, zone);
  if (zone === '.' || owner === zone) return true;
  return owner.length > zone.length && owner.endsWith(zone) && owner.charCodeAt(owner.length - zone.length - 1) === 0x2e;
}

function readTtl(body: JsonObject, opts: IdentityOptions, out: Violation[]): number | undefined {
  const v = body.ttl;
  if (v === undefined) return opts.defaultTtl;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > opts.maxTtl) {
    out.push({ pointer: '/ttl', message: `ttl must be an integer from 1 to ${opts.maxTtl} (the zone's maximum), got ${describeJson(v)}` });
    return undefined;
  }
  return v;
}

type EntryParser = (entry: unknown, pointer: string, out: Violation[]) => Buffer | undefined;

function readEntries(body: JsonObject, key: 'tlsa' | 'sshfp', parse: EntryParser, out: Violation[]): Buffer[] | undefined {
  const v = body[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    out.push({ pointer: `/${key}`, message: `${key} must be an array, got ${describeJson(v)}` });
    return undefined;
  }
  if (v.length > MAX_ENTRIES_PER_TYPE) {
    out.push({ pointer: `/${key}`, message: `at most ${MAX_ENTRIES_PER_TYPE} ${key} entries per name, got ${v.length}` });
    return undefined;
  }
  const rdatas: Buffer[] = [];
  let failed = false;
  v.forEach((entry, i) => {
    const rdata = parse(entry, `/${key}/${i}`, out);
    if (rdata === undefined) failed = true;
    else rdatas.push(rdata);
  });
  return failed ? undefined : rdatas;
}
