/**
 * Zone settings: the defaults filled in at creation and the checks applied to every update. The SOA
 * fields follow RFC 1035 §3.3.13 and RFC 2308 §4 (MINIMUM is the negative TTL); TTLs are bounded by
 * RFC 2181 §8. Unknown keys are refused so that a typo never silently keeps a default.
 */
import { nameToWire, parentName, parseName } from '../core/names.js';
import { RrType } from '../core/rr-types.js';
import { canonicalRdatas } from '../core/rrset.js';
import type { ZoneSettings } from './types.js';
import { StoreError, StoreErrorCode } from './errors.js';

const MAX_TTL = 0x7fffffff;
const NUMBER_KEYS = ['defaultTtl', 'maxTtl', 'soaTtl', 'negativeTtl', 'soaRefresh', 'soaRetry', 'soaExpire', 'nsTtl'] as const;
const KNOWN_KEYS: ReadonlySet<string> = new Set([...NUMBER_KEYS, 'mname', 'rname', 'ns', 'denial', 'signed']);

/** Defaults for `zone`: MNAME ns1.<parent>, RNAME hostmaster.<parent>, NS = [MNAME]. */
export function defaultSettings(zone: string): ZoneSettings {
  const parent = parentName(zone) ?? '.';
  const mname = parent === '.' ? 'ns1.' : `ns1.${parent}`;
  return {
    defaultTtl: 60,
    maxTtl: 3600,
    soaTtl: 3600,
    negativeTtl: 60,
    soaRefresh: 3600,
    soaRetry: 600,
    soaExpire: 1209600,
    mname,
    rname: parent === '.' ? 'hostmaster.' : `hostmaster.${parent}`,
    ns: [mname],
    nsTtl: 3600,
    denial: 'nsec3',
    signed: false,
  };
}

/** Merges `patch` over `base`, canonicalising names; throws SETTINGS_INVALID listing every problem. */
export function mergeSettings(base: ZoneSettings, patch: Partial<ZoneSettings>): ZoneSettings {
  const problems: string[] = [];
  for (const k of Object.keys(patch)) if (!KNOWN_KEYS.has(k)) problems.push(`unknown setting "${k}"`);
  const out: ZoneSettings = { ...base, ns: [...base.ns] };
  for (const k of NUMBER_KEYS) {
    const v = patch[k];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 0 || v > MAX_TTL) problems.push(`${k} must be an integer in 0..${MAX_TTL}, got ${String(v)}`);
    else out[k] = v;
  }
  if (patch.mname !== undefined) out.mname = canonicalOrProblem(patch.mname, 'mname', problems);
  if (patch.rname !== undefined) out.rname = canonicalOrProblem(patch.rname, 'rname', problems);
  if (patch.ns !== undefined) out.ns = mergeNs(patch.ns, problems);
  if (patch.denial !== undefined) {
    if (patch.denial !== 'nsec3' && patch.denial !== 'compact') problems.push(`denial must be "nsec3" or "compact", got ${JSON.stringify(patch.denial)}`);
    else out.denial = patch.denial;
  }
  if (patch.signed !== undefined) {
    if (typeof patch.signed !== 'boolean') problems.push('signed must be a boolean');
    else out.signed = patch.signed;
  }
  if (out.defaultTtl > out.maxTtl) problems.push(`defaultTtl ${out.defaultTtl} exceeds maxTtl ${out.maxTtl}`);
  if (problems.length > 0) throw new StoreError(StoreErrorCode.SETTINGS_INVALID, `invalid zone settings: ${problems.join('; ')}`);
  return out;
}

function mergeNs(ns: unknown, problems: string[]): string[] {
  if (!Array.isArray(ns) || ns.length === 0) {
    problems.push('ns must be a non-empty list of names');
    return [];
  }
  const out = ns.map((n, i) => canonicalOrProblem(n, `ns[${i}]`, problems));
  return [...new Set(out)];
}

function canonicalOrProblem(text: unknown, field: string, problems: string[]): string {
  if (typeof text !== 'string') {
    problems.push(`${field} must be a domain name`);
    return '.';
  }
  try {
    return parseName(text);
  } catch (e) {
    problems.push(`${field}: ${(e as Error).message}`);
    return '.';
  }
}

/** True when the apex NS RRset (targets or TTL) differs between two settings. */
export function nsChanged(a: ZoneSettings, b: ZoneSettings): boolean {
  return a.nsTtl !== b.nsTtl || a.ns.length !== b.ns.length || a.ns.some((n, i) => n !== b.ns[i]);
}

type JournalRr = { owner: string; type: number; ttl: number; rdata: Buffer };

/**
 * The apex NS records a settings change removes and adds, for the IXFR journal (RFC 1995 §4): the NS
 * RRset is computed from settings, yet secondaries must still learn that it changed.
 */
export function nsJournal(apex: string, before: ZoneSettings, after: ZoneSettings): { deleted: JournalRr[]; added: JournalRr[] } {
  if (!nsChanged(before, after)) return { deleted: [], added: [] };
  const rrs = (s: ZoneSettings): JournalRr[] =>
    canonicalRdatas(s.ns.map((n) => nameToWire(n))).map((rdata) => ({ owner: apex, type: RrType.NS, ttl: s.nsTtl, rdata }));
  return { deleted: rrs(before), added: rrs(after) };
}
