/**
 * Key rollovers as explicit, resumable steps derived from the key states in the catalog (so a
 * restart never loses track) and, for the KSK, the operator's confirmation that the parent serves
 * the new DS (rollover-state.ts). Timings follow RFC 6781 §4.1 and RFC 7583:
 *
 * ZSK, pre-publication (RFC 6781 §4.1.1.1, RFC 7583 §3.2):
 *   1 publish   new ZSK `published`: in the DNSKEY RRset, signs nothing.
 *               Safe to go on once every validator can have the new DNSKEY set: DNSKEY TTL; and
 *               only if the new key's private file loads (activating a key that cannot sign would
 *               make every DNSSEC answer of the zone fail).
 *   2 activate  new ZSK `active`, old ZSK `retired` (still published: cached signatures made by
 *               it must keep validating); stored signatures are re-made with the new key.
 *               Two catalog writes: a crash between them leaves both ZSKs active, which status
 *               recognises as an interrupted activate and the next "activate" finishes.
 *               Safe to go on after the largest TTL of data the old ZSK signed (identity data
 *               and the apex records) and a finished re-sign pass.
 *   3 remove    old ZSK `removed`.
 *
 * KSK, double-KSK with CDS/CDNSKEY (RFC 7583 §3.3.1–3.3.2, RFC 6781 §4.1.2, RFC 7344, RFC 8078):
 *   1 publish   new KSK `active`: both KSKs sign the DNSKEY RRset; CDS/CDNSKEY list both so the
 *               parent adds the new DS.
 *               The old KSK must keep signing until every validator can have the new DS: a
 *               validator that fetched the parent's DS RRset just before the parent added the new
 *               DS holds {old DS} for the parent's DS TTL. The server cannot see the parent, so the
 *               operator confirms when the parent serves the new DS (`idzone key ds-seen`, like
 *               BIND's `rndc dnssec -checkds published` or Knot's `zone-ksk-submitted`).
 *               Safe to go on at max(publish + DNSKEY TTL, DS seen + parent's DS TTL), plus the
 *               propagation margin; refused (without --force) until the confirmation is given.
 *   2 retire    old KSK `retired`: it stops signing and leaves CDS/CDNSKEY (the parent drops its
 *               DS) but stays in the DNSKEY RRset until the old DS has expired from caches.
 *   3 remove    old KSK `removed` after the parent's DS TTL.
 * The parent's DS TTL is per zone (`--parent-ds-ttl`, stored with the zone's keys), 86400 s unless set.
 */
import type { KeyRecord, ZoneInfo } from '../../zone-store/types.js';
import { isSigningRole } from './keyring.js';
import type { DsSeen } from './rollover-state.js';

export type KeyKind = 'zsk' | 'ksk';

/** Margin added to every wait for clock skew and secondaries' transfer delay. */
export const PROPAGATION_SECONDS = 300;
/** Assumed TTL of the DS RRset at the parent unless the zone sets one (common default for TLDs: one day). */
export const DEFAULT_PARENT_DS_TTL = 86400;

export type RolloverAction =
  | { step: 'publish'; kind: KeyKind }
  | { step: 'activate'; kind: 'zsk'; newKey: KeyRecord; oldKeys: KeyRecord[] }
  | { step: 'retire'; kind: 'ksk'; newKey: KeyRecord; oldKeys: KeyRecord[] }
  | { step: 'remove'; kind: KeyKind; oldKeys: KeyRecord[] };

/**
 * What, besides time, the next step waits for: the operator's confirmation that the parent serves
 * the new DS, a finished re-sign pass with the new ZSK, or a new key whose private file loads
 * (the only one --force does not override: the step could not work).
 */
export type RolloverBlocker = 'parent-ds' | 'resign' | 'key-file';

export interface RolloverStatus {
  kind: KeyKind;
  /** 0 = no rollover under way; otherwise the number of the step last taken (1–2). */
  stepTaken: number;
  description: string;
  next: RolloverAction;
  /**
   * Unix seconds from which `next` is safe as far as time goes. With `waitingFor` set the step is
   * not safe at any time until that condition is met; `safeAt` is then only a lower bound.
   */
  safeAt: number;
  /** A condition besides time that the step waits for (refused until it is met). */
  waitingFor?: string;
  blockedBy?: RolloverBlocker;
  /** KSK: the parent's DS TTL the waits use. */
  parentDsTtl?: number;
  /** KSK step 1: since when the parent serves the new DS (the operator's confirmation). */
  dsSeenAt?: number;
}

export interface RolloverContext {
  zone: ZoneInfo;
  keys: readonly KeyRecord[];
  /** Unix seconds at which the last full re-sign pass finished, if one ran after `since`. */
  resignedAt?: number;
  parentDsTtl?: number;
  /** The operator's confirmation that the parent serves a KSK's DS (counts for that key only). */
  dsSeen?: DsSeen;
  /** Keys (catalog id) whose private key file does not load, with the reason (names the file). */
  unloadable?: ReadonlyMap<number, string>;
}

function ofKind(keys: readonly KeyRecord[], kind: KeyKind): KeyRecord[] {
  return keys.filter((k) => k.state !== 'removed' && k.role !== 'csk' && isSigningRole(k, kind));
}

const byAge = (a: KeyRecord, b: KeyRecord): number => a.createdAt - b.createdAt || a.id - b.id;
const tags = (ks: readonly KeyRecord[]): string => ks.map((k) => k.keyTag).join(', ');
const iso = (t: number): string => new Date(t * 1000).toISOString();

export function rolloverStatus(ctx: RolloverContext, kind: KeyKind): RolloverStatus {
  return kind === 'zsk' ? zskStatus(ctx) : kskStatus(ctx);
}

function zskStatus(ctx: RolloverContext): RolloverStatus {
  const keys = ofKind(ctx.keys, 'zsk');
  const dnskeyTtl = ctx.zone.settings.soaTtl;
  const published = keys.filter((k) => k.state === 'published');
  const retired = keys.filter((k) => k.state === 'retired');
  const active = keys.filter((k) => k.state === 'active').sort(byAge);
  if (published.length > 0) {
    const newKey = published[0]!;
    const s: RolloverStatus = {
      kind: 'zsk',
      stepTaken: 1,
      description: `new ZSK ${newKey.keyTag} pre-published; old ZSK ${tags(active)} still signs`,
      next: { step: 'activate', kind: 'zsk', newKey, oldKeys: active },
      safeAt: newKey.changedAt + dnskeyTtl + PROPAGATION_SECONDS,
    };
    const problem = ctx.unloadable?.get(newKey.id);
    if (problem !== undefined) {
      s.waitingFor = `the private key of the new ZSK ${newKey.keyTag} to load: ${problem} (restore the file; a ZSK that cannot sign would make every DNSSEC answer of ${ctx.zone.name} fail)`;
      s.blockedBy = 'key-file';
    }
    return s;
  }
  if (retired.length > 0) {
    const since = Math.max(...retired.map((k) => k.changedAt));
    const resigned = ctx.resignedAt !== undefined && ctx.resignedAt >= since;
    const s: RolloverStatus = {
      kind: 'zsk',
      stepTaken: 2,
      description: `new ZSK ${tags(active)} signs; old ZSK ${tags(retired)} retired but still published`,
      next: { step: 'remove', kind: 'zsk', oldKeys: retired },
      // From activation on, every answer carries the new ZSK's signatures (the query path refuses
      // stored ones by a key that no longer signs), so the old key's can only be in caches, for at
      // most the largest TTL of data it signed: identity RRsets (maxTtl), the apex NS (nsTtl), SOA,
      // NSEC3PARAM and NSEC3 records (soaTtl, or less).
      safeAt: since + largestSignedTtl(ctx.zone) + PROPAGATION_SECONDS,
    };
    if (!resigned) {
      s.waitingFor = `a full re-sign pass with the new ZSK (the server runs one after each key change and at start; offline: "idzone zone resign ${ctx.zone.name}")`;
      s.blockedBy = 'resign';
    }
    return s;
  }
  if (active.length > 1) {
    // Only an activate step cut short between its two catalog writes (new key active, then the
    // old one retired) leaves two active ZSKs: both sign, both are published. Finish it.
    const newKey = active[active.length - 1]!;
    const oldKeys = active.slice(0, -1);
    return {
      kind: 'zsk',
      stepTaken: 1,
      description: `step 2 ("activate") was interrupted: ZSK ${newKey.keyTag} and ${tags(oldKeys)} both sign; taking "activate" again retires the old ZSK ${tags(oldKeys)}`,
      next: { step: 'activate', kind: 'zsk', newKey, oldKeys },
      safeAt: 0,
    };
  }
  return { kind: 'zsk', stepTaken: 0, description: `no ZSK rollover under way (active ZSK ${tags(active) || 'none (CSK)'})`, next: { step: 'publish', kind: 'zsk' }, safeAt: 0 };
}

/** The largest TTL of any RRset a ZSK signs in `zone`. */
export function largestSignedTtl(zone: ZoneInfo): number {
  const s = zone.settings;
  return Math.max(s.maxTtl, s.soaTtl, s.nsTtl);
}

function kskStatus(ctx: RolloverContext): RolloverStatus {
  const keys = ofKind(ctx.keys, 'ksk');
  const dnskeyTtl = ctx.zone.settings.soaTtl;
  const dsTtl = ctx.parentDsTtl ?? DEFAULT_PARENT_DS_TTL;
  const active = keys.filter((k) => k.state === 'active').sort(byAge);
  const retired = keys.filter((k) => k.state === 'retired');
  const zone = ctx.zone.name;
  if (retired.length > 0) {
    const since = Math.max(...retired.map((k) => k.changedAt));
    return {
      kind: 'ksk',
      stepTaken: 2,
      description:
        `old KSK ${tags(retired)} retired (out of CDS/CDNSKEY, so the parent drops its DS; still in DNSKEY); new KSK ${tags(active)} signs the DNSKEY set. ` +
        `Removal waits for the parent's DS TTL (${dsTtl} s) after retirement`,
      next: { step: 'remove', kind: 'ksk', oldKeys: retired },
      safeAt: since + dsTtl + PROPAGATION_SECONDS,
      parentDsTtl: dsTtl,
    };
  }
  if (active.length > 1) {
    const newKey = active[active.length - 1]!;
    const oldKeys = active.slice(0, -1);
    const dnskeyReady = newKey.changedAt + dnskeyTtl + PROPAGATION_SECONDS;
    const seen = ctx.dsSeen !== undefined && ctx.dsSeen.keyId === newKey.id ? ctx.dsSeen.at : undefined;
    const s: RolloverStatus = {
      kind: 'ksk',
      stepTaken: 1,
      description: `new KSK ${newKey.keyTag} published and signing beside ${tags(oldKeys)}; CDS/CDNSKEY list both`,
      next: { step: 'retire', kind: 'ksk', newKey, oldKeys },
      safeAt: dnskeyReady,
      parentDsTtl: dsTtl,
    };
    if (seen === undefined) {
      s.waitingFor =
        `your confirmation that the parent serves the DS for KSK ${newKey.keyTag} (check the parent's servers, e.g. "dig ${zone} DS", then run "idzone key ds-seen ${zone}"); ` +
        `the old KSK ${tags(oldKeys)} must sign until the parent's DS TTL (${dsTtl} s) + ${PROPAGATION_SECONDS} s have passed since then`;
      s.blockedBy = 'parent-ds';
    } else {
      s.dsSeenAt = seen;
      s.safeAt = Math.max(dnskeyReady, seen + dsTtl + PROPAGATION_SECONDS);
      s.description += `; the parent serves its DS since ${iso(seen)} (confirmed): a validator that cached the parent's DS RRset just before may hold only the old DS until ${iso(seen + dsTtl)}`;
    }
    return s;
  }
  return {
    kind: 'ksk',
    stepTaken: 0,
    description: `no KSK rollover under way (active KSK ${tags(active) || 'none (CSK)'})`,
    next: { step: 'publish', kind: 'ksk' },
    safeAt: 0,
    parentDsTtl: dsTtl,
  };
}

/** True when the zone uses a CSK (rollovers of split keys do not apply). */
export function usesCsk(keys: readonly KeyRecord[]): boolean {
  return keys.some((k) => k.role === 'csk' && k.state !== 'removed');
}
