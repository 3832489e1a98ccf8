/**
 * What the API needs from the rest of idzone, injected by the composition root (server/main.ts):
 * the store's writer, a metrics registry, the signer's key service, the rollover service, and a
 * propagation barrier that gives read-after-write (ARCHITECTURE.md: when the API answers 2xx, the
 * next query sees the change). The key and rollover services are typed structurally here, so api/
 * never imports server/ (server/dnssec/key-service.ts and rollover-service.ts fit these shapes).
 */
import type { Registry } from 'prom-client';
import type { ZoneInfo, ZoneWriter } from '../zone-store/types.js';
import type { ApiConfig } from './api-config.js';

/** One DNSSEC key of a zone as the API shows it (public data only). */
export interface ZoneKeyDescription {
  keyTag: number;
  algorithm: number;
  flags: number;
  role: string;
  /** Lifecycle state (published, active, retired); absent when the key service does not track it. */
  state?: string;
  /** DNSKEY RDATA in presentation form. */
  dnskey: string;
  /** The full DS RR text for the parent (KSK/CSK only). */
  ds?: string;
}

/** Implemented on top of signer/ by the composition root. */
export interface ZoneKeyService {
  /**
   * Called right after store.createZone for a signed zone; makes and stores the zone's keys: a
   * KSK and a ZSK (default) or one CSK, ECDSA P-256 (13, default) or Ed25519 (15).
   */
  createZoneKeys(zone: ZoneInfo, layout?: 'ksk-zsk' | 'csk', algorithm?: 13 | 15): void;
  describeKeys(zone: ZoneInfo): ZoneKeyDescription[];
  /** Called after store.deleteZone: removes the zone's private key files. */
  deleteZoneKeys?(zone: string): void;
}

/** A key named by a rollover step; only its tag is shown (the records carry private-file paths). */
export interface RolloverKeyRef {
  keyTag: number;
}

/** The step a rollover takes next (server/dnssec/rollover.ts RolloverAction). */
export interface RolloverStep {
  step: string;
  kind: 'zsk' | 'ksk';
  newKey?: RolloverKeyRef;
  oldKeys?: readonly RolloverKeyRef[];
}

/** Where a ZSK or KSK rollover stands (server/dnssec/rollover.ts RolloverStatus). */
export interface RolloverState {
  kind: 'zsk' | 'ksk';
  /** 0: none under way; otherwise the number of the step last taken. */
  stepTaken: number;
  description: string;
  next: RolloverStep;
  /** Unix seconds from which `next` is safe (0: now), as far as time goes. */
  safeAt: number;
  /** A condition besides time the step waits for; refused (unless forced) while present. */
  waitingFor?: string;
  /** KSK: the parent's DS TTL the waits use. */
  parentDsTtl?: number;
  /** KSK step 1: since when the parent serves the new DS (the operator's confirmation). */
  dsSeenAt?: number;
}

export interface ZoneRolloverStatus {
  zone: string;
  csk: boolean;
  zsk: RolloverState;
  ksk: RolloverState;
}

/**
 * Rollover steps (server/dnssec/rollover-service.ts RolloverService). Refusals are thrown as errors
 * with a string `code` (ERR_ROLLOVER_NOT_SAFE, ERR_ROLLOVER_CSK, ERR_ROLLOVER_UNSIGNED,
 * ERR_ROLLOVER_ZONE_NOT_FOUND) and, when not safe yet, a numeric `safeAt`.
 */
export interface ZoneRolloverService {
  status(zone: string): ZoneRolloverStatus;
  /** `warning`: set when `force` took a step that was not safe yet. `parentDsTtl` is remembered for the zone. */
  advance(zone: string, kind: 'zsk' | 'ksk', force: boolean, options?: { parentDsTtl?: number }): { action: RolloverStep; status: ZoneRolloverStatus; warning?: string };
  /**
   * The operator's confirmation that the parent serves the new KSK's DS (since `since`, default
   * now); refused with code ERR_ROLLOVER_NO_DS_WAIT when no KSK rollover waits for it,
   * ERR_ROLLOVER_INVALID for a time or TTL that cannot be right.
   */
  confirmDsSeen?(zone: string, options: { since?: number; parentDsTtl?: number }): { zone: string; keyTag: number; dsSeenAt: number; parentDsTtl: number; status: ZoneRolloverStatus };
}

export type ApiLog = (level: 'info' | 'warn' | 'error', msg: string, fields?: object) => void;

export interface ApiDeps {
  store: ZoneWriter;
  /** Injected registry; the API registers its idzone_api_* metrics on it. */
  registry: Registry;
  keys?: ZoneKeyService;
  /** Key rollovers; without it the key routes answer 404. */
  rollovers?: ZoneRolloverService;
  /** Resolves once every DNS worker has applied the change (read-after-write). */
  propagate: (zone: string, serial: number) => Promise<void>;
  /** Validated, defaulted and frozen (createApiConfig). */
  config: ApiConfig;
  log?: ApiLog;
  /**
   * What keeps the server from doing all its work right now, one sentence each (none: healthy):
   * `GET /healthz` lists them under status "degraded".
   */
  health?: () => string[];
}
