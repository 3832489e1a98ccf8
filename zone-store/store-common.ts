/**
 * Small pieces both stores need beyond the planner: the journal retention default, the zone-name
 * check for createZone, zone lookup by a possibly non-canonical name, and splicing re-made signatures
 * into a stored node (re-signing rewrites RRSIGs, never the records they cover).
 */
import { isInZone, isWildcardName, parseName, WILDCARD_APEX_MESSAGE } from '../core/names.js';
import type { StoredNode, ZoneInfo } from './types.js';
import { StoreError, StoreErrorCode } from './errors.js';
import type { ZoneIndex } from './zone-index.js';

/** Journal rows kept per zone: enough for routine IXFR, bounded so churn cannot grow the catalog. */
export const DEFAULT_JOURNAL_LIMIT = 100_000;

/**
 * Rows to keep after pruning a zone's journal holding `held` rows, or undefined when within `limit`.
 * Pruning goes down to 90 % of the limit so a zone at the limit is not pruned on every commit.
 */
export function journalKeepTarget(held: number, limit: number): number | undefined {
  return held <= limit ? undefined : Math.floor(limit * 0.9);
}

export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** Canonical apex for a new zone; the root is refused (idzone serves delegated identity zones). */
export function checkZoneName(name: string): string {
  let apex: string;
  try {
    apex = parseName(name);
  } catch (e) {
    throw new StoreError(StoreErrorCode.NAME_INVALID, `zone name ${JSON.stringify(name)} is not a domain name: ${(e as Error).message}`);
  }
  if (apex === '.') throw new StoreError(StoreErrorCode.NAME_INVALID, 'the root zone cannot be served by idzone');
  if (isWildcardName(apex)) throw new StoreError(StoreErrorCode.NAME_INVALID, WILDCARD_APEX_MESSAGE);
  return apex;
}

/**
 * Refuses a new zone at or below another served zone, or above one. idzone serves no delegations
 * (no NS or DS below an apex), so a nested zone would silently hide the outer zone's names beneath
 * it, and a validator, finding no delegation in the signed parent, would judge its answers bogus.
 */
export function checkNotNested(zones: ZoneIndex, apex: string): void {
  if (zones.get(apex) !== undefined) throw new StoreError(StoreErrorCode.ZONE_EXISTS, `zone ${apex} already exists`);
  for (const z of zones.list()) {
    if (isInZone(apex, z.name)) throw new StoreError(StoreErrorCode.ZONE_NESTED, `zone ${apex} would lie inside the served zone ${z.name}; idzone serves no delegations, so its names are managed in ${z.name}`);
    if (isInZone(z.name, apex)) throw new StoreError(StoreErrorCode.ZONE_NESTED, `zone ${apex} would contain the served zone ${z.name}; idzone serves no delegations, so delete ${z.name} first or serve ${apex} elsewhere`);
  }
}

/** The zone named `name` (canonical or not), or ZONE_NOT_FOUND. */
export function requireZone(zones: ZoneIndex, name: string): ZoneInfo {
  let zone = zones.get(name);
  if (zone === undefined) {
    try {
      zone = zones.get(parseName(name));
    } catch {
      // An unparsable name names no zone: fall through to the not-found error.
    }
  }
  if (zone === undefined) throw new StoreError(StoreErrorCode.ZONE_NOT_FOUND, `zone ${name} does not exist`);
  return zone;
}

/** A copy of `node` carrying new signatures; the lists must match its RRsets one for one. */
export function restoreSigs(node: StoredNode, rrsetSigs: readonly Buffer[][], nsec3Sigs: readonly Buffer[]): StoredNode {
  if (rrsetSigs.length !== node.rrsets.length) {
    throw new StoreError(StoreErrorCode.SIGS_MISMATCH, `${rrsetSigs.length} signature lists given for ${node.rrsets.length} RRsets at ${node.owner}`);
  }
  return {
    owner: node.owner,
    descendants: node.descendants,
    rrsets: node.rrsets.map((r, i) => ({ type: r.type, ttl: r.ttl, rdatas: r.rdatas, sigs: [...rrsetSigs[i]!] })),
    nsec3Sigs: [...nsec3Sigs],
  };
}
