/**
 * Keys of signed zones on the writer side: creates the key set of a new zone (KSK + ZSK, or a
 * CSK; ECDSA P-256 by default, Ed25519 on request), keeps a ZoneSigner per zone in the
 * SignerRegistry the store calls at write time (so stored data is signed when written), and
 * describes keys for the API and the CLI (DNSKEY and DS text; never the private half).
 */
import { DnssecAlgorithm, dsPresentation, dnskeyRdata, type SigningAlgorithm } from '../../signer/keys.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { generateZoneKeys, zoneDirName, type KeyLayout } from '../../signer/key-files.js';
import type { SignatureCache } from '../../signer/signature-cache.js';
import { SignerRegistry, type ZoneSignerOptions } from '../../signer/zone-signer.js';
import type { KeyRecord, ZoneInfo, ZoneWriter } from '../../zone-store/types.js';
import type { LogFn } from '../log.js';
import { loadKeyring } from './keyring.js';

export interface KeyServiceOptions {
  dataDir: string;
  store: ZoneWriter;
  log: LogFn;
  clock: () => number;
  cache?: SignatureCache;
  signerOptions?: Omit<ZoneSignerOptions, 'cache' | 'clock'>;
}

export interface KeyDescription {
  keyTag: number;
  algorithm: number;
  flags: number;
  role: string;
  state: string;
  dnskey: string;
  ds?: string;
}

export class KeyService {
  readonly registry = new SignerRegistry();

  constructor(private readonly opts: KeyServiceOptions) {}

  /** Makes the zone's keys, marks it signed and loads its signer. */
  createZoneKeys(zone: ZoneInfo, layout: KeyLayout = 'ksk-zsk', algorithm: SigningAlgorithm = DnssecAlgorithm.ECDSAP256SHA256): ZoneInfo {
    const now = this.opts.clock();
    // Each key added is a store event that reloads the zone; until the last one it has no complete
    // key set, which is not a fault to log (the create reports its own failure).
    this.creating.add(zone.name);
    try {
      for (const k of generateZoneKeys(this.opts.dataDir, zone.name, { layout, algorithm, now })) this.opts.store.addKey({ ...k, zoneId: zone.id });
    } finally {
      this.creating.delete(zone.name);
    }
    const signed = this.opts.store.updateZoneSettings(zone.name, { signed: true });
    this.loadZone(signed);
    return signed;
  }

  /** Zones whose keys createZoneKeys is making right now. */
  private readonly creating = new Set<string>();

  /** (Re)loads a zone's signer after its keys changed; false (logged) when a key cannot be loaded. */
  loadZone(zone: ZoneInfo): boolean {
    if (!zone.settings.signed) {
      this.registry.delete(zone.name);
      return true;
    }
    const keys = this.opts.store.listKeys(zone);
    const ring = loadKeyring(this.opts.dataDir, zone, keys, this.signerOptions());
    if (!ring.ok) {
      this.registry.delete(zone.name);
      // A signed zone with no key records is one being created (its keys follow in a moment) or
      // one whose create failed (that failure is reported where it happened): not a key fault.
      if (keys.length === 0 || this.creating.has(zone.name)) this.opts.log('info', 'signed zone has no complete key set yet; writes wait for it', { zone: zone.name });
      else this.opts.log('error', 'cannot load DNSSEC keys; writes to this zone are refused until fixed', { zone: zone.name, reason: ring.reason });
      return false;
    }
    this.registry.set(ring.signer);
    return true;
  }

  loadAll(): void {
    for (const z of this.opts.store.listZones()) this.loadZone(z);
  }

  forget(zone: string): void {
    this.registry.delete(zone);
  }

  /** Removes a deleted zone's private key files (and forgets its signer). */
  deleteZoneKeys(zone: string): void {
    this.registry.delete(zone);
    rmSync(join(this.opts.dataDir, 'keys', zoneDirName(zone)), { recursive: true, force: true });
  }

  describeKeys(zone: ZoneInfo): KeyDescription[] {
    return this.opts.store
      .listKeys(zone)
      .filter((k) => k.state !== 'removed')
      .map((k) => describeKey(zone, k));
  }

  /** DS RRs (SHA-256) for the KSKs/CSKs the parent should hold. */
  dsRecords(zone: ZoneInfo): string[] {
    return this.describeKeys(zone)
      .filter((d) => d.ds !== undefined && d.state === 'active')
      .map((d) => d.ds!);
  }

  private signerOptions(): ZoneSignerOptions {
    const o: ZoneSignerOptions = { ...this.opts.signerOptions, clock: this.opts.clock };
    if (this.opts.cache !== undefined) o.cache = this.opts.cache;
    return o;
  }
}

export function describeKey(zone: ZoneInfo, k: KeyRecord): KeyDescription {
  const rdata = dnskeyRdata(k.flags, k.algorithm, k.publicKey);
  const d: KeyDescription = {
    keyTag: k.keyTag,
    algorithm: k.algorithm,
    flags: k.flags,
    role: k.role,
    state: k.state,
    dnskey: `${zone.name} ${zone.settings.soaTtl} IN DNSKEY ${k.flags} 3 ${k.algorithm} ${k.publicKey.toString('base64')}`,
  };
  if (k.role !== 'zsk') d.ds = dsPresentation(zone.name, rdata);
  return d;
}
