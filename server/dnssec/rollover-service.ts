/**
 * Carries out rollover steps (rollover.ts decides which step is next and when it is safe). Every
 * step is one or two key-state changes in the catalog; each emits a `keys` event, so signers and
 * DNS caches reload at once. A step taken before its safe time is refused unless forced (tests and
 * emergencies). The automatic ZSK rollover starts a rollover when the active ZSK's lifetime has
 * run out and takes each further step as soon as it is safe.
 */
import { generateKey } from '../../signer/key-files.js';
import { isSigningAlgorithm } from '../../signer/keys.js';
import type { KeyRecord, ZoneInfo, ZoneWriter } from '../../zone-store/types.js';
import type { LogFn } from '../log.js';
import type { KeyService } from './key-service.js';
import type { Resigner } from './resigner.js';
import { rolloverStatus, usesCsk, type KeyKind, type RolloverAction, type RolloverStatus } from './rollover.js';

export class RolloverError extends Error {
  constructor(
    readonly code: 'ERR_ROLLOVER_NOT_SAFE' | 'ERR_ROLLOVER_CSK' | 'ERR_ROLLOVER_UNSIGNED' | 'ERR_ROLLOVER_ZONE_NOT_FOUND',
    message: string,
    readonly safeAt?: number,
  ) {
    super(message);
    this.name = 'RolloverError';
  }
}

export interface RolloverServiceOptions {
  dataDir: string;
  store: ZoneWriter;
  keys: KeyService;
  clock: () => number;
  log: LogFn;
  /** In the server: the background re-signer. Offline: undefined, passes run synchronously. */
  resigner: Resigner;
  /** Offline commands run the re-sign pass at once instead of in the background. */
  resignSynchronously: boolean;
  parentDsTtl?: number;
}

export interface ZoneKeyStatus {
  zone: string;
  csk: boolean;
  zsk: RolloverStatus;
  ksk: RolloverStatus;
}

export class RolloverService {
  constructor(private readonly opts: RolloverServiceOptions) {}

  status(zoneName: string): ZoneKeyStatus {
    const zone = this.zone(zoneName);
    const keys = this.opts.store.listKeys(zone);
    const ctx = { zone, keys, ...this.contextExtras(zone.name) };
    return { zone: zone.name, csk: usesCsk(keys), zsk: rolloverStatus(ctx, 'zsk'), ksk: rolloverStatus(ctx, 'ksk') };
  }

  /** Takes the next step of a `kind` rollover (starting one if none is under way). */
  advance(zoneName: string, kind: KeyKind, force = false): { action: RolloverAction; status: ZoneKeyStatus } {
    const zone = this.zone(zoneName);
    const keys = this.opts.store.listKeys(zone);
    if (usesCsk(keys)) throw new RolloverError('ERR_ROLLOVER_CSK', `zone ${zone.name} uses a combined signing key; split-key rollovers do not apply (create the zone without --csk to roll ZSK and KSK separately)`);
    let st = rolloverStatus({ zone, keys, ...this.contextExtras(zone.name) }, kind);
    if (st.next.step === 'remove' && kind === 'zsk' && st.waitingFor !== undefined && this.opts.resignSynchronously) {
      // Offline: nothing runs in the background, so make sure every stored signature is new now.
      this.resign(zone.name);
      st = rolloverStatus({ zone, keys, ...this.contextExtras(zone.name) }, kind);
    }
    const now = this.opts.clock();
    if (!force && (now < st.safeAt || (st.next.step === 'remove' && kind === 'zsk' && st.waitingFor !== undefined))) {
      if (st.waitingFor !== undefined && kind === 'zsk') this.opts.resigner.request(zone.name);
      throw new RolloverError('ERR_ROLLOVER_NOT_SAFE', `${kind.toUpperCase()} rollover step "${st.next.step}" of ${zone.name} is not safe before ${new Date(st.safeAt * 1000).toISOString()}${st.waitingFor ? ` and needs ${st.waitingFor}` : ''} (use --force to override)`, st.safeAt);
    }
    this.execute(zone, keys, st.next, now);
    this.opts.log('info', 'rollover step taken', { zone: zone.name, kind, step: st.next.step, forced: force && now < st.safeAt });
    return { action: st.next, status: this.status(zone.name) };
  }

  /** Starts or advances ZSK rollovers of every signed zone whose ZSK is older than `lifetime`. */
  runAutomaticZsk(lifetimeSeconds: number): void {
    const now = this.opts.clock();
    for (const zone of this.opts.store.listZones()) {
      if (!zone.settings.signed) continue;
      const keys = this.opts.store.listKeys(zone);
      if (usesCsk(keys)) continue;
      const st = rolloverStatus({ zone, keys, ...this.contextExtras(zone.name) }, 'zsk');
      const oldest = keys.filter((k) => k.role === 'zsk' && k.state === 'active').reduce((m, k) => Math.min(m, k.changedAt), Infinity);
      const due = st.stepTaken > 0 || now - oldest >= lifetimeSeconds;
      if (!due) continue;
      try {
        this.advance(zone.name, 'zsk', false);
      } catch (err) {
        if (!(err instanceof RolloverError && err.code === 'ERR_ROLLOVER_NOT_SAFE')) this.opts.log('error', 'automatic ZSK rollover failed', { zone: zone.name, err: String(err) });
      }
    }
  }

  private execute(zone: ZoneInfo, keys: readonly KeyRecord[], action: RolloverAction, now: number): void {
    const store = this.opts.store;
    switch (action.step) {
      case 'publish': {
        const current = keys.find((k) => k.state === 'active' && (k.role === action.kind));
        const algorithm = current?.algorithm ?? 13;
        if (!isSigningAlgorithm(algorithm)) throw new Error(`unsupported algorithm ${algorithm}`);
        const rec = generateKey(this.opts.dataDir, zone.name, action.kind, algorithm, now, keys.map((k) => k.keyTag));
        // A new ZSK waits unpublished-but-visible; a new KSK signs the DNSKEY set at once.
        store.addKey({ ...rec, zoneId: zone.id, state: action.kind === 'zsk' ? 'published' : 'active' });
        return;
      }
      case 'activate':
        store.updateKey(action.newKey.id, { state: 'active', changedAt: now });
        for (const k of action.oldKeys) store.updateKey(k.id, { state: 'retired', changedAt: now });
        this.resign(zone.name);
        return;
      case 'retire':
        for (const k of action.oldKeys) store.updateKey(k.id, { state: 'retired', changedAt: now });
        return;
      case 'remove':
        for (const k of action.oldKeys) store.updateKey(k.id, { state: 'removed', changedAt: now });
        return;
    }
  }

  private resign(zone: string): void {
    const z = this.opts.store.getZone(zone);
    if (z !== undefined) this.opts.keys.loadZone(z);
    if (this.opts.resignSynchronously) this.opts.resigner.runPassSync(zone);
    else this.opts.resigner.request(zone);
  }

  private contextExtras(zone: string): { resignedAt?: number; parentDsTtl?: number } {
    const out: { resignedAt?: number; parentDsTtl?: number } = {};
    const r = this.opts.resigner.lastCompleted(zone);
    if (r !== undefined) out.resignedAt = r;
    if (this.opts.parentDsTtl !== undefined) out.parentDsTtl = this.opts.parentDsTtl;
    return out;
  }

  private zone(name: string): ZoneInfo {
    const zone = this.opts.store.getZone(name);
    if (zone === undefined) throw new RolloverError('ERR_ROLLOVER_ZONE_NOT_FOUND', `no zone ${name}`);
    if (!zone.settings.signed) throw new RolloverError('ERR_ROLLOVER_UNSIGNED', `zone ${name} is not signed`);
    return zone;
  }
}
