/**
 * The lookup stage: given a zone and a question name, decide what exists. Implements the
 * authoritative algorithm of RFC 1034 §4.3.2 for zones that hold no delegations, CNAMEs or DNAMEs
 * (idzone refuses them at every edge), with wildcards per RFC 4592 §3.3.1 and the closest encloser
 * of RFC 5155 §7.2 (empty non-terminals count as existing, RFC 4592 §2.2.2). Every probe is one
 * point read in one shard; nothing here scans.
 */
import { labelCount, labelStarts } from '../../core/names.js';
import type { StoredNode, ZoneInfo, ZoneReader } from '../../zone-store/types.js';
import type { ProbeCache } from './probe-cache.js';

export type LookupOutcome =
  /** The name exists (data or empty non-terminal). `node` is undefined only for a bare apex. */
  | { kind: 'exact'; node: StoredNode | undefined; isApex: boolean }
  /** The name does not exist, a wildcard at the closest encloser does. */
  | { kind: 'wildcard'; closestEncloser: string; encloserNode: StoredNode | undefined; nextCloser: string; wildcard: StoredNode }
  /** The name does not exist and no wildcard applies. */
  | { kind: 'nxdomain'; closestEncloser: string; encloserNode: StoredNode | undefined; nextCloser: string };

/**
 * Looks `qname` (canonical, inside `zone`) up. The apex always exists: its SOA and NS are
 * synthesised from the zone settings, so only identity data at the apex is stored.
 */
export function lookupName(reader: ZoneReader, zone: ZoneInfo, qname: string, probes?: ProbeCache): LookupOutcome {
  // The question's own name goes straight to the store (random names would only churn the cache);
  // the ancestors and wildcards probed above it repeat from query to query.
  const probe = probes === undefined ? (name: string) => reader.getNode(zone, name) : (name: string) => probes.get(reader, zone, name);
  if (qname === zone.name) return { kind: 'exact', node: reader.getNode(zone, qname), isApex: true };
  const exact = reader.getNode(zone, qname);
  if (exact !== undefined) return { kind: 'exact', node: exact, isApex: false };
  const starts = labelStarts(qname);
  const apexDepth = labelCount(zone.name);
  // Walk up from the parent: the first existing ancestor is the closest encloser.
  for (let k = 1; k <= starts.length - apexDepth; k++) {
    const ancestor = k < starts.length ? qname.slice(starts[k]!) : '.';
    const nextCloser = qname.slice(starts[k - 1]!);
    const isApex = ancestor === zone.name;
    const encloserNode = probe(ancestor);
    if (!isApex && encloserNode === undefined) continue;
    const wildcard = probe('*.' + ancestor);
    // A wildcard that is itself an empty non-terminal still matches (RFC 4592 §3.3.3): NODATA.
    if (wildcard !== undefined) {
      return { kind: 'wildcard', closestEncloser: ancestor, encloserNode, nextCloser, wildcard };
    }
    return { kind: 'nxdomain', closestEncloser: ancestor, encloserNode, nextCloser };
  }
  // Unreachable for names inside the zone: the apex always matches.
  return { kind: 'nxdomain', closestEncloser: zone.name, encloserNode: undefined, nextCloser: qname };
}
