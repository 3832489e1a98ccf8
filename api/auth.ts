/**
 * Authentication and authorisation of API requests with bearer tokens (RFC 6750 §2.1). A request
 * without a token, or with one the store does not know, gets 401 with a `WWW-Authenticate: Bearer`
 * challenge (RFC 6750 §3); a known token acting outside its zones, writing with a read-only token, or
 * managing zones without the admin flag gets 403 (`error="insufficient_scope"`). Zone scope is checked
 * before zone existence, so a token cannot probe which zones exist outside its scope.
 */
import { timingSafeEqual } from 'node:crypto';
import type { TokenRecord, ZoneReader } from '../zone-store/types.js';
import { ApiErrorCode, makeProblem, type Problem } from './errors.js';
import { TOKEN_PATTERN, hashToken } from './tokens.js';

export const REALM = 'idzone';

export type AuthResult = { ok: true; token: TokenRecord } | { ok: false; problem: Problem; challenge: string };

/** Reads `Authorization: Bearer <token>` and finds the token's record by its hash. */
export function authenticate(header: string | undefined, store: Pick<ZoneReader, 'findToken'>): AuthResult {
  if (header === undefined || header.trim() === '') {
    return { ok: false, problem: makeProblem(ApiErrorCode.UNAUTHORIZED, 'send "Authorization: Bearer <token>"'), challenge: `Bearer realm="${REALM}"` };
  }
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  const token = m?.[1];
  const invalid = (detail: string): AuthResult => ({
    ok: false,
    problem: makeProblem(ApiErrorCode.UNAUTHORIZED, detail),
    challenge: `Bearer realm="${REALM}", error="invalid_token"`,
  });
  if (token === undefined) return invalid('the Authorization header is not "Bearer <token>"');
  if (!TOKEN_PATTERN.test(token)) return invalid('the token is not an idzone token');
  const hash = hashToken(token);
  const record = store.findToken(hash);
  // The lookup is by a hash of a 256-bit secret, so its timing reveals nothing useful; the final
  // comparison is constant-time anyway so no store implementation can turn into an oracle.
  if (record === undefined || !timingSafeEqual(Buffer.from(record.hash, 'hex'), Buffer.from(hash, 'hex'))) return invalid('the token is not known');
  return { ok: true, token: record };
}

/** What an operation needs from the token. */
export interface Need {
  /** Canonical zone acted on, when the operation is about one zone. */
  zone?: string;
  write?: boolean;
  admin?: boolean;
}

export function coversZone(token: TokenRecord, zone: string): boolean {
  return token.zones.includes('*') || token.zones.includes(zone);
}

/** A 403 problem when `token` does not allow `need`, undefined when it does. */
export function authorize(token: TokenRecord, need: Need): Problem | undefined {
  if (need.admin === true && !token.admin) return makeProblem(ApiErrorCode.FORBIDDEN, 'this request needs an admin token (admin-only: creating and deleting zones, key rollover steps, DS confirmations)');
  if (need.zone !== undefined && !coversZone(token, need.zone)) return makeProblem(ApiErrorCode.FORBIDDEN, `the token is not allowed to act on zone ${need.zone}`);
  if (need.write === true && !token.write) return makeProblem(ApiErrorCode.FORBIDDEN, 'the token is read-only; this request writes');
  return undefined;
}

export const FORBIDDEN_CHALLENGE = `Bearer realm="${REALM}", error="insufficient_scope"`;
