/**
 * The signer of one zone, built from its active keys (a CSK counts as both KSK and ZSK). It makes
 * what the writer stores beside a name (NodeSigner.signNode: one RRSIG per active ZSK for each
 * RRset, and for the name's own white-lies NSEC3 match record), what the apex needs (DNSKEY, CDS
 * and CDNSKEY signed by the KSKs, SOA/NS/NSEC3PARAM by the ZSKs), and what only a query can
 * ask for (signRrsetNow: NSEC3 covers and other per-question records, through the signature cache).
 * RFC 4035 §2.2: every RRset is signed with each algorithm in the DNSKEY RRset — signing with every
 * active ZSK satisfies that. NSEC3 TTLs follow RFC 9077 §3 (min of SOA TTL and SOA MINIMUM).
 * SignerRegistry dispatches the store's single NodeSigner hook to the right zone's signer.
 */
import type { RrsetData } from '../core/rrset.js';
import type { NodeSigner, StoredNode, ZoneInfo } from '../zone-store/types.js';
import { RrType } from '../core/rr-types.js';
import { canonicalOwnerWire, canonicalRrsetWire, signingInput } from './canonical.js';
import { SignerError, SignerErrorCode } from './errors.js';
import type { SigningKey } from './keys.js';
import { APEX_NSEC3_TYPES, nsec3Match, nsec3Ttl, type Nsec3Record } from './nsec3.js';
import { rrsigPrefixFor, signCanonicalRrset, storedSigsFresh } from './rrsig.js';
import type { SigningPool } from './signing-pool.js';
import { signatureCacheKey, type SignatureCache } from './signature-cache.js';
import { resolveValidityConfig, signatureWindow, type ValidityConfig } from './validity.js';

export interface ZoneKeys {
  zsks: SigningKey[];
  ksks: SigningKey[];
}

export interface ZoneSignerOptions {
  validity?: Partial<ValidityConfig>;
  /** Unix seconds; defaults to the system clock. */
  clock?: () => number;
  /** Shared cache for query-time and apex signatures; without one every call signs. */
  cache?: SignatureCache;
  /** Types listed in the apex NSEC3 besides its data types (default APEX_NSEC3_TYPES). */
  apexTypes?: readonly number[];
}

/** A white-lies NSEC3 record with the TTL it is served and signed with. */
export interface Nsec3WithTtl extends Nsec3Record {
  ttl: number;
}

export type NodeSignatures = ReturnType<NodeSigner['signNode']>;

export class ZoneSigner implements NodeSigner {
  readonly apex: string;
  readonly keys: Readonly<ZoneKeys>;
  readonly #validity: ValidityConfig;
  readonly #clock: () => number;
  readonly #cache: SignatureCache | undefined;
  readonly #apexTypes: readonly number[];
  readonly #apexWire: Buffer;
  readonly #zskTags: ReadonlySet<number>;

  constructor(apex: string, keys: ZoneKeys, opts: ZoneSignerOptions = {}) {
    if (keys.zsks.length === 0 || keys.ksks.length === 0) {
      throw new SignerError(SignerErrorCode.NO_KEYS, `zone ${apex} needs at least one active ZSK and one active KSK (or a CSK)`);
    }
    this.apex = apex;
    this.keys = { zsks: [...keys.zsks], ksks: [...keys.ksks] };
    this.#zskTags = new Set(keys.zsks.map((k) => k.keyTag));
    this.#validity = resolveValidityConfig(opts.validity);
    this.#clock = opts.clock ?? (() => Math.floor(Date.now() / 1000));
    this.#cache = opts.cache;
    this.#apexTypes = opts.apexTypes ?? APEX_NSEC3_TYPES;
    this.#apexWire = canonicalOwnerWire(apex);
  }

  /**
   * Write-time signatures of one name: for each RRset (in input order) one RRSIG per active ZSK,
   * and the RRSIGs of the name's white-lies NSEC3 (see nodeNsec3). Not cached: the writer stores
   * them. A name with neither RRsets nor descendants does not exist and gets nothing.
   */
  signNode(zone: ZoneInfo, owner: string, rrsets: RrsetData[], descendants: number, previous?: StoredNode): NodeSignatures {
    this.#checkZone(zone);
    const now = this.#clock();
    if (previous !== undefined && previous.owner !== owner) throw new SignerError(SignerErrorCode.ZONE_MISMATCH, `previous node ${previous.owner} given for ${owner}`);
    let reused = 0;
    const keep = (sigs: readonly Buffer[] | undefined, ttl: number): Buffer[] | undefined => {
      if (sigs === undefined || !storedSigsFresh(sigs, this.#zskTags, now, ttl, this.#validity.refreshFraction)) return undefined;
      reused += sigs.length;
      return [...sigs];
    };
    const rrsetSigs = rrsets.map((r) => keep(sameRrset(previous, r)?.sigs, r.ttl) ?? this.#signWith(this.keys.zsks, owner, r.type, r.ttl, r.rdatas, now, false));
    const types = rrsets.map((r) => r.type);
    const nsec3 = this.nodeNsec3(zone, owner, types, descendants);
    let nsec3Sigs: Buffer[] = [];
    if (nsec3 !== undefined) {
      // The NSEC3 record is a function of the owner, its type set and the TTL (in each RRSIG's
      // original TTL field): the same types as the stored node mean the same record.
      const same = previous !== undefined && hasNsec3(previous, this.apex) && sameTypes(previous, types);
      nsec3Sigs = (same ? keep(previous.nsec3Sigs, nsec3.ttl) : undefined) ?? this.#signWith(this.keys.zsks, nsec3.owner, RrType.NSEC3, nsec3.ttl, [nsec3.rdata], now, false);
    }
    return previous === undefined ? { rrsetSigs, nsec3Sigs } : { rrsetSigs, nsec3Sigs, reused };
  }

  /**
   * The NSEC3 match record signNode signs for a name; the query path serves exactly this record.
   * Bitmap: the name's RRset types (+ the apex types at the apex) and RRSIG; an empty non-terminal
   * gets an empty bitmap. Undefined for a name that neither holds data nor is an ENT.
   */
  nodeNsec3(zone: ZoneInfo, owner: string, rrsetTypes: readonly number[], descendants: number): Nsec3WithTtl | undefined {
    this.#checkZone(zone);
    const isApex = owner === this.apex;
    if (rrsetTypes.length === 0 && descendants <= 0 && !isApex) return undefined;
    const types = isApex ? [...rrsetTypes, ...this.#apexTypes] : [...rrsetTypes];
    return { ...nsec3Match(this.apex, owner, types), ttl: nsec3Ttl(zone.settings) };
  }

  /** RRSIGs of the apex DNSKEY RRset, one per active KSK (RFC 4035 §2.1). */
  signDnskeySet(dnskeyRdatas: readonly Buffer[], ttl: number): Buffer[] {
    return this.#signWith(this.keys.ksks, this.apex, RrType.DNSKEY, ttl, dnskeyRdatas, this.#clock(), true);
  }

  /**
   * RRSIGs of an apex RRset: SOA, NS and NSEC3PARAM one per ZSK; DNSKEY, CDS and CDNSKEY one per
   * active KSK. A parent accepts CDS/CDNSKEY only when signed by a key its DS set already names
   * (RFC 7344 §4.1, RFC 8078 §3), that is a KSK; a ZSK's signature would still validate for a
   * resolver, so nothing but a parent-side check (dnssec-cds) shows the difference.
   */
  signApexRrset(type: number, ttl: number, rdatas: readonly Buffer[]): Buffer[] {
    if (type === RrType.DNSKEY || type === RrType.CDS || type === RrType.CDNSKEY) return this.#signWith(this.keys.ksks, this.apex, type, ttl, rdatas, this.#clock(), true);
    return this.#signWith(this.keys.zsks, this.apex, type, ttl, rdatas, this.#clock(), true);
  }

  /** Query-time signing of any RRset of this zone (NSEC3 covers, compact denial), one per ZSK. */
  signRrsetNow(owner: string, type: number, ttl: number, rdatas: readonly Buffer[]): Buffer[] {
    return this.#signWith(this.keys.zsks, owner, type, ttl, rdatas, this.#clock(), true);
  }

  /**
   * Like signRrsetNow, with the raw signatures made on a signing pool's threads (signing-pool.ts);
   * undefined when the pool cannot take the work (the caller signs with signRrsetNow). Not cached:
   * used for records made from one question, which are not asked for again.
   */
  signRrsetOnPool(pool: SigningPool, owner: string, type: number, ttl: number, rdatas: readonly Buffer[]): Promise<Buffer[]> | undefined {
    const wire = canonicalRrsetWire(owner, type, ttl, rdatas);
    const window = signatureWindow(this.#clock(), owner, this.#validity);
    const out: Promise<Buffer>[] = [];
    for (const key of this.keys.zsks) {
      const prefix = rrsigPrefixFor({ owner, type, ttl }, key, window, this.apex, this.#apexWire);
      const sig = pool.sign(key.algorithm, key.privateKey, signingInput(prefix, wire));
      if (sig === undefined) return undefined;
      out.push(sig.then((raw) => Buffer.concat([prefix, raw])));
    }
    return Promise.all(out);
  }

  #signWith(keys: readonly SigningKey[], owner: string, type: number, ttl: number, rdatas: readonly Buffer[], now: number, useCache: boolean): Buffer[] {
    const wire = canonicalRrsetWire(owner, type, ttl, rdatas);
    const rrset = { owner, type, ttl };
    return keys.map((key) => {
      const sign = (): Buffer => signCanonicalRrset(rrset, wire, key, signatureWindow(now, owner, this.#validity), this.apex, this.#apexWire);
      const cache = this.#cache;
      return useCache && cache !== undefined ? cache.getOrSign(signatureCacheKey(wire, this.#apexWire, key), sign) : sign();
    });
  }

  #checkZone(zone: ZoneInfo): void {
    if (zone.name !== this.apex) throw new SignerError(SignerErrorCode.ZONE_MISMATCH, `signer for ${this.apex} asked to sign for ${zone.name}`);
  }
}

/**
 * The store's NodeSigner: routes each call to the zone's ZoneSigner. Unsigned zones get empty
 * signature lists. A zone marked signed without a registered signer is a fault (its data would be
 * served without signatures), so signNode throws SignerError(ERR_SIGNER_NO_KEYS) and the write fails.
 */
export class SignerRegistry implements NodeSigner {
  readonly #signers = new Map<string, ZoneSigner>();

  set(signer: ZoneSigner): void {
    this.#signers.set(signer.apex, signer);
  }

  delete(apex: string): void {
    this.#signers.delete(apex);
  }

  get(apex: string): ZoneSigner | undefined {
    return this.#signers.get(apex);
  }

  signNode(zone: ZoneInfo, owner: string, rrsets: RrsetData[], descendants: number, previous?: StoredNode): NodeSignatures {
    if (!zone.settings.signed) return { rrsetSigs: rrsets.map(() => []), nsec3Sigs: [] };
    const signer = this.#signers.get(zone.name);
    if (signer === undefined) throw new SignerError(SignerErrorCode.NO_KEYS, `zone ${zone.name} is signed but has no loaded keys`);
    return signer.signNode(zone, owner, rrsets, descendants, previous);
  }
}

/** The stored RRset of `r`'s type when its TTL and RDATA (both canonical: sorted, distinct) equal r's. */
function sameRrset(previous: StoredNode | undefined, r: RrsetData): StoredNode['rrsets'][number] | undefined {
  const old = previous?.rrsets.find((p) => p.type === r.type);
  if (old === undefined || old.ttl !== r.ttl || old.rdatas.length !== r.rdatas.length) return undefined;
  for (let i = 0; i < r.rdatas.length; i++) if (!old.rdatas[i]!.equals(r.rdatas[i]!)) return undefined;
  return old;
}

/** Whether the stored node had its own NSEC3 (it held data, was an empty non-terminal, or is the apex). */
function hasNsec3(previous: StoredNode, apex: string): boolean {
  return previous.rrsets.length > 0 || previous.descendants > 0 || previous.owner === apex;
}

function sameTypes(previous: StoredNode, types: readonly number[]): boolean {
  if (previous.rrsets.length !== types.length) return false;
  const old = previous.rrsets.map((r) => r.type).sort((a, b) => a - b);
  const now = [...types].sort((a, b) => a - b);
  return old.every((t, i) => t === now[i]);
}
