/**
 * The seam between the query path and the signer: what the plan builder needs to make an answer
 * DNSSEC-complete (RFC 4035 §3.1). One `ZoneSigning` per signed zone, built in main.ts from the
 * zone's keys; unsigned zones have none. Implementations prefer the signatures stored beside the
 * records at write time and sign only what depends on the question (NSEC3 covers), through a
 * bounded signature cache.
 */
import type { StoredNode, ZoneInfo } from '../../zone-store/types.js';

export interface SignedRrset {
  owner: string;
  type: number;
  ttl: number;
  rdatas: Buffer[];
  sigs: Buffer[];
}

export interface ZoneSigning {
  /** The signer's clock (seconds since the epoch), against which signatures are judged fresh. */
  now(): number;
  /** RRSIGs over an RRset: the stored ones when valid, else made now (cached). */
  rrsetSigs(owner: string, type: number, ttl: number, rdatas: Buffer[], stored: Buffer[]): Buffer[];
  /** Signs an RRset now (cached): used for compact-denial wildcard expansions. */
  signSynthesized(owner: string, type: number, ttl: number, rdatas: Buffer[]): Buffer[];
  /** DNSKEY, NSEC3PARAM, CDS and CDNSKEY RRsets of the apex, signed. */
  apexRrsets(): SignedRrset[];
  /** The white-lies NSEC3 matching an existing name, with the given type bitmap. */
  nsec3Match(name: string, types: number[], stored: Buffer[]): SignedRrset;
  /** The white-lies NSEC3 covering a name that does not exist (H−1 … H+1). */
  nsec3Cover(name: string): SignedRrset;
  /** RFC 9824 compact denial: NSEC3 at H(name) with only NXNAME (or `types` for NODATA). */
  nsec3Compact(name: string, types: number[] | undefined): SignedRrset;
  /**
   * Starts making, off the answering thread, the one signature that depends on the question in the
   * proof for a name that does not exist (`kind`, `nextCloser` from the lookup): the NSEC3 covering
   * the next closer name, or RFC 9824's NXNAME record. The promise settles when a plan built
   * afterwards will find it ready; undefined when nothing can be prepared (sign inline then).
   */
  prepareDenial?(qname: string, nextCloser: string, kind: 'nxdomain' | 'wildcard'): Promise<void> | undefined;
}

/** Why a signed zone cannot sign right now (missing key files...): the answer is SERVFAIL + EDE. */
export interface SigningUnavailable {
  unavailable: string;
}

export interface DnssecProvider {
  forZone(zone: ZoneInfo): ZoneSigning | SigningUnavailable | undefined;
  /** Drops cached state for a zone (keys changed, zone deleted). */
  invalidate(zone: string): void;
}

/** Provider for a server with no signed zones. */
export const UNSIGNED: DnssecProvider = {
  forZone: () => undefined,
  invalidate: () => undefined,
};

export function isUnavailable(s: ZoneSigning | SigningUnavailable | undefined): s is SigningUnavailable {
  return s !== undefined && 'unavailable' in s;
}

/** Types present at a stored node, sorted (for NSEC3 bitmaps and RFC 8482 answers). */
export function nodeTypes(node: StoredNode | undefined): number[] {
  return node === undefined ? [] : node.rrsets.map((r) => r.type).sort((a, b) => a - b);
}
