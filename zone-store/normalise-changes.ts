/**
 * Input checks and normalisation for a batch of name changes, shared by every store so both refuse
 * the same inputs with the same codes. Owners are canonicalised (RFC 4034 §6.2), must lie in the zone
 * (at the apex only TLSA/SSHFP: its SOA/NS are computed from settings; a `_user.<org>` zone holds its
 * user CA's TLSA there, SPECS.md §9.3), and may carry only TLSA (RFC 6698) and
 * SSHFP (RFC 4255) RRsets; RDATA is sorted and de-duplicated (RFC 4034 §6.3); TTLs are bounded by
 * RFC 2181 §8. When one owner appears several times, the last change wins.
 */
import { DATA_TYPES, typeToString } from '../core/rr-types.js';
import { canonicalRdatas, type RrsetData } from '../core/rrset.js';
import type { NameChange } from './types.js';
import { StoreError, StoreErrorCode } from './errors.js';
import { canonicalName, isNameInZone } from './name-fast-paths.js';

const MAX_TTL = 0x7fffffff;

export interface NormalisedChanges {
  /** Canonical owner of each input change, in input order. */
  owners: string[];
  /** Final RRsets per distinct owner (sorted by type; empty means the name goes away). */
  finals: Map<string, RrsetData[]>;
}

export function normaliseChanges(apex: string, changes: readonly NameChange[]): NormalisedChanges {
  const owners: string[] = [];
  const finals = new Map<string, RrsetData[]>();
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i]!;
    const owner = checkOwner(apex, change.owner, i);
    owners.push(owner);
    finals.set(owner, change.op === 'put' ? normaliseRrsets(owner, change.rrsets, i) : []);
  }
  return { owners, finals };
}

function checkOwner(apex: string, text: string, index: number): string {
  let owner: string;
  try {
    owner = canonicalName(text);
  } catch (e) {
    throw new StoreError(StoreErrorCode.NAME_INVALID, `change ${index}: owner ${JSON.stringify(text)} is not a domain name: ${(e as Error).message}`);
  }
  if (!isNameInZone(owner, apex)) {
    throw new StoreError(StoreErrorCode.NAME_OUTSIDE_ZONE, `change ${index}: owner ${owner} is outside zone ${apex}`);
  }
  return owner;
}

function normaliseRrsets(owner: string, rrsets: readonly RrsetData[], index: number): RrsetData[] {
  const out: RrsetData[] = [];
  const seen: number[] = [];
  for (const r of rrsets) {
    if (!DATA_TYPES.has(r.type)) {
      throw new StoreError(StoreErrorCode.TYPE_REFUSED, `change ${index} (${owner}): type ${typeToString(r.type)} is not accepted: idzone stores only TLSA and SSHFP`);
    }
    if (seen.includes(r.type)) {
      throw new StoreError(StoreErrorCode.RRSET_DUPLICATE, `change ${index} (${owner}): type ${typeToString(r.type)} appears twice; give one RRset per type`);
    }
    seen.push(r.type);
    if (!Number.isInteger(r.ttl) || r.ttl < 0 || r.ttl > MAX_TTL) {
      throw new StoreError(StoreErrorCode.TTL_INVALID, `change ${index} (${owner}): TTL ${String(r.ttl)} is not an integer in 0..${MAX_TTL}`);
    }
    // An RRset without RDATA holds nothing: under put-replaces-all semantics it simply is not there.
    if (r.rdatas.length === 0) continue;
    // One RDATA is already canonical; skipping the copy and sort matters for bulk imports.
    const rdatas = r.rdatas.length === 1 ? [r.rdatas[0]!] : canonicalRdatas(r.rdatas);
    out.push({ type: r.type, ttl: r.ttl, rdatas });
  }
  return out.length > 1 ? out.sort((a, b) => a.type - b.type) : out;
}
