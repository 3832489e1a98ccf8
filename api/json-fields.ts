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

/**
 * Unknown fields listed per object; the rest are counted in one more violation. Without a bound a
 * 1 MiB body of `{"0":0,"1":0,…}` listed ~120,000 violations (a 10 MB answer), and an NDJSON import
 * of such lines grew its report ~11 times faster than the upload until the heap ran out.
 */
export const MAX_LISTED_UNKNOWN_FIELDS = 10;

/** Violations listed in one answer (or one rejected import line); the rest are counted. */
export const MAX_LISTED_VIOLATIONS = 100;

/** Lists the keys of `obj` outside `allowed`, one violation each up to MAX_LISTED_UNKNOWN_FIELDS. */
export function rejectUnknownKeys(obj: JsonObject, allowed: ReadonlySet<string>, pointer: string, out: Violation[]): void {
  const unlisted = new UnlistedFields(pointer);
  for (const k in obj) {
    if (!Object.hasOwn(obj, k) || allowed.has(k)) continue;
    if (unlisted.full()) continue;
    out.push({ pointer: `${pointer}/${pointerToken(k)}`, message: `unknown field "${k}" (allowed: ${[...allowed].join(', ')})` });
  }
  unlisted.report(out);
}

/** Counts the unknown fields of one object past MAX_LISTED_UNKNOWN_FIELDS, and says so once. */
export class UnlistedFields {
  private listed = 0;
  private skipped = 0;

  constructor(private readonly pointer: string) {}

  /** Call once per unknown field: true when it is one too many to list (it is counted instead). */
  full(): boolean {
    if (this.listed < MAX_LISTED_UNKNOWN_FIELDS) {
      this.listed++;
      return false;
    }
    this.skipped++;
    return true;
  }

  report(out: Violation[]): void {
    if (this.skipped > 0) out.push({ pointer: this.pointer, message: `${this.skipped} more unknown field(s) not listed (${this.listed + this.skipped} in all)` });
  }
}

/** The first `max` violations of `list`, and one saying how many more there were (the list itself when short). */
export function capViolations<T extends Violation>(list: T[], max = MAX_LISTED_VIOLATIONS): (T | Violation)[] {
  if (list.length <= max) return list;
  return [...list.slice(0, max), { pointer: '', message: `${list.length - max} more violation(s) not listed (${list.length} in all)` }];
}
