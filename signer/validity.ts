/**
 * RRSIG validity windows for an online signer (SPECS.md §3.3). Inception is backdated by an hour
 * for clock skew and quantised to the hour, so every signature over the same data made within the
 * same hour has the same window (and the same signed bytes, which lets caches share them).
 * Expiration is inception + validity (14 days by default) + a jitter of up to 10 % derived from a
 * per-RRset key, so signatures made together (bulk import, re-sign after a rollover) do not all
 * expire together — PowerDNS PR #4565 spread its weekly jump for the same reason. A signature is
 * due for refresh once less than 25 % of its validity remains (STYLE.md). RRSIG times are 32-bit
 * and compared with RFC 1982 serial arithmetic (RFC 4034 §3.1.5). Every function takes `now`
 * (Unix seconds) from the caller, so tests inject a clock.
 */
import { compareSerial } from '../core/rrset.js';
import { SignerError, SignerErrorCode } from './errors.js';

export interface ValidityConfig {
  /** Nominal signature lifetime counted from inception, in seconds. */
  validitySeconds: number;
  /** How far inception lies before `now` at least (clock skew of validators). */
  backdateSeconds: number;
  /** Inception is rounded down to a multiple of this. */
  quantumSeconds: number;
  /** Largest jitter added to the expiration, as a fraction of validitySeconds. */
  jitterFraction: number;
  /** A signature is replaced once less than this fraction of its validity remains. */
  refreshFraction: number;
}

export const DEFAULT_VALIDITY: Readonly<ValidityConfig> = Object.freeze({
  validitySeconds: 14 * 86400,
  backdateSeconds: 3600,
  quantumSeconds: 3600,
  jitterFraction: 0.1,
  refreshFraction: 0.25,
});

export interface SignatureWindow {
  inception: number;
  expiration: number;
}

/** Fills defaults and checks ranges, listing every violation at once (STYLE.md "strict at the edge"). */
export function resolveValidityConfig(partial: Partial<ValidityConfig> = {}): ValidityConfig {
  const c: ValidityConfig = { ...DEFAULT_VALIDITY, ...partial };
  const problems: string[] = [];
  if (!Number.isInteger(c.quantumSeconds) || c.quantumSeconds < 1 || c.quantumSeconds > 86400) problems.push('quantumSeconds must be an integer in 1..86400');
  if (!Number.isInteger(c.backdateSeconds) || c.backdateSeconds < 0 || c.backdateSeconds > 86400) problems.push('backdateSeconds must be an integer in 0..86400');
  // Upper bound keeps expiration − inception well inside RFC 1982's 2^31 comparison range.
  if (!Number.isInteger(c.validitySeconds) || c.validitySeconds < 3 * c.quantumSeconds || c.validitySeconds > 366 * 86400) {
    problems.push('validitySeconds must be an integer from 3 × quantumSeconds to 366 days');
  }
  if (!(c.jitterFraction >= 0 && c.jitterFraction <= 0.5)) problems.push('jitterFraction must be in 0..0.5');
  if (!(c.refreshFraction > 0 && c.refreshFraction < 1)) problems.push('refreshFraction must be in (0, 1)');
  if (problems.length > 0) throw new SignerError(SignerErrorCode.INPUT, `invalid signature validity config: ${problems.join('; ')}`);
  return c;
}

/** The window for a signature made at `now` over the RRset identified by `jitterKey` (its owner). */
export function signatureWindow(now: number, jitterKey: string, config: ValidityConfig = DEFAULT_VALIDITY): SignatureWindow {
  const inception = Math.floor((Math.floor(now) - config.backdateSeconds) / config.quantumSeconds) * config.quantumSeconds;
  const expiration = inception + config.validitySeconds + jitterSeconds(jitterKey, config);
  return { inception: inception >>> 0, expiration: expiration >>> 0 };
}

/** Deterministic jitter in [0, validity × jitterFraction] from a 32-bit FNV-1a hash of the key. */
export function jitterSeconds(jitterKey: string, config: ValidityConfig = DEFAULT_VALIDITY): number {
  const span = Math.floor(config.validitySeconds * config.jitterFraction);
  if (span === 0) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < jitterKey.length; i++) h = Math.imul(h ^ jitterKey.charCodeAt(i), 0x01000193);
  return (h >>> 0) % (span + 1);
}

/**
 * True when less than `refreshFraction` (25 %) of the window's validity remains at `now`, or the
 * signature has expired. Differences are taken modulo 2^32 (RFC 1982), so this stays right when
 * the 32-bit time wraps in 2106.
 */
export function isDueForRefresh(window: SignatureWindow, now: number, refreshFraction = DEFAULT_VALIDITY.refreshFraction): boolean {
  // Made while the clock ran ahead (then stepped back): not valid yet, so replace it now.
  if (compareSigTime(window.inception, Math.floor(now)) > 0) return true;
  const total = (window.expiration - window.inception) >>> 0;
  const remaining = (window.expiration - (Math.floor(now) >>> 0)) | 0; // signed 32-bit difference
  return remaining < total * refreshFraction;
}

/** True when `now` lies inside [inception, expiration] under serial arithmetic (RFC 4034 §3.1.5). */
export function isWithinWindow(window: SignatureWindow, now: number): boolean {
  const t = Math.floor(now) >>> 0;
  return compareSigTime(window.inception, t) <= 0 && compareSigTime(t, window.expiration) <= 0;
}

/** RFC 1982 comparison of 32-bit times: negative when a is before b, 0 when equal, positive after. */
export function compareSigTime(a: number, b: number): number {
  return compareSerial(a >>> 0, b >>> 0);
}
