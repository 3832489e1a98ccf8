/**
 * The identity record model: TLSA (RFC 6698 §2.1, RFC 7218) and SSHFP (RFC 4255 §3.1, RFC 6594,
 * RFC 7479, RFC 8709) as structured values, their canonical wire RDATA, their presentation form,
 * and the DANE policy idzone enforces at every edge (API, import, transfer in). Violations are
 * collected, never thrown one at a time, so a caller can report all of them at once.
 */
import { X509Certificate, createPublicKey } from 'node:crypto';
import { RrType } from './rr-types.js';

export interface TlsaRdata {
  usage: number;
  selector: number;
  matchingType: number;
  data: Buffer;
}

export interface SshfpRdata {
  algorithm: number;
  fpType: number;
  fingerprint: Buffer;
}

/** One problem found in input, located by a JSON pointer (RFC 6901) or a field path. */
export interface Violation {
  pointer: string;
  message: string;
}

export const TLSA_USAGES = [0, 1, 2, 3] as const;
export const TLSA_SELECTORS = [0, 1] as const;
export const TLSA_MATCHING = [0, 1, 2] as const;
/** SSHFP algorithm numbers: RSA, DSA, ECDSA, Ed25519, Ed448 (5 is unassigned). */
export const SSHFP_ALGORITHMS = [1, 2, 3, 4, 6] as const;
export const SSHFP_FP_LENGTHS: ReadonlyMap<number, number> = new Map([
  [1, 20],
  [2, 32],
]);
const TLSA_DIGEST_LENGTHS: ReadonlyMap<number, number> = new Map([
  [1, 32],
  [2, 64],
]);

function isIntIn(v: number, allowed: readonly number[]): boolean {
  return Number.isInteger(v) && allowed.includes(v);
}

/** DANE rules for one TLSA record (SPECS.md §2.1). */
export function validateTlsa(t: TlsaRdata, pointer = ''): Violation[] {
  const out: Violation[] = [];
  if (!isIntIn(t.usage, TLSA_USAGES)) out.push({ pointer: `${pointer}/usage`, message: `TLSA usage ${t.usage} is not one of 0, 1, 2, 3` });
  if (!isIntIn(t.selector, TLSA_SELECTORS)) out.push({ pointer: `${pointer}/selector`, message: `TLSA selector ${t.selector} is not 0 or 1` });
  if (!isIntIn(t.matchingType, TLSA_MATCHING)) out.push({ pointer: `${pointer}/matchingType`, message: `TLSA matching type ${t.matchingType} is not 0, 1 or 2` });
  const want = TLSA_DIGEST_LENGTHS.get(t.matchingType);
  if (want !== undefined && t.data.length !== want) {
    out.push({ pointer: `${pointer}/data`, message: `TLSA matching type ${t.matchingType} needs exactly ${want} bytes of digest, got ${t.data.length}` });
  }
  if (t.matchingType === 0) {
    if (t.data.length === 0) out.push({ pointer: `${pointer}/data`, message: 'TLSA matching type 0 needs the full DER data, got none' });
    else if (t.selector === 0 && !parsesAsCertificate(t.data)) out.push({ pointer: `${pointer}/data`, message: 'TLSA selector 0 with matching type 0 needs a DER X.509 certificate, and this does not parse as one' });
    else if (t.selector === 1 && !parsesAsSpki(t.data)) out.push({ pointer: `${pointer}/data`, message: 'TLSA selector 1 with matching type 0 needs a DER SubjectPublicKeyInfo, and this does not parse as one' });
  }
  return out;
}

/** Rules for one SSHFP record (SPECS.md §2.2). */
export function validateSshfp(s: SshfpRdata, pointer = ''): Violation[] {
  const out: Violation[] = [];
  if (!isIntIn(s.algorithm, SSHFP_ALGORITHMS)) out.push({ pointer: `${pointer}/algorithm`, message: `SSHFP algorithm ${s.algorithm} is not one of 1, 2, 3, 4, 6` });
  const want = SSHFP_FP_LENGTHS.get(s.fpType);
  if (want === undefined) out.push({ pointer: `${pointer}/type`, message: `SSHFP fingerprint type ${s.fpType} is not 1 (SHA-1) or 2 (SHA-256)` });
  else if (s.fingerprint.length !== want) out.push({ pointer: `${pointer}/fingerprint`, message: `SSHFP fingerprint type ${s.fpType} needs exactly ${want} bytes, got ${s.fingerprint.length}` });
  return out;
}

/**
 * True when `der` is exactly one DER element with nothing after it. OpenSSL's parsers stop at the
 * end of the first element and ignore trailing bytes, but a TLSA record of matching type 0 holds
 * the bytes themselves: junk after the certificate or key would make it match nothing.
 */
export function isSingleDerElement(der: Uint8Array): boolean {
  if (der.length < 2) return false;
  const first = der[1]!;
  if (first < 0x80) return 2 + first === der.length;
  const n = first & 0x7f;
  // Indefinite length (0x80) is BER, not DER; more than 4 length octets cannot fit a record.
  if (n === 0 || n > 4 || der.length < 2 + n) return false;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + der[2 + i]!;
  return 2 + n + len === der.length;
}

function parsesAsCertificate(der: Buffer): boolean {
  if (!isSingleDerElement(der)) return false;
  try {
    new X509Certificate(der);
    return true;
  } catch {
    return false;
  }
}

function parsesAsSpki(der: Buffer): boolean {
  if (!isSingleDerElement(der)) return false;
  try {
    createPublicKey({ key: der, format: 'der', type: 'spki' });
    return true;
  } catch {
    return false;
  }
}

export function encodeTlsa(t: TlsaRdata): Buffer {
  // One allocation (Buffer.concat of a 3-byte header and the data made two more per record).
  const out = Buffer.allocUnsafe(3 + t.data.length);
  out[0] = t.usage;
  out[1] = t.selector;
  out[2] = t.matchingType;
  out.set(t.data, 3);
  return out;
}

export function decodeTlsa(rdata: Uint8Array): TlsaRdata {
  if (rdata.length < 3) throw new RangeError('TLSA RDATA shorter than 3 octets');
  return { usage: rdata[0]!, selector: rdata[1]!, matchingType: rdata[2]!, data: Buffer.from(rdata.subarray(3)) };
}

export function encodeSshfp(s: SshfpRdata): Buffer {
  const out = Buffer.allocUnsafe(2 + s.fingerprint.length);
  out[0] = s.algorithm;
  out[1] = s.fpType;
  out.set(s.fingerprint, 2);
  return out;
}

export function decodeSshfp(rdata: Uint8Array): SshfpRdata {
  if (rdata.length < 2) throw new RangeError('SSHFP RDATA shorter than 2 octets');
  return { algorithm: rdata[0]!, fpType: rdata[1]!, fingerprint: Buffer.from(rdata.subarray(2)) };
}

/** Strict hex: even length, hex digits only; whitespace allowed between digits (RFC 6698 §2.2). */
export function parseHex(text: string): Buffer | undefined {
  const plain = parsePlainHex(text);
  if (plain !== undefined) return plain;
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) return undefined;
  return Buffer.from(clean, 'hex');
}

/** Value of each hex digit by character code, -1 for anything else. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/**
 * The common case of parseHex without a regular expression or an intermediate string: an even
 * number of hex digits and nothing else. Undefined for anything else (whitespace included), which
 * parseHex then judges the general way. (Buffer.from(text, 'hex') alone is no check: it stops at the
 * first bad pair and reads a character above U+00FF by its low byte.)
 */
function parsePlainHex(text: string): Buffer | undefined {
  const n = text.length;
  if (n % 2 !== 0) return undefined;
  const out = Buffer.allocUnsafe(n >> 1);
  for (let i = 0, o = 0; i < n; i += 2, o++) {
    const a = text.charCodeAt(i);
    const b = text.charCodeAt(i + 1);
    const hi = a < 128 ? HEX_VALUE[a]! : -1;
    const lo = b < 128 ? HEX_VALUE[b]! : -1;
    if (hi < 0 || lo < 0) return undefined;
    out[o] = (hi << 4) | lo;
  }
  return out;
}

/** Validates wire RDATA of a data type against the DANE rules; used at import and transfer in. */
export function validateIdentityRdata(type: number, rdata: Uint8Array, pointer = ''): Violation[] {
  if (type === RrType.TLSA) {
    if (rdata.length < 3) return [{ pointer, message: 'TLSA RDATA shorter than 3 octets' }];
    return validateTlsa(decodeTlsa(rdata), pointer);
  }
  if (type === RrType.SSHFP) {
    if (rdata.length < 2) return [{ pointer, message: 'SSHFP RDATA shorter than 2 octets' }];
    return validateSshfp(decodeSshfp(rdata), pointer);
  }
  return [{ pointer, message: `type ${type} is not an identity record type (only TLSA and SSHFP are stored)` }];
}

export function tlsaToText(rdata: Uint8Array): string {
  const t = decodeTlsa(rdata);
  return `${t.usage} ${t.selector} ${t.matchingType} ${t.data.toString('hex').toUpperCase()}`;
}

export function sshfpToText(rdata: Uint8Array): string {
  const s = decodeSshfp(rdata);
  return `${s.algorithm} ${s.fpType} ${s.fingerprint.toString('hex').toUpperCase()}`;
}
