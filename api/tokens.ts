/**
 * API bearer tokens (RFC 6750): `idz_` followed by 32 random bytes in base64url (RFC 4648 §5), so a
 * token is recognisable in logs and secret scanners and carries 256 bits of entropy. Only the SHA-256 of
 * the token is stored; the token itself is shown once, at creation. Because the token is a random
 * 256-bit secret, a fast unsalted hash is enough: there is nothing to brute-force.
 */
import { createHash, randomBytes } from 'node:crypto';
import { parseName } from '../core/names.js';
import type { TokenRecord, ZoneWriter } from '../zone-store/types.js';

export const TOKEN_PREFIX = 'idz_';
/** `idz_` + base64url of 32 bytes (43 characters, no padding). */
export const TOKEN_PATTERN = /^idz_[A-Za-z0-9_-]{43}$/;

export interface TokenScope {
  /** Zones the token may act on (any spelling; canonicalised here), or ['*'] for every zone. */
  zones: string[];
  write: boolean;
  admin: boolean;
  description: string;
}

export function generateTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Lowercase hex SHA-256 of the token text: the only form ever stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Creates and stores a token; returns the secret (show it once) and the stored record. Throws the
 * NameError of core/names.ts when a zone does not parse, before anything is stored.
 */
export function createToken(store: Pick<ZoneWriter, 'addToken'>, scope: TokenScope): { token: string; record: TokenRecord } {
  const zones = scope.zones.includes('*') ? ['*'] : [...new Set(scope.zones.map((z) => parseName(z)))];
  if (zones.length === 0) throw new RangeError('a token needs at least one zone, or "*" for every zone');
  const token = generateTokenSecret();
  const record = store.addToken({ hash: hashToken(token), zones, write: scope.write, admin: scope.admin, description: scope.description });
  return { token, record };
}
