/**
 * RRSIG construction (RFC 4034 §3.1) and signing with node:crypto. RDATA layout:
 * `type covered(2) | algorithm(1) | labels(1) | original TTL(4) | expiration(4) | inception(4) |
 * key tag(2) | signer's name (uncompressed, lowercase, §3.1.7) | signature`. The signature covers
 * that RDATA minus the signature followed by the RRset in canonical form (§3.1.8.1, canonical.ts).
 * ECDSA P-256 signatures are the 64-byte r‖s of RFC 6605 §4 (`dsaEncoding: 'ieee-p1363'`, not DER);
 * Ed25519 signatures are the 64 raw bytes of RFC 8080 §4. A node:crypto verifier is included for
 * self-checks; tests verify with an independent implementation (test/helpers/noble-verify.ts).
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { nameFromWireLabels, rrsigLabelCount } from '../core/names.js';
import { canonicalOwnerWire, canonicalRrsetWire, signingInput } from './canonical.js';
import { SignerError, SignerErrorCode } from './errors.js';
import { DnssecAlgorithm, keyTag, parseDnskeyRdata, type SigningKey } from './keys.js';
import { compareSigTime, isDueForRefresh, type SignatureWindow } from './validity.js';

/** An RRset to sign: owner (the unexpanded wildcard name for wildcards), type, original TTL, RDATA. */
export interface RrsetToSign {
  owner: string;
  type: number;
  ttl: number;
  rdatas: readonly Buffer[];
}

export interface RrsigFields {
  typeCovered: number;
  algorithm: number;
  labels: number;
  originalTtl: number;
  expiration: number;
  inception: number;
  keyTag: number;
  signerName: string;
}

/** The RRSIG RDATA up to (not including) the signature field. */
export function rrsigPrefix(f: RrsigFields, signerWire?: Buffer): Buffer {
  const signer = signerWire ?? canonicalOwnerWire(f.signerName);
  const out = Buffer.allocUnsafe(18 + signer.length);
  out.writeUInt16BE(f.typeCovered, 0);
  out[2] = f.algorithm;
  out[3] = f.labels;
  out.writeUInt32BE(f.originalTtl >>> 0, 4);
  out.writeUInt32BE(f.expiration >>> 0, 8);
  out.writeUInt32BE(f.inception >>> 0, 12);
  out.writeUInt16BE(f.keyTag, 16);
  signer.copy(out, 18);
  return out;
}

/** Signs an RRset with one key; returns the complete RRSIG RDATA. */
export function signRrset(rrset: RrsetToSign, key: SigningKey, window: SignatureWindow, signerName: string): Buffer {
  const wire = canonicalRrsetWire(rrset.owner, rrset.type, rrset.ttl, rrset.rdatas);
  return signCanonicalRrset(rrset, wire, key, window, signerName);
}

/**
 * Like signRrset, with the canonical RR wire already built (the signature cache builds it once for
 * its key and for signing). `rrsetWire` must be canonicalRrsetWire(owner, type, ttl, rdatas);
 * `signerWire`, when given, canonicalOwnerWire(signerName) (a zone signer keeps its apex's).
 */
export function signCanonicalRrset(rrset: Omit<RrsetToSign, 'rdatas'>, rrsetWire: Buffer, key: SigningKey, window: SignatureWindow, signerName: string, signerWire?: Buffer): Buffer {
  const prefix = rrsigPrefixFor(rrset, key, window, signerName, signerWire);
  return Buffer.concat([prefix, signBytes(key.algorithm, key.privateKey, signingInput(prefix, rrsetWire))]);
}

/** The RRSIG RDATA before the signature, for an RRset signed with `key` over `window`. */
export function rrsigPrefixFor(rrset: Omit<RrsetToSign, 'rdatas'>, key: SigningKey, window: SignatureWindow, signerName: string, signerWire?: Buffer): Buffer {
  return rrsigPrefix(
    {
    typeCovered: rrset.type,
    algorithm: key.algorithm,
    labels: rrsigLabelCount(rrset.owner),
    originalTtl: rrset.ttl,
    expiration: window.expiration,
    inception: window.inception,
      keyTag: key.keyTag,
      signerName,
    },
    signerWire,
  );
}

/** Raw DNSSEC signature over `data` for algorithm 13 or 15. */
export function signBytes(algorithm: number, privateKey: KeyObject, data: Buffer): Buffer {
  switch (algorithm) {
    case DnssecAlgorithm.ECDSAP256SHA256:
      return sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    case DnssecAlgorithm.ED25519:
      return sign(null, data, privateKey);
    default:
      throw new SignerError(SignerErrorCode.ALGORITHM, `DNSSEC algorithm ${algorithm} is not supported`);
  }
}

/** Parsed RRSIG RDATA: the fields, the signature, and the signed prefix as it is on the wire. */
export interface ParsedRrsig extends RrsigFields {
  signature: Buffer;
  prefixLength: number;
}

/** Parses RRSIG RDATA with an uncompressed signer name; undefined when malformed. */
export function parseRrsig(rdata: Buffer): ParsedRrsig | undefined {
  if (rdata.length < 19) return undefined;
  const labels: Uint8Array[] = [];
  let o = 18;
  let terminated = false;
  // At most 127 labels fit in 255 octets; the bound also ends the loop on garbage.
  while (!terminated && labels.length < 128) {
    const len = rdata[o];
    if (len === undefined || len > 63) return undefined;
    o += 1;
    if (len === 0) terminated = true;
    else {
      if (o + len > rdata.length) return undefined;
      labels.push(rdata.subarray(o, o + len));
      o += len;
    }
  }
  if (!terminated || o - 18 > 255) return undefined;
  return {
    typeCovered: rdata.readUInt16BE(0),
    algorithm: rdata[2]!,
    labels: rdata[3]!,
    originalTtl: rdata.readUInt32BE(4),
    expiration: rdata.readUInt32BE(8),
    inception: rdata.readUInt32BE(12),
    keyTag: rdata.readUInt16BE(16),
    signerName: nameFromWireLabels(labels),
    signature: rdata.subarray(o),
    prefixLength: o,
  };
}

/** The validity window of RRSIG RDATA (bytes 8–15), without parsing the rest. */
export function rrsigWindow(rdata: Buffer): SignatureWindow | undefined {
  if (rdata.length < 16) return undefined;
  return { expiration: rdata.readUInt32BE(8), inception: rdata.readUInt32BE(12) };
}

/**
 * Whether stored RRSIGs can stay as they are: exactly one per key of `keyTags`, none expired at
 * `now`, none due for refresh (validity.ts: less than `refreshFraction` of its validity left; 0
 * accepts them until they expire, as the query path does), and, when `originalTtl` is given, every
 * one made for that TTL. The query path uses it to serve stored signatures, the re-signer to find
 * what to re-sign, the writer to keep the signatures of what a write did not change. No
 * allocation unless a refresh check is asked for: it runs on every signed answer.
 */
export function storedSigsFresh(sigs: readonly Buffer[], keyTags: ReadonlySet<number>, now: number, originalTtl?: number, refreshFraction?: number): boolean {
  if (sigs.length !== keyTags.size) return false;
  const t = now >>> 0;
  for (let i = 0; i < sigs.length; i++) {
    const sig = sigs[i]!;
    if (sig.length < 18) return false;
    const tag = sig.readUInt16BE(16);
    if (!keyTags.has(tag)) return false;
    for (let j = 0; j < i; j++) if (sigs[j]!.readUInt16BE(16) === tag) return false;
    if (originalTtl !== undefined && sig.readUInt32BE(4) !== originalTtl >>> 0) return false;
    const expiration = sig.readUInt32BE(8);
    if (compareSigTime(expiration, t) <= 0) return false;
    // Not valid yet (made while the clock ran ahead, then stepped back): never served as fresh.
    if (compareSigTime(sig.readUInt32BE(12), t) > 0) return false;
    if (refreshFraction !== 0 && isDueForRefresh({ expiration, inception: sig.readUInt32BE(12) }, now, refreshFraction)) return false;
  }
  return true;
}

/**
 * Verifies RRSIG RDATA over an RRset with node:crypto (time window not checked). Used for
 * self-checks and RFC vectors; the owner must be the name the RRset was signed under.
 */
export function verifyRrsig(rrsig: Buffer, rrset: RrsetToSign, dnskey: Buffer): boolean {
  const parsed = parseRrsig(rrsig);
  const fields = parseDnskeyRdata(dnskey);
  if (parsed === undefined || fields === undefined) return false;
  if (parsed.typeCovered !== rrset.type || parsed.algorithm !== fields.algorithm || parsed.keyTag !== keyTag(dnskey)) return false;
  const data = signingInput(rrsig.subarray(0, parsed.prefixLength), canonicalRrsetWire(rrset.owner, rrset.type, parsed.originalTtl, rrset.rdatas));
  try {
    const pub = publicKeyObject(fields.algorithm, fields.publicKey);
    if (fields.algorithm === DnssecAlgorithm.ECDSAP256SHA256) {
      return verify('sha256', data, { key: pub, dsaEncoding: 'ieee-p1363' }, parsed.signature);
    }
    return verify(null, data, pub, parsed.signature);
  } catch {
    return false;
  }
}

function publicKeyObject(algorithm: number, publicKey: Buffer): KeyObject {
  if (algorithm === DnssecAlgorithm.ECDSAP256SHA256 && publicKey.length === 64) {
    const jwk = { kty: 'EC', crv: 'P-256', x: publicKey.subarray(0, 32).toString('base64url'), y: publicKey.subarray(32).toString('base64url') };
    return createPublicKey({ key: jwk, format: 'jwk' });
  }
  if (algorithm === DnssecAlgorithm.ED25519 && publicKey.length === 32) {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') }, format: 'jwk' });
  }
  throw new SignerError(SignerErrorCode.ALGORITHM, `cannot use a public key of algorithm ${algorithm}`);
}
