/**
 * The API's error registry and its RFC 9457 problem details. Every failure the API reports on purpose
 * has a stable code (ERR_API_*) and one row in API_ERRORS giving its HTTP status and title; codes never
 * change once released. Store failures (zone-store/errors.ts) are mapped to API codes here and only
 * here, so a new store code shows up as one missing row rather than as scattered status choices.
 */
import type { Violation } from '../core/identity-rdata.js';
import { StoreError, StoreErrorCode } from '../zone-store/errors.js';
import { capViolations } from './json-fields.js';

export const ApiErrorCode = {
  VALIDATION: 'ERR_API_VALIDATION',
  TYPE_REFUSED: 'ERR_API_TYPE_REFUSED',
  BAD_JSON: 'ERR_API_BAD_JSON',
  UNAUTHORIZED: 'ERR_API_UNAUTHORIZED',
  FORBIDDEN: 'ERR_API_FORBIDDEN',
  NOT_FOUND: 'ERR_API_NOT_FOUND',
  METHOD: 'ERR_API_METHOD',
  CONFLICT: 'ERR_API_CONFLICT',
  BODY_TOO_LARGE: 'ERR_API_BODY_TOO_LARGE',
  MEDIA_TYPE: 'ERR_API_MEDIA_TYPE',
  INTERNAL: 'ERR_API_INTERNAL',
  UNAVAILABLE: 'ERR_API_UNAVAILABLE',
  BUSY: 'ERR_API_BUSY',
  ROLLOVER_NOT_SAFE: 'ERR_API_ROLLOVER_NOT_SAFE',
  ROLLOVER_CSK: 'ERR_API_ROLLOVER_CSK',
  ROLLOVER_UNSIGNED: 'ERR_API_ROLLOVER_UNSIGNED',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/** One row per code: the HTTP status it answers with and a short, fixed title (RFC 9457 §3.1.4). */
export const API_ERRORS: Readonly<Record<ApiErrorCode, { status: number; title: string }>> = Object.freeze({
  ERR_API_VALIDATION: { status: 400, title: 'The request does not pass validation' },
  ERR_API_TYPE_REFUSED: { status: 400, title: 'Record type refused: idzone serves only TLSA and SSHFP' },
  ERR_API_BAD_JSON: { status: 400, title: 'The body is not valid JSON' },
  ERR_API_UNAUTHORIZED: { status: 401, title: 'A valid bearer token is required' },
  ERR_API_FORBIDDEN: { status: 403, title: 'The token does not allow this' },
  ERR_API_NOT_FOUND: { status: 404, title: 'Not found' },
  ERR_API_METHOD: { status: 405, title: 'Method not allowed on this resource' },
  ERR_API_CONFLICT: { status: 409, title: 'Conflict with the current state' },
  ERR_API_BODY_TOO_LARGE: { status: 413, title: 'The body is larger than allowed' },
  ERR_API_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  ERR_API_INTERNAL: { status: 500, title: 'Internal error' },
  ERR_API_UNAVAILABLE: { status: 503, title: 'The change was stored but not yet confirmed by every DNS worker' },
  ERR_API_BUSY: { status: 503, title: 'Too many imports are running; retry later' },
  ERR_API_ROLLOVER_NOT_SAFE: { status: 409, title: 'The next rollover step is not safe yet' },
  ERR_API_ROLLOVER_CSK: { status: 409, title: 'The zone uses a combined signing key; ZSK/KSK rollovers do not apply' },
  ERR_API_ROLLOVER_UNSIGNED: { status: 409, title: 'The zone is not signed' },
});

/** RFC 9457 problem details with idzone's extension members `code` and `errors`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ApiErrorCode;
  instance?: string;
  errors: Violation[];
  /** ERR_API_ROLLOVER_NOT_SAFE: Unix seconds from which the step is safe, and the same as an ISO time. */
  safeAt?: number;
  safeAtTime?: string;
}

/** The problem `type` URI of a code: a URN, stable and documented in api/README.md. */
export function problemType(code: ApiErrorCode): string {
  return `urn:idzone:problem:${code}`;
}

/** A problem listing at most MAX_LISTED_VIOLATIONS of `errors` (and how many more there were). */
export function makeProblem(code: ApiErrorCode, detail: string, errors: Violation[] = []): Problem {
  const row = API_ERRORS[code];
  return { type: problemType(code), title: row.title, status: row.status, detail, code, errors: capViolations(errors) };
}

/** Store codes the API expects and what they become; anything else is a fault (500). */
const STORE_TO_API: Readonly<Partial<Record<StoreErrorCode, ApiErrorCode>>> = {
  [StoreErrorCode.ZONE_NOT_FOUND]: ApiErrorCode.NOT_FOUND,
  [StoreErrorCode.ZONE_EXISTS]: ApiErrorCode.CONFLICT,
  [StoreErrorCode.ZONE_NESTED]: ApiErrorCode.CONFLICT,
  [StoreErrorCode.NAME_INVALID]: ApiErrorCode.VALIDATION,
  [StoreErrorCode.NAME_OUTSIDE_ZONE]: ApiErrorCode.VALIDATION,
  [StoreErrorCode.APEX_MANAGED]: ApiErrorCode.VALIDATION,
  [StoreErrorCode.TYPE_REFUSED]: ApiErrorCode.TYPE_REFUSED,
  [StoreErrorCode.RRSET_DUPLICATE]: ApiErrorCode.VALIDATION,
  [StoreErrorCode.TTL_INVALID]: ApiErrorCode.VALIDATION,
  [StoreErrorCode.SETTINGS_INVALID]: ApiErrorCode.VALIDATION,
  [StoreErrorCode.TOKEN_EXISTS]: ApiErrorCode.CONFLICT,
};

/** Maps a thrown store error to a problem; undefined for anything that is not an expected StoreError. */
export function problemFromStoreError(e: unknown): Problem | undefined {
  if (!(e instanceof StoreError)) return undefined;
  const code = STORE_TO_API[e.code];
  if (code === undefined) return undefined;
  return makeProblem(code, e.message, [{ pointer: '', message: `${e.code}: ${e.message}` }]);
}

/** Rollover refusals (server/dnssec/rollover-service.ts RolloverError, matched by its code) and what they become. */
const ROLLOVER_TO_API: Readonly<Record<string, ApiErrorCode>> = {
  ERR_ROLLOVER_NOT_SAFE: ApiErrorCode.ROLLOVER_NOT_SAFE,
  ERR_ROLLOVER_CSK: ApiErrorCode.ROLLOVER_CSK,
  ERR_ROLLOVER_UNSIGNED: ApiErrorCode.ROLLOVER_UNSIGNED,
  ERR_ROLLOVER_ZONE_NOT_FOUND: ApiErrorCode.NOT_FOUND,
};

/** Maps a thrown rollover refusal to a problem (with `safeAt` when it says when); undefined for anything else. */
export function problemFromRolloverError(e: unknown): Problem | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as { code?: unknown }).code;
  const api = typeof code === 'string' ? ROLLOVER_TO_API[code] : undefined;
  if (api === undefined) return undefined;
  const problem = makeProblem(api, e.message);
  const safeAt = (e as { safeAt?: unknown }).safeAt;
  if (api === ApiErrorCode.ROLLOVER_NOT_SAFE && typeof safeAt === 'number' && Number.isFinite(safeAt)) {
    problem.safeAt = safeAt;
    problem.safeAtTime = new Date(safeAt * 1000).toISOString();
  }
  return problem;
}

/** An exception carrying a problem, thrown only from deep helpers (body readers) to the dispatcher. */
export class ApiProblemError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail);
    this.name = 'ApiProblemError';
    this.problem = problem;
  }
}
