/**
 * Turns a lookup outcome into an answer plan, section by section, adding DNSSEC records after each
 * section the way Knot's internet.c does. Proofs follow RFC 5155 §7.2: NXDOMAIN (closest encloser
 * match, next closer cover, wildcard cover, §7.2.2), NODATA (§7.2.3, ENTs included), wildcard
 * NODATA (§7.2.5), wildcard answer (§7.2.6). Compact denial follows RFC 9824 §3. ANY gets one
 * RRset (RFC 8482 §4.1). Negative answers carry the SOA with TTL min(SOA TTL, MINIMUM).
 */
import { RrType, Rcode } from '../../core/rr-types.js';
import type { StoredNode, ZoneInfo } from '../../zone-store/types.js';
import { apexManagedTypes, encodeSoaRdata, negativeTtl, nsRdatas } from './apex-records.js';
import { emptyPlan, type AnswerPlan, type PlanRecord } from './answer-plan.js';
import type { LookupOutcome } from './lookup.js';
import { nodeTypes, type SignedRrset, type ZoneSigning } from './zone-signing.js';

export interface PlanInput {
  zone: ZoneInfo;
  qname: string;
  qtype: number;
  /** The zone's signing when it is signed and its keys load (apex DNSKEY etc. exist then). */
  signing: ZoneSigning | undefined;
  /** DO=1: add RRSIGs and denial proofs (RFC 3225, RFC 4035 §3.1). */
  dnssecOk: boolean;
  /** DO=1 and CO=1 (RFC 9824 §5.1): a compact denial of a name that does not exist says NXDOMAIN. */
  compactOk?: boolean;
}

type SplitInput = PlanInput & { apexSigning: ZoneSigning | undefined };

interface RrsetLike {
  type: number;
  ttl: number;
  rdatas: Buffer[];
  sigs: Buffer[];
}

export function buildPlan(planInput: PlanInput, outcome: LookupOutcome): AnswerPlan {
  // Below, `input.signing` is set only when DNSSEC records go in the answer; apex key RRsets
  // come from `planInput.signing` whatever DO says.
  const input: SplitInput = {
    ...planInput,
    signing: planInput.dnssecOk ? planInput.signing : undefined,
    apexSigning: planInput.signing,
  };
  switch (outcome.kind) {
    case 'exact':
      return planExact(input, outcome.node, outcome.isApex);
    case 'wildcard':
      return planWildcard(input, outcome.closestEncloser, outcome.encloserNode, outcome.nextCloser, outcome.wildcard);
    case 'nxdomain':
      return planNxdomain(input, outcome.closestEncloser, outcome.encloserNode, outcome.nextCloser);
    default:
      return assertNever(outcome);
  }
}

function planExact(input: SplitInput, node: StoredNode | undefined, isApex: boolean): AnswerPlan {
  const rrsets = isApex ? apexRrsets(input, node) : (node?.rrsets ?? []);
  const plan = emptyPlan(Rcode.NOERROR, true);
  plan.cacheScope = isApex ? 'zone' : 'name';
  if (input.qtype === RrType.ANY && rrsets.length > 0) {
    // RFC 8482 §4.1: answer with one RRset rather than everything at the name.
    const first = rrsets.find((r) => r.type === RrType.TLSA) ?? rrsets[0]!;
    addRrset(plan.answer, input, input.qname, first);
    return plan;
  }
  if (input.qtype === RrType.RRSIG && input.apexSigning !== undefined) {
    // The RRSIGs exist whether or not the query set DO, so an explicit RRSIG query gets them.
    const withSigs: SplitInput = { ...input, signing: input.apexSigning };
    for (const r of rrsets) for (const sig of signaturesOf(withSigs, input.qname, r)) plan.answer.push({ owner: input.qname, type: RrType.RRSIG, ttl: r.ttl, rdata: sig });
    if (plan.answer.length > 0) return plan;
  }
  const hit = rrsets.find((r) => r.type === input.qtype);
  if (hit !== undefined) {
    addRrset(plan.answer, input, input.qname, hit);
    return plan;
  }
  const types = isApex ? apexTypes(input, node) : nodeTypes(node);
  addNegativeSoa(plan, input);
  if (input.signing !== undefined) {
    const stored = node?.nsec3Sigs ?? [];
    const proof = input.zone.settings.denial === 'compact' ? input.signing.nsec3Compact(input.qname, types) : input.signing.nsec3Match(input.qname, types, stored);
    addSigned(plan.authority, proof);
  }
  plan.cacheScope = 'zone';
  return plan;
}

function planWildcard(input: SplitInput, ce: string, ceNode: StoredNode | undefined, nc: string, wildcard: StoredNode): AnswerPlan {
  const plan = emptyPlan(Rcode.NOERROR, true);
  plan.cacheScope = 'zone';
  const compact = input.zone.settings.denial === 'compact';
  if (input.qtype === RrType.RRSIG && input.apexSigning !== undefined && wildcard.rrsets.length > 0) {
    // As at an existing name: the expansion's RRSIGs, which exist whether or not the query set DO
    // (a NODATA would contradict the wildcard's NSEC3, whose bitmap has RRSIG). With DO=1, the
    // next-closer cover proves the name itself does not exist, as for any wildcard answer.
    // The wildcard's own (stored) signatures, in compact zones too: an RRSIG answer is not
    // validated, and signing per random name here would run outside the slice scheduler.
    for (const r of wildcard.rrsets) {
      for (const sig of input.apexSigning.rrsetSigs('*.' + ce, r.type, r.ttl, r.rdatas, r.sigs)) plan.answer.push({ owner: input.qname, type: RrType.RRSIG, ttl: r.ttl, rdata: sig });
    }
    if (input.signing !== undefined && !compact) addSigned(plan.authority, input.signing.nsec3Cover(nc));
    return plan;
  }
  const hit = input.qtype === RrType.ANY ? wildcard.rrsets[0] : wildcard.rrsets.find((r) => r.type === input.qtype);
  if (hit !== undefined) {
    if (input.signing !== undefined && compact) {
      // RFC 9824 §3.3: sign the expansion as if the name existed; no denial record needed.
      plan.answer.push(...rrsetRecords(input.qname, hit));
      for (const sig of input.signing.signSynthesized(input.qname, hit.type, hit.ttl, hit.rdatas)) plan.answer.push({ owner: input.qname, type: RrType.RRSIG, ttl: hit.ttl, rdata: sig });
      return plan;
    }
    // The wildcard's own RRSIG (Labels < qname labels) lets the validator see the expansion.
    plan.answer.push(...rrsetRecords(input.qname, hit));
    if (input.signing !== undefined) {
      const wildOwner = '*.' + ce;
      for (const sig of input.signing.rrsetSigs(wildOwner, hit.type, hit.ttl, hit.rdatas, hit.sigs)) plan.answer.push({ owner: input.qname, type: RrType.RRSIG, ttl: hit.ttl, rdata: sig });
      addSigned(plan.authority, input.signing.nsec3Cover(nc));
    }
    return plan;
  }
  addNegativeSoa(plan, input);
  if (input.signing !== undefined) {
    if (compact) {
      addSigned(plan.authority, input.signing.nsec3Compact(input.qname, nodeTypes(wildcard)));
    } else {
      addProofs(plan, [
        encloserMatch(input, input.signing, ce, ceNode),
        input.signing.nsec3Cover(nc),
        input.signing.nsec3Match('*.' + ce, nodeTypes(wildcard), wildcard.nsec3Sigs),
      ]);
    }
  }
  return plan;
}

function planNxdomain(input: SplitInput, ce: string, ceNode: StoredNode | undefined, nc: string): AnswerPlan {
  const compact = input.zone.settings.denial === 'compact' && input.signing !== undefined;
  // RFC 9824 §3.1: compact denial answers NOERROR; DO=0 queries keep the real rcode (§5), and so
  // do queries that set Compact Answers OK (§5.1), beside the same NXNAME proof.
  const plan = emptyPlan(compact && input.compactOk !== true ? Rcode.NOERROR : Rcode.NXDOMAIN, true);
  plan.cacheScope = 'zone';
  addNegativeSoa(plan, input);
  if (input.signing === undefined) return plan;
  if (compact) {
    addSigned(plan.authority, input.signing.nsec3Compact(input.qname, undefined));
    return plan;
  }
  addProofs(plan, [encloserMatch(input, input.signing, ce, ceNode), input.signing.nsec3Cover(nc), input.signing.nsec3Cover('*.' + ce)]);
  return plan;
}

/**
 * What every signed NXDOMAIN with white lies below the closest encloser `ce` shares (RFC 5155
 * §7.2.2), in planNxdomain's order around the one record that depends on the question: `head` is
 * the negative SOA and the encloser's NSEC3 match with their RRSIGs, `tail` the wildcard cover
 * with its RRSIG; the next closer's cover goes between them. Undefined for compact denial.
 */
export function nxdomainSharedProof(planInput: PlanInput, signing: ZoneSigning, ce: string, ceNode: StoredNode | undefined): { head: PlanRecord[]; tail: PlanRecord[]; owners: string[] } | undefined {
  if (planInput.zone.settings.denial === 'compact') return undefined;
  const input: SplitInput = { ...planInput, dnssecOk: true, signing, apexSigning: signing };
  const plan = emptyPlan(Rcode.NXDOMAIN, true);
  addNegativeSoa(plan, input);
  const match = encloserMatch(input, signing, ce, ceNode);
  const cover = signing.nsec3Cover('*.' + ce);
  // Equal owners are sent once (addProofs); not worth a template.
  if (match.owner === cover.owner) return undefined;
  addSigned(plan.authority, match);
  const tail: PlanRecord[] = [];
  addSigned(tail, cover);
  return { head: plan.authority, tail, owners: [match.owner, cover.owner] };
}

/** The NSEC3 matching the closest encloser, with its real types (the apex adds its managed set). */
function encloserMatch(input: SplitInput, signing: ZoneSigning, ce: string, ceNode: StoredNode | undefined): SignedRrset {
  if (ce === input.zone.name) return signing.nsec3Match(ce, apexTypes(input, ceNode), []);
  return signing.nsec3Match(ce, nodeTypes(ceNode), ceNode?.nsec3Sigs ?? []);
}

function apexRrsets(input: SplitInput, node: StoredNode | undefined): RrsetLike[] {
  const zone = input.zone;
  const out: RrsetLike[] = [
    { type: RrType.SOA, ttl: zone.settings.soaTtl, rdatas: [encodeSoaRdata(zone)], sigs: [] },
    { type: RrType.NS, ttl: zone.settings.nsTtl, rdatas: nsRdatas(zone), sigs: [] },
  ];
  // Signed by the provider (DNSKEY by the KSKs); whether RRSIGs are sent is decided at output.
  if (input.apexSigning !== undefined) for (const s of input.apexSigning.apexRrsets()) out.push(s);
  if (node !== undefined) out.push(...node.rrsets);
  return out;
}

function apexTypes(input: SplitInput, node: StoredNode | undefined): number[] {
  const types = new Set<number>([...apexManagedTypes(input.zone.settings.signed), ...nodeTypes(node)]);
  return [...types].sort((a, b) => a - b);
}

/**
 * The SOA of a negative answer: served with the negative TTL (RFC 2308 §3), signed as it stands
 * in the zone. Its RRSIG's Original TTL is the zone's SOA TTL (RFC 4034 §3.1.4; validators rebuild
 * the signed data with it, RFC 4035 §5.3.3), so positive and negative answers share one SOA
 * signature per serial.
 */
function addNegativeSoa(plan: AnswerPlan, input: PlanInput): void {
  const ttl = negativeTtl(input.zone);
  const owner = input.zone.name;
  const soa: RrsetLike = { type: RrType.SOA, ttl: input.zone.settings.soaTtl, rdatas: [encodeSoaRdata(input.zone)], sigs: [] };
  plan.authority.push(...rrsetRecords(owner, { ...soa, ttl }));
  for (const sig of signaturesOf(input, owner, soa)) plan.authority.push({ owner, type: RrType.RRSIG, ttl, rdata: sig });
}

function addRrset(section: PlanRecord[], input: PlanInput, owner: string, r: RrsetLike): void {
  section.push(...rrsetRecords(owner, r));
  for (const sig of signaturesOf(input, owner, r)) section.push({ owner, type: RrType.RRSIG, ttl: r.ttl, rdata: sig });
}

function signaturesOf(input: PlanInput, owner: string, r: RrsetLike): Buffer[] {
  if (input.signing === undefined) return [];
  // Apex DNSKEY/NSEC3PARAM/CDS/CDNSKEY come pre-signed from the provider.
  if (r.sigs.length > 0 && isProviderApexType(r.type)) return r.sigs;
  return input.signing.rrsetSigs(owner, r.type, r.ttl, r.rdatas, r.sigs);
}

function isProviderApexType(type: number): boolean {
  return type === RrType.DNSKEY || type === RrType.NSEC3PARAM || type === RrType.CDS || type === RrType.CDNSKEY;
}

function rrsetRecords(owner: string, r: { type: number; ttl: number; rdatas: Buffer[] }): PlanRecord[] {
  return r.rdatas.map((rdata) => ({ owner, type: r.type, ttl: r.ttl, rdata }));
}

function addSigned(section: PlanRecord[], s: SignedRrset): void {
  for (const rdata of s.rdatas) section.push({ owner: s.owner, type: s.type, ttl: s.ttl, rdata });
  for (const sig of s.sigs) section.push({ owner: s.owner, type: RrType.RRSIG, ttl: s.ttl, rdata: sig });
}

/** Adds NSEC3 proofs, skipping a record already present (e.g. NC cover equal to wildcard cover). */
function addProofs(plan: AnswerPlan, proofs: SignedRrset[]): void {
  const seen = new Set<string>();
  for (const p of proofs) {
    if (seen.has(p.owner)) continue;
    seen.add(p.owner);
    addSigned(plan.authority, p);
  }
}

function assertNever(x: never): never {
  throw new Error(`unexpected outcome ${JSON.stringify(x)}`);
}
