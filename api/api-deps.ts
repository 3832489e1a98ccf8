/**
 * What the API needs from the rest of idzone, injected by the composition root (server/main.ts):
 * the store's writer, a metrics registry, the signer's key service, and a propagation barrier that
 * gives read-after-write (ARCHITECTURE.md: when the API answers 2xx, the next query sees the change).
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
  /** DNSKEY RDATA in presentation form. */
  dnskey: string;
  /** The full DS RR text for the parent (KSK/CSK only). */
  ds?: string;
}

/** Implemented on top of signer/ by the composition root. */
export interface ZoneKeyService {
  /** Called right after store.createZone; makes and stores the zone's keys. */
  createZoneKeys(zone: ZoneInfo): void;
  describeKeys(zone: ZoneInfo): ZoneKeyDescription[];
}

export type ApiLog = (level: 'info' | 'warn' | 'error', msg: string, fields?: object) => void;

export interface ApiDeps {
  store: ZoneWriter;
  /** Injected registry; the API registers its idzone_api_* metrics on it. */
  registry: Registry;
  keys?: ZoneKeyService;
  /** Resolves once every DNS worker has applied the change (read-after-write). */
  propagate: (zone: string, serial: number) => Promise<void>;
  /** Validated, defaulted and frozen (createApiConfig). */
  config: ApiConfig;
  log?: ApiLog;
}
