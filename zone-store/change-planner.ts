/**
 * Turns a normalised batch of name changes into everything a store must write for it, from the state
 * read before writing (single-writer assumption): the node rows to put, re-count or delete, the
 * empty non-terminals (RFC 4592 §2.2.2) created or removed above changed names, the journal entry in
 * RFC 1995 shape (old RRs deleted, new RRs added), `existed` per input, the touched names, and the
 * change in the zone's name count. Both stores run this one planner, so they cannot disagree.
 *
 * ENT bookkeeping: every name strictly between a data-holding name and the apex counts the
 * data-holding names below it (`descendants`). A name gaining data adds 1 to each ancestor, one losing
 * data subtracts 1; a row with no data whose count reaches 0 is deleted. Counts are written as
 * absolute values, so replaying a plan twice gives the same rows.
 */
import type { RrsetData } from '../core/rrset.js';
import type { JournalEntry, NodeSigner, StoredNode, StoredRrset, ZoneInfo } from './types.js';
import type { NormalisedChanges } from './normalise-changes.js';
import { StoreError, StoreErrorCode } from './errors.js';
import { ancestorsUnder } from './name-fast-paths.js';

export type JournalRr = JournalEntry['added'][number];

export type NodeWrite =
  | { kind: 'put'; node: StoredNode }
  | { kind: 'descendants'; owner: string; descendants: number }
  | { kind: 'delete'; owner: string };

export interface ChangePlan {
  existed: boolean[];
  deleted: JournalRr[];
  added: JournalRr[];
  writes: NodeWrite[];
  touched: string[];
  nameCountDelta: number;
}

/** Reads the stored nodes among `owners` (absent names are simply missing from the map). */
export type NodeReader = (owners: readonly string[]) => Map<string, StoredNode>;

export function planChanges(zone: ZoneInfo, input: NormalisedChanges, read: NodeReader, signer: NodeSigner | undefined): ChangePlan {
  const before = read([...input.finals.keys()]);
  const plan: ChangePlan = { existed: [], deleted: [], added: [], writes: [], touched: [], nameCountDelta: 0 };
  for (const owner of input.owners) plan.existed.push(hasData(before.get(owner)));
  const deltas = new Map<string, number>();
  const changedData = new Set<string>();
  for (const [owner, rrsets] of input.finals) {
    const old = before.get(owner);
    if (sameContent(old?.rrsets ?? [], rrsets)) continue;
    changedData.add(owner);
    diffJournal(owner, old?.rrsets ?? [], rrsets, plan);
    const step = (rrsets.length > 0 ? 1 : 0) - (hasData(old) ? 1 : 0);
    if (step !== 0) {
      plan.nameCountDelta += step;
      for (const a of ancestorsUnder(owner, zone.name)) deltas.set(a, (deltas.get(a) ?? 0) + step);
    }
  }
  const missing = [...deltas.keys()].filter((a) => !input.finals.has(a));
  for (const [k, v] of read(missing)) before.set(k, v);
  const ctx: WriteContext = { zone, signer, plan };
  for (const owner of changedData) writeOwner(ctx, owner, before.get(owner), input.finals.get(owner)!, deltas.get(owner) ?? 0);
  for (const [owner, delta] of deltas) {
    // Owners whose data changed were written above with their delta folded in; an unchanged owner of
    // the batch can still be an ancestor whose count moved.
    if (!changedData.has(owner) && delta !== 0) writeAncestor(ctx, owner, before.get(owner), delta);
  }
  return plan;
}

interface WriteContext {
  zone: ZoneInfo;
  signer: NodeSigner | undefined;
  plan: ChangePlan;
}

/** A name whose own data changed (and whose count may have moved too). */
function writeOwner(ctx: WriteContext, owner: string, old: StoredNode | undefined, rrsets: RrsetData[], delta: number): void {
  const descendants = (old?.descendants ?? 0) + delta;
  ctx.plan.touched.push(owner);
  if (rrsets.length === 0 && descendants === 0) {
    if (old !== undefined) ctx.plan.writes.push({ kind: 'delete', owner });
    return;
  }
  ctx.plan.writes.push({ kind: 'put', node: signedNode(ctx, owner, rrsets, descendants, old) });
}

/** An ancestor whose data is unchanged but whose count of data-holding descendants moved. */
function writeAncestor(ctx: WriteContext, owner: string, old: StoredNode | undefined, delta: number): void {
  const descendants = (old?.descendants ?? 0) + delta;
  if (descendants < 0) throw new StoreError(StoreErrorCode.CORRUPT, `descendant count of ${owner} would fall below zero`);
  if (old === undefined) {
    ctx.plan.touched.push(owner);
    ctx.plan.writes.push({ kind: 'put', node: signedNode(ctx, owner, [], descendants) });
  } else if (descendants === 0 && old.rrsets.length === 0) {
    ctx.plan.touched.push(owner);
    ctx.plan.writes.push({ kind: 'delete', owner });
  } else {
    ctx.plan.writes.push({ kind: 'descendants', owner, descendants });
  }
}

/** The node to store, signed; signatures of `old` that still fit are kept (NodeSigner.signNode). */
function signedNode(ctx: WriteContext, owner: string, rrsets: RrsetData[], descendants: number, old?: StoredNode): StoredNode {
  if (ctx.signer === undefined) {
    return { owner, rrsets: rrsets.map((r) => ({ type: r.type, ttl: r.ttl, rdatas: r.rdatas, sigs: [] })), descendants, nsec3Sigs: [] };
  }
  const signed = ctx.signer.signNode(ctx.zone, owner, rrsets, descendants, old);
  if (signed.rrsetSigs.length !== rrsets.length) {
    throw new StoreError(StoreErrorCode.SIGS_MISMATCH, `signer returned ${signed.rrsetSigs.length} signature lists for ${rrsets.length} RRsets at ${owner}`);
  }
  const stored: StoredRrset[] = rrsets.map((r, i) => ({ type: r.type, ttl: r.ttl, rdatas: r.rdatas, sigs: signed.rrsetSigs[i]! }));
  return { owner, rrsets: stored, descendants, nsec3Sigs: signed.nsec3Sigs };
}

function hasData(node: StoredNode | undefined): boolean {
  return node !== undefined && node.rrsets.length > 0;
}

function sameContent(a: readonly RrsetData[], b: readonly RrsetData[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.type !== y.type || x.ttl !== y.ttl || x.rdatas.length !== y.rdatas.length) return false;
    for (let j = 0; j < x.rdatas.length; j++) if (!x.rdatas[j]!.equals(y.rdatas[j]!)) return false;
  }
  return true;
}

/** RFC 1995 §4: per RR, what disappears is deleted and what appears is added; a TTL change is both. */
function diffJournal(owner: string, old: readonly RrsetData[], next: readonly RrsetData[], plan: ChangePlan): void {
  if (old.length === 0) return pushAll(owner, next, plan.added);
  if (next.length === 0) return pushAll(owner, old, plan.deleted);
  const oldKeys = rrKeys(old);
  const newKeys = rrKeys(next);
  for (const [k, rr] of oldKeys) if (!newKeys.has(k)) plan.deleted.push({ owner, ...rr });
  for (const [k, rr] of newKeys) if (!oldKeys.has(k)) plan.added.push({ owner, ...rr });
}

function pushAll(owner: string, rrsets: readonly RrsetData[], out: JournalRr[]): void {
  for (const r of rrsets) for (const rdata of r.rdatas) out.push({ owner, type: r.type, ttl: r.ttl, rdata });
}

function rrKeys(rrsets: readonly RrsetData[]): Map<string, { type: number; ttl: number; rdata: Buffer }> {
  const m = new Map<string, { type: number; ttl: number; rdata: Buffer }>();
  for (const r of rrsets) for (const rdata of r.rdatas) m.set(`${r.type}/${r.ttl}/${rdata.toString('hex')}`, { type: r.type, ttl: r.ttl, rdata });
  return m;
}

/**
 * True when a plan changes nothing: deletes of absent names, puts of exactly the records already
 * stored (the planner skips those before signing). The stores then commit nothing and keep the
 * serial, so such a call is not a new zone version and adds no empty journal entry.
 */
export function isNoOp(plan: ChangePlan): boolean {
  return plan.writes.length === 0 && plan.deleted.length === 0 && plan.added.length === 0;
}
