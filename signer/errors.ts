/**
 * The signer's error-code registry. Codes follow STYLE.md (`ERR_<AREA>_<WHAT>`) and never change once
 * released. Messages name files and key tags, never key material: a message may reach a log line.
 */

export const SignerErrorCode = {
  /** The private key file named by a key record does not exist. */
  KEY_MISSING: 'ERR_SIGNER_KEY_MISSING',
  /** The key file exists but cannot be read (permissions, I/O error, not a regular file). */
  KEY_UNREADABLE: 'ERR_SIGNER_KEY_UNREADABLE',
  /** The key file was read but is not a PKCS#8 PEM private key of a supported algorithm. */
  KEY_CORRUPT: 'ERR_SIGNER_KEY_CORRUPT',
  /** The private key does not belong to the public key (DNSKEY) it is recorded with. */
  KEY_MISMATCH: 'ERR_SIGNER_KEY_MISMATCH',
  /** A key file path points outside the data directory. */
  KEY_PATH: 'ERR_SIGNER_KEY_PATH',
  /** A key file could not be written (directory, permissions, disk). */
  KEY_WRITE: 'ERR_SIGNER_KEY_WRITE',
  /** A DNSSEC algorithm idzone does not sign with (only 13 and 15 are supported). */
  ALGORITHM: 'ERR_SIGNER_ALGORITHM',
  /** Malformed input to a signer function (bad RDATA, bad digest type, bad hash length). */
  INPUT: 'ERR_SIGNER_INPUT',
  /** A signer was asked to sign for a zone it was not built for. */
  ZONE_MISMATCH: 'ERR_SIGNER_ZONE_MISMATCH',
  /** A signed zone has no active key of the role the operation needs. */
  NO_KEYS: 'ERR_SIGNER_NO_KEYS',
} as const;
export type SignerErrorCodeValue = (typeof SignerErrorCode)[keyof typeof SignerErrorCode];

export class SignerError extends Error {
  readonly code: SignerErrorCodeValue;
  constructor(code: SignerErrorCodeValue, message: string) {
    super(message);
    this.name = 'SignerError';
    this.code = code;
  }
}

/** A result that is either a value or a typed signer error (key loading reports faults this way). */
export type SignerResult<T> = { ok: true; value: T } | { ok: false; error: SignerError };
