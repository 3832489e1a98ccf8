/**
 * The zone store's error registry. Every failure the store reports on purpose is a StoreError with a
 * stable `code` (ERR_STORE_*) that callers map to HTTP problems or log lines; codes never change once
 * released. Validation errors are thrown before anything is written, so a caller that catches one
 * knows the store is unchanged.
 */

export const StoreErrorCode = {
  /** No zone with that name. */
  ZONE_NOT_FOUND: 'ERR_STORE_ZONE_NOT_FOUND',
  /** createZone for a name that is already a zone. */
  ZONE_EXISTS: 'ERR_STORE_ZONE_EXISTS',
  /** createZone for a name inside another zone, or above one: idzone serves no delegations. */
  ZONE_NESTED: 'ERR_STORE_ZONE_NESTED',
  /** A name that does not parse as a domain name, or the root as a zone. */
  NAME_INVALID: 'ERR_STORE_NAME_INVALID',
  /** An owner that is not below the zone apex. */
  NAME_OUTSIDE_ZONE: 'ERR_STORE_NAME_OUTSIDE_ZONE',
  /** An owner equal to the apex: its SOA and NS are computed from the zone settings. */
  APEX_MANAGED: 'ERR_STORE_APEX_MANAGED',
  /** An RRset type other than TLSA or SSHFP. */
  TYPE_REFUSED: 'ERR_STORE_TYPE_REFUSED',
  /** The same type twice in one put. */
  RRSET_DUPLICATE: 'ERR_STORE_RRSET_DUPLICATE',
  /** A TTL that is not an integer in 0 … 2^31-1 (RFC 2181 §8). */
  TTL_INVALID: 'ERR_STORE_TTL_INVALID',
  /** Zone settings out of range or unknown keys. */
  SETTINGS_INVALID: 'ERR_STORE_SETTINGS_INVALID',
  /** updateKey for an unknown key id. */
  KEY_NOT_FOUND: 'ERR_STORE_KEY_NOT_FOUND',
  /** addToken with a hash already stored. */
  TOKEN_EXISTS: 'ERR_STORE_TOKEN_EXISTS',
  /** storeSignatures with a signature list that does not match the node's RRsets. */
  SIGS_MISMATCH: 'ERR_STORE_SIGS_MISMATCH',
  /** A database written by a newer idzone. */
  SCHEMA_TOO_NEW: 'ERR_STORE_SCHEMA_TOO_NEW',
  /** A read-only handle on a database the writer has not migrated yet. */
  SCHEMA_TOO_OLD: 'ERR_STORE_SCHEMA_TOO_OLD',
  /** Opening a data directory that does not exist without `create`. */
  NOT_FOUND: 'ERR_STORE_NOT_FOUND',
  /** Missing or mismatched shard files, or a node blob of an unknown format. */
  CORRUPT: 'ERR_STORE_CORRUPT',
  /** A write on a read-only handle. */
  READONLY: 'ERR_STORE_READONLY',
  /** Any call after close(). */
  CLOSED: 'ERR_STORE_CLOSED',
} as const;
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
  }
}

export function isStoreError(e: unknown, code?: StoreErrorCode): e is StoreError {
  return e instanceof StoreError && (code === undefined || e.code === code);
}
