/**
 * Owner names for `_user` records (SPECS.md §1.5 and §9.3): the RFC 7929 §3 technique applied to DANCE
 * user identities. The label is the lowercase hex of SHA2-256 over the UTF-8 user name, truncated to
 * 28 octets (56 hex characters); it sits under `_user.<domain>`, or directly under the apex when the
 * zone itself is a `_user` zone. Like RFC 7929 there is no case folding: operators get exactly the
 * hash of what they send, so `hugh` gives `c93f1e40…afd6`.
 */
import { createHash } from 'node:crypto';
import { splitLabels } from '../core/names.js';

/** Longest user name accepted, in UTF-8 bytes (well beyond RFC 5321 §4.5.3.1.1's 64-octet local part). */
export const MAX_USER_BYTES = 256;

export function userHashLabel(user: string): string {
  return createHash('sha256').update(user, 'utf8').digest('hex').slice(0, 56);
}

/** The canonical owner of `user`'s records in zone `zone` (a canonical name). */
export function userOwner(user: string, zone: string): string {
  const label = userHashLabel(user);
  return splitLabels(zone)[0] === '_user' ? `${label}.${zone}` : `${label}._user.${zone}`;
}

/** A UTF-16 surrogate without its other half. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `user` cannot be hashed into an owner name, or undefined when it can. */
export function checkUserName(user: string): string | undefined {
  if (user.length === 0) return 'user must not be empty';
  if (Buffer.byteLength(user, 'utf8') > MAX_USER_BYTES) return `user must be at most ${MAX_USER_BYTES} bytes of UTF-8`;
  if (user.includes('@')) return 'user is the local part only (the zone gives the domain): drop "@" and what follows';
  // RFC 7929 §3 hashes the local part's UTF-8: a lone surrogate has none (JSON would let it through
  // as "\ud800", and UTF-8 encoding would silently hash U+FFFD instead).
  if (LONE_SURROGATE.test(user)) return 'user contains a lone UTF-16 surrogate, which has no UTF-8 form to hash';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(user)) return 'user must not contain control characters';
  return undefined;
}
