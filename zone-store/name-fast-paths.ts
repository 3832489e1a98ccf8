/**
 * Fast paths over core/names.ts for the names bulk imports are made of: lowercase letters, digits,
 * `-`, `_` and `*` labels with no escapes. Such a string is already canonical (RFC 4034 §6.2) and its
 * labels are split at every dot, so the general parser (which builds label byte arrays) is skipped.
 * Anything else goes to core/names.ts, so results never differ, only their cost.
 */
import { ancestorsBelow, isInZone, parseName } from '../core/names.js';

const PLAIN_NAME = /^(?:[a-z0-9_*-]{1,63}\.)+$/;
/** A plain name's wire length is its text length + 1 (RFC 1035 §2.3.4 caps it at 255). */
const MAX_PLAIN_TEXT = 254;

function isPlain(name: string): boolean {
  return name.length <= MAX_PLAIN_TEXT && PLAIN_NAME.test(name);
}

/** parseName, skipping the parser for names already in plain canonical form. Throws NameError. */
export function canonicalName(text: string): string {
  return isPlain(text) ? text : parseName(text);
}

/** isInZone for canonical names. */
export function isNameInZone(name: string, apex: string): boolean {
  if (name.indexOf('\\') < 0 && apex.indexOf('\\') < 0) {
    return apex === '.' || name === apex || (name.length > apex.length && name.endsWith(apex) && name.charCodeAt(name.length - apex.length - 1) === 0x2e);
  }
  return isInZone(name, apex);
}

/** ancestorsBelow for canonical names: ancestors strictly below `apex`, nearest first. */
export function ancestorsUnder(name: string, apex: string): string[] {
  if (name.indexOf('\\') >= 0) return ancestorsBelow(name, apex);
  const out: string[] = [];
  const stop = apex === '.' ? 1 : apex.length;
  for (let i = name.indexOf('.'); i >= 0 && name.length - i - 1 > stop; i = name.indexOf('.', i + 1)) out.push(name.slice(i + 1));
  return out;
}
