/**
 * NSEC3 hashing and the records idzone's denial of existence is built from: the RFC 5155 §5 hash
 * (SHA-1 over canonical wire name and salt, iterated), hashed owner names (§3.3: base32hex label on
 * the apex), hash ±1 modulo 2^160, NSEC3 RDATA (§3.2) and NSEC3PARAM RDATA (§4.2), and the
 * white-lies records of SPECS.md §4.6: a *match* (owner H, next H+1, the name's types) and a *cover*
 * (owner H−1, next H+1, empty bitmap), plus the RFC 9824 §4 compact-denial NXNAME record.
 * idzone zones use the RFC 9276 §3.1 parameters: algorithm 1, flags 0, 0 iterations, empty salt.
 */
import { splitLabels } from '../core/names.js';
import { RrType } from '../core/rr-types.js';
import { base32hexEncode } from './base32hex.js';
import { canonicalOwnerWire } from './canonical.js';
import { SignerError, SignerErrorCode } from './errors.js';
import { encodeTypeBitmap } from './type-bitmap.js';
import { sha1 } from './sha1.js';

export const NSEC3_HASH_SHA1 = 1;
export const NSEC3_HASH_LENGTH = 20;

export interface Nsec3Params {
  iterations: number;
  salt: Buffer;
}

/** RFC 9276 §3.1: iterations MUST be 0; operators SHOULD NOT use a salt. */
export const ZONE_NSEC3_PARAMS: Readonly<Nsec3Params> = Object.freeze({ iterations: 0, salt: Buffer.alloc(0) });

/** Types the apex NSEC3 lists besides its data types (the caller passes them to nsec3Match). */
export const APEX_NSEC3_TYPES: readonly number[] = Object.freeze([
  RrType.NS,
  RrType.SOA,
  RrType.DNSKEY,
  RrType.NSEC3PARAM,
  RrType.CDS,
  RrType.CDNSKEY,
]);

/** A record ready to serve and sign: absolute owner name and NSEC3 RDATA in wire form. */
export interface Nsec3Record {
  owner: string;
  rdata: Buffer;
}

/** RFC 5155 §5: IH(salt, x, 0) = H(x || salt), IH(salt, x, k) = H(IH(salt, x, k−1) || salt). */
export function nsec3Hash(name: string, params: Nsec3Params = ZONE_NSEC3_PARAMS): Buffer {
  // sha1.ts rather than node:crypto: these inputs are short and hashed on every denial and NODATA.
  const salt = params.salt;
  const wire = canonicalOwnerWire(name);
  let digest = sha1(salt.length === 0 ? wire : Buffer.concat([wire, salt]));
  for (let k = 0; k < params.iterations; k++) digest = sha1(salt.length === 0 ? digest : Buffer.concat([digest, salt]));
  return digest;
}

/** The hashed owner name H(name) on `apex` (RFC 5155 §3.3): one base32hex label, lowercase. */
export function nsec3OwnerName(apex: string, hash: Uint8Array): string {
  return base32hexEncode(hash) + (apex === '.' ? '.' : '.' + apex);
}

export function nsec3OwnerHash(apex: string, name: string, params: Nsec3Params = ZONE_NSEC3_PARAMS): string {
  return nsec3OwnerName(apex, nsec3Hash(name, params));
}

/** hash + 1 modulo 2^160 (any length), carrying byte by byte from the right. */
export function hashIncrement(hash: Uint8Array): Buffer {
  const out = Buffer.from(hash);
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = (out[i]! + 1) & 0xff;
    if (out[i] !== 0) break;
  }
  return out;
}

/** hash − 1 modulo 2^160 (any length), borrowing byte by byte from the right. */
export function hashDecrement(hash: Uint8Array): Buffer {
  const out = Buffer.from(hash);
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = (out[i]! - 1) & 0xff;
    if (out[i] !== 0xff) break;
  }
  return out;
}

/** NSEC3 RDATA (RFC 5155 §3.2): alg | flags | iterations | salt len | salt | hash len | next | bitmap. */
export function nsec3Rdata(nextHash: Uint8Array, types: Iterable<number>, params: Nsec3Params = ZONE_NSEC3_PARAMS, flags = 0): Buffer {
  checkParams(params);
  if (nextHash.length < 1 || nextHash.length > 255) throw new SignerError(SignerErrorCode.INPUT, 'NSEC3 next hash length out of range');
  const bitmap = encodeTypeBitmap(types);
  const salt = params.salt;
  const out = Buffer.allocUnsafe(6 + salt.length + nextHash.length + bitmap.length);
  out[0] = NSEC3_HASH_SHA1;
  out[1] = flags;
  out.writeUInt16BE(params.iterations, 2);
  out[4] = salt.length;
  out.set(salt, 5);
  let o = 5 + salt.length;
  out[o++] = nextHash.length;
  out.set(nextHash, o);
  out.set(bitmap, o + nextHash.length);
  return out;
}

/** NSEC3PARAM RDATA (RFC 5155 §4.2): alg | flags = 0 | iterations | salt len | salt. */
export function nsec3paramRdata(params: Nsec3Params = ZONE_NSEC3_PARAMS): Buffer {
  checkParams(params);
  const head = Buffer.alloc(5);
  head[0] = NSEC3_HASH_SHA1;
  head[1] = 0;
  head.writeUInt16BE(params.iterations, 2);
  head[4] = params.salt.length;
  return Buffer.concat([head, params.salt]);
}

/**
 * White-lies match for an existing name (SPECS.md §4.6): owner H(name), next H(name)+1, bitmap of
 * `types` with RRSIG added whenever any type is present (every RRset of a signed zone is signed).
 * An empty list (an empty non-terminal) gives an empty bitmap. For the apex the caller passes its
 * data types plus APEX_NSEC3_TYPES.
 */
export function nsec3Match(apex: string, name: string, types: readonly number[]): Nsec3Record {
  const h = nsec3Hash(name);
  const bitmapTypes = types.length > 0 ? [...types, RrType.RRSIG] : [];
  return { owner: nsec3OwnerName(apex, h), rdata: nsec3Rdata(hashIncrement(h), bitmapTypes) };
}

/** White-lies cover for a name that does not exist: owner H−1, next H+1, empty bitmap. */
export function nsec3Cover(apex: string, name: string): Nsec3Record {
  const h = nsec3Hash(name);
  return { owner: nsec3OwnerName(apex, hashDecrement(h)), rdata: nsec3Rdata(hashIncrement(h), []) };
}

/** RFC 9824 §4 compact denial of a non-existent name: owner H, next H+1, bitmap NXNAME only. */
export function nsec3CompactNxname(apex: string, name: string): Nsec3Record {
  const h = nsec3Hash(name);
  return { owner: nsec3OwnerName(apex, h), rdata: nsec3Rdata(hashIncrement(h), [RrType.NXNAME]) };
}

/**
 * True when `label` (escaped presentation) looks like a hashed NSEC3 owner: 32 base32hex
 * characters. RFC 5155 §7.2.8: a query for an NSEC3 owner name is answered as a name error,
 * since white-lies records exist only in answers.
 */
export function isNsec3OwnerLike(label: string): boolean {
  return label.length === 32 && /^[0-9a-v]{32}$/i.test(label);
}

/** True when the first label of `name` below `apex` looks like a hashed owner (see isNsec3OwnerLike). */
export function isNsec3OwnerName(apex: string, name: string): boolean {
  const labels = splitLabels(name);
  return labels.length === splitLabels(apex).length + 1 && isNsec3OwnerLike(labels[0]!);
}

/** RFC 9077 §3: NSEC3 TTL = min(SOA TTL, SOA MINIMUM). */
export function nsec3Ttl(settings: { soaTtl: number; negativeTtl: number }): number {
  return Math.min(settings.soaTtl, settings.negativeTtl);
}

function checkParams(params: Nsec3Params): void {
  if (!Number.isInteger(params.iterations) || params.iterations < 0 || params.iterations > 0xffff) {
    throw new SignerError(SignerErrorCode.INPUT, 'NSEC3 iterations out of range');
  }
  if (params.salt.length > 255) throw new SignerError(SignerErrorCode.INPUT, 'NSEC3 salt longer than 255 octets');
}

