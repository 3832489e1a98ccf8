/**
 * Small helpers for strict JSON input checking: plain-object tests, integer fields and unknown-key
 * reporting, each appending a Violation located by an RFC 6901 JSON pointer instead of stopping at the
 * first problem (STYLE.md: strict at the edge, every violation listed at once).
 */
import type { Violation } from '../core/identity-rdata.js';

export type JsonObject = Record<string, unknown>;

export function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Escapes one reference token of a JSON pointer (RFC 6901 §3). */
export function pointerToken(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} characters` : JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** Reads an integer field; appends a violation and returns undefined when present but not an integer. */
export function readInteger(obj: JsonObject, key: string, pointer: string, out: Violation[]): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    out.push({ pointer: `${pointer}/${pointerToken(key)}`, message: `${key} must be an integer, got ${describeJson(v)}` });
    return undefined;
  }
  return v;
}

/** Reads a string field; appends a violation and returns undefined when present but not a string. */
export function readString(obj: JsonObject, key: string, pointer: string, out: Violation[]): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') {
    out.push({ pointer: `${pointer}/${pointerToken(key)}`, message: `${key} must be a string, got ${describeJson(v)}` });
    return undefined;
  }
  return v;
}

/** Lists every key of `obj` outside `allowed`, one violation each. */
export function rejectUnknownKeys(obj: JsonObject, allowed: ReadonlySet<string>, pointer: string, out: Violation[]): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.has(k)) out.push({ pointer: `${pointer}/${pointerToken(k)}`, message: `unknown field "${k}" (allowed: ${[...allowed].join(', ')})` });
  }
}
