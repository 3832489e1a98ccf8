/**
 * Carries out rollover steps (rollover.ts decides which step is next and when it is safe). Every
 * step is one or two key-state changes in the catalog; each emits a `keys` event, so signers and
 * DNS caches reload at once. A step taken before its safe time, or while it waits for a condition
 * (the parent's DS, a re-sign pass), is refused unless forced (tests and emergencies: the step
 * then runs with a warning). A step that would start signing with a key whose private file does
 * not load is refused even when forced. The automatic ZSK rollover starts a rollover when the
 * active ZSK's lifetime has run out and takes each further step as soon as it is safe; it checks
 * soon after start (a lifetime may have ended while the server was down), then every 10 minutes.
 *
 * Facts about the parent (its DS TTL, the operator's confirmation that it serves the new DS) are
 * kept in rollover-state.ts's per-zone file.
 */
import { generateKey, loadSigningKey } from '../../signer/key-files.js';
import { isSigningAlgorithm } from '../../signer/keys.js';
import type { KeyRecord, ZoneInfo, ZoneWriter } from '../../zone-store/types.js';
import type { LogFn } from '../log.js';
import type { KeyService } from './key-service.js';
import type { Resigner } from './resigner.js';
import { rolloverStatus, usesCsk, type KeyKind, type RolloverAction, type RolloverContext, type RolloverStatus } from './rollover.js';
import { MAX_TTL, readRolloverState, writeRolloverState } from './rollover-state.js';

export type RolloverErrorCode =
  | 'ERR_ROLLOVER_NOT_SAFE'
  | 'ERR_ROLLOVER_CSK'
  | 'ERR_ROLLOVER_UNSIGNED'
  | 'ERR_ROLLOVER_ZONE_NOT_FOUND'
  /** ds-seen while no KSK rollover waits for the parent's DS. */
  | 'ERR_ROLLOVER_NO_DS_WAIT'
  /** A parent DS TTL or a ds-seen time that cannot be right. */
  | 'ERR_ROLLOVER_INVALID';

export class RolloverError extends Error {
  constructor(
    readonly code: RolloverErrorCode,
    message: string,
    /** Only when time is all the step waits for: Unix seconds from which it is safe. */
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
  /** The parent's DS TTL for zones that set none (default DEFAULT_PARENT_DS_TTL). */
  parentDsTtl?: number;
}

export interface ZoneKeyStatus {
  zone: string;
  csk: boolean;
  zsk: RolloverStatus;
  ksk: RolloverStatus;
}

export interface AdvanceOptions {
  /** The parent's DS TTL for this zone, remembered for its later steps (KSK). */
  parentDsTtl?: number;
}

export interface AdvanceResult {
  action: RolloverAction;
  status: ZoneKeyStatus;
  /** Set when `force` took a step that was not safe yet: what it did not wait for. */
  warning?: string;
}

export interface DsSeenOptions {
  /** Unix seconds from which the parent serves the new DS (default: now). */
  since?: number;
  parentDsTtl?: number;
}

export interface DsSeenResult {
  zone: string;
  keyTag: number;
  dsSeenAt: number;
  parentDsTtl: number;
  status: ZoneKeyStatus;
}

/** First automatic check this long after start, then every AUTO_CHECK_EVERY_MS. */
export const AUTO_CHECK_FIRST_MS = 5_000;
export const AUTO_CHECK_EVERY_MS = 600_000;

/** The log line of a step forced before it was safe (level warn; the CLI shows the warning itself). */
export const FORCED_LOG_MESSAGE = 'rollover step forced before it was safe';

const iso = (t: number): string => new Date(t * 1000).toISOString();

export class RolloverService {
  constructor(private readonly opts: RolloverServiceOptions) {}

  status(zoneName: string): ZoneKeyStatus {
    const zone = this.zone(zoneName);
    const keys = this.opts.store.listKeys(zone);
    const ctx = this.context(zone, keys);
    return { zone: zone.name, csk: usesCsk(keys), zsk: rolloverStatus(ctx, 'zsk'), ksk: rolloverStatus(ctx, 'ksk') };
  }

  /** Takes the next step of a `kind` rollover (starting one if none is under way). */
  advance(zoneName: string, kind: KeyKind, force = false, options: AdvanceOptions = {}): AdvanceResult {
    const zone = this.zone(zoneName);
    const keys = this.opts.store.listKeys(zone);
    this.assertSplitKeys(zone, keys);
    if (options.parentDsTtl !== undefined) this.setParentDsTtl(zone.name, options.parentDsTtl);
    let st = rolloverStatus(this.context(zone, keys), kind);
    if (st.blockedBy === 'resign' && this.opts.resignSynchronously) {
      // Offline: nothing runs in the background, so make sure every stored signature is new now.
      this.resign(zone.name);
      st = rolloverStatus(this.context(zone, keys), kind);
    }
    const now = this.opts.clock();
    const what = `${kind.toUpperCase()} rollover step "${st.next.step}" of ${zone.name}`;
    if (st.blockedBy === 'key-file') {
      throw new RolloverError('ERR_ROLLOVER_NOT_SAFE', `${what} cannot be taken: it waits for ${st.waitingFor} (--force does not override this)`);
    }
    let warning: string | undefined;
    if (now < st.safeAt || st.waitingFor !== undefined) {
      const why =
        st.waitingFor === undefined
          ? `is not safe before ${iso(st.safeAt)}`
          : `waits for ${st.waitingFor}${now < st.safeAt ? `, and is not safe before ${iso(st.safeAt)} in any case` : ''}`;
      if (!force) {
        if (st.blockedBy === 'resign') this.opts.resigner.request(zone.name);
        throw new RolloverError('ERR_ROLLOVER_NOT_SAFE', `${what} ${why} (use --force to override)`, st.waitingFor === undefined ? st.safeAt : undefined);
      }
      warning = `${what} was forced although it ${why}; validators may fail to validate the zone until then`;
    }
    this.execute(zone, keys, st.next, now);
    if (warning === undefined) this.opts.log('info', 'rollover step taken', { zone: zone.name, kind, step: st.next.step, forced: false });
    else this.opts.log('warn', FORCED_LOG_MESSAGE, { zone: zone.name, kind, step: st.next.step, forced: true, warning });
    const out: AdvanceResult = { action: st.next, status: this.status(zone.name) };
    if (warning !== undefined) out.warning = warning;
    return out;
  }

  /**
   * Records the operator's confirmation that the parent serves the DS of the new KSK of the KSK
   * rollover under way, since `since` (default now): the retire step is then safe once the
   * parent's DS TTL (plus the propagation margin) has passed since.
   */
  confirmDsSeen(zoneName: string, options: DsSeenOptions = {}): DsSeenResult {
    const zone = this.zone(zoneName);
    const keys = this.opts.store.listKeys(zone);
    this.assertSplitKeys(zone, keys);
    const now = this.opts.clock();
    const st = rolloverStatus(this.context(zone, keys), 'ksk');
    if (st.next.step !== 'retire') {
      throw new RolloverError('ERR_ROLLOVER_NO_DS_WAIT', `no KSK rollover of ${zone.name} waits for the parent's DS (${st.description}); "ds-seen" confirms the DS of a new KSK after "idzone key rollover ${zone.name} --ksk" published it`);
    }
    const newKey = st.next.newKey;
    const since = options.since ?? now;
    if (!Number.isInteger(since) || since > now) throw new RolloverError('ERR_ROLLOVER_INVALID', `the time the parent started serving the DS (${iso(since)}) lies in the future`);
    if (since < newKey.changedAt) throw new RolloverError('ERR_ROLLOVER_INVALID', `the parent cannot serve the DS for KSK ${newKey.keyTag} since ${iso(since)}: the key was published at ${iso(newKey.changedAt)}`);
    if (options.parentDsTtl !== undefined) this.checkTtl(options.parentDsTtl);
    const state = readRolloverState(this.opts.dataDir, zone.name);
    if (options.parentDsTtl !== undefined) state.parentDsTtl = options.parentDsTtl;
    state.dsSeen = { keyId: newKey.id, keyTag: newKey.keyTag, at: since };
    writeRolloverState(this.opts.dataDir, zone.name, state);
    const status = this.status(zone.name);
    const parentDsTtl = status.ksk.parentDsTtl!;
    this.opts.log('info', 'parent DS confirmed', { zone: zone.name, keyTag: newKey.keyTag, since, parentDsTtl, retireSafeAt: status.ksk.safeAt });
    return { zone: zone.name, keyTag: newKey.keyTag, dsSeenAt: since, parentDsTtl, status };
  }

  /** CSK zones the automatic rollover has said it skips (once per zone and process). */
  private readonly cskWarned = new Set<string>();

  /** Starts or advances ZSK rollovers of every signed zone whose ZSK is older than `lifetime`. */
  runAutomaticZsk(lifetimeSeconds: number): void {
    const now = this.opts.clock();
    for (const zone of this.opts.store.listZones()) {
      if (!zone.settings.signed) continue;
      try {
        const keys = this.opts.store.listKeys(zone);
        if (usesCsk(keys)) {
          // A CSK cannot be rolled by idzone (README, DNSSEC and keys): say so once, not silently.
          if (!this.cskWarned.has(zone.name)) this.opts.log('warn', 'automatic ZSK rollover skips this zone: it signs with one combined key (CSK), which idzone cannot roll', { zone: zone.name });
          this.cskWarned.add(zone.name);
          continue;
        }
        const st = rolloverStatus(this.context(zone, keys), 'zsk');
        const oldest = keys.filter((k) => k.role === 'zsk' && k.state === 'active').reduce((m, k) => Math.min(m, k.changedAt), Infinity);
        const due = st.stepTaken > 0 || now - oldest >= lifetimeSeconds;
        if (!due) continue;
        if (st.blockedBy === 'key-file') {
          // Activating would take the zone's DNSSEC answers to SERVFAIL: say so, try again later.
          this.opts.log('error', 'automatic ZSK rollover cannot activate the new ZSK; retrying at the next check', { zone: zone.name, reason: st.waitingFor });
          continue;
        }
        this.advance(zone.name, 'zsk', false);
      } catch (err) {
        if (!(err instanceof RolloverError && err.code === 'ERR_ROLLOVER_NOT_SAFE')) this.opts.log('error', 'automatic ZSK rollover failed', { zone: zone.name, err: String(err) });
      }
    }
  }

  /**
   * Runs runAutomaticZsk soon after start and then every 10 minutes (none when `lifetimeSeconds`
   * is 0). The first check is not immediate so that the DNS workers and the re-signer are up
   * first, but not 10 minutes late either: a lifetime that ended while the server was down is
   * acted on at start.
   */
  startAutomaticZsk(lifetimeSeconds: number, timing: { firstMs?: number; everyMs?: number } = {}): { stop(): void } {
    if (lifetimeSeconds <= 0) return { stop: () => undefined };
    const run = (): void => {
      try {
        this.runAutomaticZsk(lifetimeSeconds);
      } catch (err) {
        this.opts.log('error', 'automatic ZSK rollover check failed', { err: String(err) });
      }
    };
    const first = setTimeout(run, timing.firstMs ?? AUTO_CHECK_FIRST_MS);
    const every = setInterval(run, timing.everyMs ?? AUTO_CHECK_EVERY_MS);
    first.unref();
    every.unref();
    return {
      stop: () => {
        clearTimeout(first);
        clearInterval(every);
      },
    };
  }

  private execute(zone: ZoneInfo, keys: readonly KeyRecord[], action: RolloverAction, now: number): void {
    const store = this.opts.store;
    switch (action.step) {
      case 'publish': {
        const current = keys.find((k) => k.state === 'active' && k.role === action.kind);
        const algorithm = current?.algorithm ?? 13;
        if (!isSigningAlgorithm(algorithm)) throw new Error(`unsupported algorithm ${algorithm}`);
        const rec = generateKey(this.opts.dataDir, zone.name, action.kind, algorithm, now, keys.map((k) => k.keyTag));
        // A new KSK signs the DNSKEY set at once: it must load, or the zone could not be signed.
        const loaded = loadSigningKey(this.opts.dataDir, rec);
        if (!loaded.ok) throw new Error(`the new ${action.kind.toUpperCase()} ${rec.keyTag} does not load: ${loaded.error.message}`);
        // A new ZSK waits unpublished-but-visible; a new KSK signs the DNSKEY set at once.
        store.addKey({ ...rec, zoneId: zone.id, state: action.kind === 'zsk' ? 'published' : 'active' });
        return;
      }
      case 'activate':
        // Two writes: the new key first, so a crash in between leaves two signing ZSKs (which
        // rollover.ts recognises as an interrupted activate), never none.
        if (action.newKey.state !== 'active') store.updateKey(action.newKey.id, { state: 'active', changedAt: now });
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

  private context(zone: ZoneInfo, keys: readonly KeyRecord[]): RolloverContext {
    const ctx: RolloverContext = { zone, keys };
    const r = this.opts.resigner.lastCompleted(zone.name);
    if (r !== undefined) ctx.resignedAt = r;
    const state = readRolloverState(this.opts.dataDir, zone.name);
    const ttl = state.parentDsTtl ?? this.opts.parentDsTtl;
    if (ttl !== undefined) ctx.parentDsTtl = ttl;
    if (state.dsSeen !== undefined) ctx.dsSeen = state.dsSeen;
    // Keys the next ZSK step would start signing with: their private files must load.
    const unloadable = new Map<number, string>();
    for (const k of keys) {
      if (k.state !== 'published') continue;
      const loaded = loadSigningKey(this.opts.dataDir, k);
      if (!loaded.ok) unloadable.set(k.id, loaded.error.message);
    }
    if (unloadable.size > 0) ctx.unloadable = unloadable;
    return ctx;
  }

  private setParentDsTtl(zone: string, ttl: number): void {
    this.checkTtl(ttl);
    const state = readRolloverState(this.opts.dataDir, zone);
    if (state.parentDsTtl === ttl) return;
    writeRolloverState(this.opts.dataDir, zone, { ...state, parentDsTtl: ttl });
    this.opts.log('info', "parent's DS TTL set", { zone, parentDsTtl: ttl });
  }

  private checkTtl(ttl: number): void {
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL) throw new RolloverError('ERR_ROLLOVER_INVALID', `the parent's DS TTL must be a whole number of seconds from 0 to ${MAX_TTL}, got ${ttl}`);
  }

  private assertSplitKeys(zone: ZoneInfo, keys: readonly KeyRecord[]): void {
    if (usesCsk(keys)) throw new RolloverError('ERR_ROLLOVER_CSK', `zone ${zone.name} uses a combined signing key; split-key rollovers do not apply (create the zone without --csk to roll ZSK and KSK separately)`);
  }

  private zone(name: string): ZoneInfo {
    const zone = this.opts.store.getZone(name);
    if (zone === undefined) throw new RolloverError('ERR_ROLLOVER_ZONE_NOT_FOUND', `no zone ${name}`);
    if (!zone.settings.signed) throw new RolloverError('ERR_ROLLOVER_UNSIGNED', `zone ${name} is not signed`);
    return zone;
  }
}
