/**
 * Signed NXDOMAIN answers with white lies, assembled from a template. Of the eight records such
 * an answer carries (RFC 5155 §7.2.2), six are the same for every name below one closest
 * encloser: the negative SOA, the encloser's NSEC3 match and the wildcard cover, each with its
 * RRSIG. They are planned once (build-plan.ts nxdomainSharedProof) and encoded once (encode-plan.ts,
 * wire/record-block.ts); an answer is then that block copied, plus the next closer's cover, the
 * one record made for the question. A flood of random names costs the copy instead of planning
 * and encoding eight records per query; the bytes are those buildPlan and encodePlan would make.
 *
 * A template is used while the zone (serial and settings), the zone's signing (keys), and the
 * encloser's stored node are the objects it was made with, and until the first of its RRSIGs
 * expires or TEMPLATE_SECONDS pass; every store event naming the zone drops its templates too,
 * like the probe cache beside it. Bounded by count: when full it starts again empty.
 */
import type { StoredNode, ZoneInfo } from '../../zone-store/types.js';
import type { RecordBlock } from '../wire/record-block.js';
import { firstSignatureExpiration } from './answer-plan.js';
import { nxdomainSharedProof } from './build-plan.js';
import { encodeBlock } from './encode-plan.js';
import type { ZoneSigning } from './zone-signing.js';
import { ZoneKeyedMap } from './zone-keyed-map.js';

/** A template is rebuilt at least this often (seconds), whatever its signatures allow. */
const TEMPLATE_SECONDS = 60;
const DEFAULT_LIMIT = 1024;

export interface NxdomainTemplate {
  /** The negative SOA and the closest encloser's NSEC3 match, with RRSIGs. */
  head: RecordBlock;
  /** The wildcard cover at the encloser, with its RRSIG. */
  tail: RecordBlock;
  /**
   * Owners of the NSEC3 records in the blocks. A next closer cover with one of them would repeat
   * it, and a question at or below one would be compressed differently: both are planned in full.
   */
  owners: readonly string[];
}

interface Entry extends NxdomainTemplate {
  zone: ZoneInfo;
  signing: ZoneSigning;
  ceNode: StoredNode | undefined;
  until: number;
  /** When it was built (seconds by the signer's clock); one from the clock's future is rebuilt. */
  made: number;
}

export class NxdomainTemplates {
  private readonly templates: ZoneKeyedMap<Entry>;

  constructor(limit = DEFAULT_LIMIT) {
    this.templates = new ZoneKeyedMap(limit);
  }

  /** The template for names below `ce` in `zone` (narrow denial), made now if needed. */
  get(zone: ZoneInfo, signing: ZoneSigning, ce: string, ceNode: StoredNode | undefined): NxdomainTemplate | undefined {
    const now = signing.now();
    const hit = this.templates.get(zone.name, ce);
    if (hit !== undefined && hit.zone === zone && hit.signing === signing && hit.ceNode === ceNode && now < hit.until && hit.made <= now) return hit;
    const shared = nxdomainSharedProof({ zone, qname: ce, qtype: 0, signing, dnssecOk: true }, signing, ce, ceNode);
    if (shared === undefined) return undefined;
    const entry: Entry = {
      head: encodeBlock(zone.name, shared.head),
      tail: encodeBlock(zone.name, shared.tail),
      owners: shared.owners,
      zone,
      signing,
      ceNode,
      until: Math.min(now + TEMPLATE_SECONDS, firstSignatureExpiration(shared.head, shared.tail)),
      made: now,
    };
    this.templates.set(zone.name, ce, entry);
    return entry;
  }

  /** Drops every template of `zone` (called for every store event naming it). */
  onZoneEvent(zone: string): void {
    this.templates.dropZone(zone);
  }

  clear(): void {
    this.templates.clear();
  }
}
