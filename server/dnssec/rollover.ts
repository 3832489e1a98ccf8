/**
 * Key rollovers as explicit, resumable steps derived from the key states in the catalog (so a
 * restart never loses track). Timings follow RFC 6781 §4.1 and RFC 7583:
 *
 * ZSK, pre-publication (RFC 6781 §4.1.1.1, RFC 7583 §3.2):
 *   1 publish   new ZSK `published`: in the DNSKEY RRset, signs nothing.
 *               Safe to go on once every validator can have the new DNSKEY set: DNSKEY TTL.
 *   2 activate  new ZSK `active`, old ZSK `retired` (still published: cached signatures made by
 *               it must keep validating); stored signatures are re-made with the new key.
 *               Safe to go on after the largest TTL of data the old ZSK signed (identity data
 *               and the apex records) and a finished re-sign pass.
 *   3 remove    old ZSK `removed`.
 *
 * KSK, double-KSK with CDS/CDNSKEY (RFC 7583 §3.3.2, RFC 7344, RFC 8078):
 *   1 publish   new KSK `active`: both KSKs sign the DNSKEY RRset; CDS/CDNSKEY list both so the
 *               parent adds the new DS. Safe once the DNSKEY TTL has passed and the parent
 *               serves the new DS (the operator checks `idzone zone ds`).
 *   2 retire    old KSK `retired`: it stops signing and leaves CDS/CDNSKEY (the parent drops its
 *               DS) but stays in the DNSKEY RRset until the old DS has expired from caches.
 *   3 remove    old KSK `removed` after the parent's DS TTL.
 */
import type { KeyRecord, ZoneInfo } from '../../zone-store/types.js';
import { isSigningRole } from './keyring.js';

export type KeyKind = 'zsk' | 'ksk';

/** Margin added to every wait for clock skew and secondaries' transfer delay. */
export const PROPAGATION_SECONDS = 300;
/** Assumed TTL of the DS RRset at the parent (common default for TLD/parents: one day). */
export const DEFAULT_PARENT_DS_TTL = 86400;

export type RolloverAction =
  | { step: 'publish'; kind: KeyKind }
  | { step: 'activate'; kind: 'zsk'; newKey: KeyRecord; oldKeys: KeyRecord[] }
  | { step: 'retire'; kind: 'ksk'; oldKeys: KeyRecord[] }
  | { step: 'remove'; kind: KeyKind; oldKeys: KeyRecord[] };

export interface RolloverStatus {
  kind: KeyKind;
  /** 0 = no rollover under way; otherwise the number of the step last taken (1–2). */
  stepTaken: number;
  description: string;
  next: RolloverAction;
  /** Unix seconds from which `next` is safe. */
  safeAt: number;
  /** Extra condition the server cannot see (parent DS) or is still working on (re-sign). */
  waitingFor?: string;
}

export interface RolloverContext {
  zone: ZoneInfo;
  keys: readonly KeyRecord[];
  /** Unix seconds at which the last full re-sign pass finished, if one ran after `since`. */
  resignedAt?: number;
  parentDsTtl?: number;
}

function ofKind(keys: readonly KeyRecord[], kind: KeyKind): KeyRecord[] {
  return keys.filter((k) => k.state !== 'removed' && k.role !== 'csk' && isSigningRole(k, kind));
}

export function rolloverStatus(ctx: RolloverContext, kind: KeyKind): RolloverStatus {
  return kind === 'zsk' ? zskStatus(ctx) : kskStatus(ctx);
}

function zskStatus(ctx: RolloverContext): RolloverStatus {
  const keys = ofKind(ctx.keys, 'zsk');
  const dnskeyTtl = ctx.zone.settings.soaTtl;
  const published = keys.filter((k) => k.state === 'published');
  const retired = keys.filter((k) => k.state === 'retired');
  const active = keys.filter((k) => k.state === 'active');
  if (published.length > 0) {
    const newKey = published[0]!;
    return {
      kind: 'zsk',
      stepTaken: 1,
      description: `new ZSK ${newKey.keyTag} pre-published; old ZSK ${active.map((k) => k.keyTag).join(', ')} still signs`,
      next: { step: 'activate', kind: 'zsk', newKey, oldKeys: active },
      safeAt: newKey.changedAt + dnskeyTtl + PROPAGATION_SECONDS,
    };
  }
  if (retired.length > 0) {
    const since = Math.max(...retired.map((k) => k.changedAt));
    const resigned = ctx.resignedAt !== undefined && ctx.resignedAt >= since;
    const s: RolloverStatus = {
      kind: 'zsk',
      stepTaken: 2,
      description: `new ZSK ${active.map((k) => k.keyTag).join(', ')} signs; old ZSK ${retired.map((k) => k.keyTag).join(', ')} retired but still published`,
      next: { step: 'remove', kind: 'zsk', oldKeys: retired },
      // From activation on, every answer carries the new ZSK's signatures (the query path refuses
      // stored ones by a key that no longer signs), so the old key's can only be in caches, for at
      // most the largest TTL of data it signed: identity RRsets (maxTtl), the apex NS (nsTtl), SOA,
      // NSEC3PARAM and NSEC3 records (soaTtl, or less).
      safeAt: since + largestSignedTtl(ctx.zone) + PROPAGATION_SECONDS,
    };
    if (!resigned) s.waitingFor = `a full re-sign pass with the new ZSK (the server runs one after each key change and at start; offline: "idzone zone resign ${ctx.zone.name}")`;
    return s;
  }
  return { kind: 'zsk', stepTaken: 0, description: `no ZSK rollover under way (active ZSK ${active.map((k) => k.keyTag).join(', ') || 'none (CSK)'})`, next: { step: 'publish', kind: 'zsk' }, safeAt: 0 };
}

/** The largest TTL of any RRset a ZSK signs in `zone`. */
export function largestSignedTtl(zone: ZoneInfo): number {
  const s = zone.settings;
  return Math.max(s.maxTtl, s.soaTtl, s.nsTtl);
}

function kskStatus(ctx: RolloverContext): RolloverStatus {
  const keys = ofKind(ctx.keys, 'ksk');
  const dnskeyTtl = ctx.zone.settings.soaTtl;
  const active = keys.filter((k) => k.state === 'active').sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
  const retired = keys.filter((k) => k.state === 'retired');
  if (retired.length > 0) {
    const since = Math.max(...retired.map((k) => k.changedAt));
    return {
      kind: 'ksk',
      stepTaken: 2,
      description: `old KSK ${retired.map((k) => k.keyTag).join(', ')} retired (out of CDS/CDNSKEY, still in DNSKEY); new KSK ${active.map((k) => k.keyTag).join(', ')} signs the DNSKEY set`,
      next: { step: 'remove', kind: 'ksk', oldKeys: retired },
      safeAt: since + (ctx.parentDsTtl ?? DEFAULT_PARENT_DS_TTL) + PROPAGATION_SECONDS,
      waitingFor: 'the parent to stop serving the old DS (check with your registrar/parent)',
    };
  }
  if (active.length > 1) {
    const newest = active[active.length - 1]!;
    return {
      kind: 'ksk',
      stepTaken: 1,
      description: `new KSK ${newest.keyTag} published and signing beside ${active.slice(0, -1).map((k) => k.keyTag).join(', ')}; CDS/CDNSKEY list both`,
      next: { step: 'retire', kind: 'ksk', oldKeys: active.slice(0, -1) },
      safeAt: newest.changedAt + dnskeyTtl + PROPAGATION_SECONDS,
      waitingFor: `the parent to serve the DS for KSK ${newest.keyTag} (see "idzone zone ds ${ctx.zone.name}")`,
    };
  }
  return { kind: 'ksk', stepTaken: 0, description: `no KSK rollover under way (active KSK ${active.map((k) => k.keyTag).join(', ') || 'none (CSK)'})`, next: { step: 'publish', kind: 'ksk' }, safeAt: 0 };
}

/** True when the zone uses a CSK (rollovers of split keys do not apply). */
export function usesCsk(keys: readonly KeyRecord[]): boolean {
  return keys.some((k) => k.role === 'csk' && k.state !== 'removed');
}
