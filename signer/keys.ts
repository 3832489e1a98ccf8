/**
 * DNSSEC keys with node:crypto: generation of ECDSA P-256 (algorithm 13, RFC 6605) and Ed25519
 * (algorithm 15, RFC 8080) key pairs; DNSKEY RDATA (RFC 4034 §2.1: flags, protocol 3, algorithm,
 * public key — P-256 as the 64-byte x‖y without the 0x04 prefix per RFC 6605 §4, Ed25519 as the
 * 32 raw bytes per RFC 8080 §3); the key tag (RFC 4034 App. B); DS RDATA (RFC 4034 §5.1, SHA-256
 * digest type 2 per RFC 4509) and its presentation line; CDS/CDNSKEY (RFC 7344 §3, same RDATA as
 * DS/DNSKEY) and the RFC 8078 §4 delete forms. Private keys stay KeyObjects; nothing here logs or
 * formats private key bytes.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignerError, SignerErrorCode } from './errors.js';
import { canonicalOwnerWire } from './canonical.js';

export const DnssecAlgorithm = { ECDSAP256SHA256: 13, ED25519: 15 } as const;
export type SigningAlgorithm = (typeof DnssecAlgorithm)[keyof typeof DnssecAlgorithm];

/** DNSKEY flags (RFC 4034 §2.1.1): Zone Key bit 0x0100, SEP bit 0x0001 for KSKs and CSKs. */
export const DnskeyFlags = { ZSK: 256, KSK: 257 } as const;
export const DNSKEY_PROTOCOL = 3;

/** DS digest types: SHA-1 (RFC 4034, verification of old vectors only), SHA-256 (RFC 4509), SHA-384 (RFC 6605). */
export const DigestType = { SHA1: 1, SHA256: 2, SHA384: 4 } as const;
export type DigestTypeValue = (typeof DigestType)[keyof typeof DigestType];

/** What the signing code needs of one key: its tag, algorithm, private half and DNSKEY RDATA. */
export interface SigningKey {
  keyTag: number;
  algorithm: number;
  privateKey: KeyObject;
  dnskeyRdata: Buffer;
}

/** RFC 8078 §4: `CDS 0 0 0 00` asks the parent to remove every DS. */
export const CDS_DELETE_RDATA: Buffer = Buffer.from([0, 0, 0, 0, 0]);
/** RFC 8078 §4: `CDNSKEY 0 3 0 AA==`. */
export const CDNSKEY_DELETE_RDATA: Buffer = Buffer.from([0, 0, DNSKEY_PROTOCOL, 0, 0]);

const PUBLIC_KEY_LENGTH: Readonly<Record<SigningAlgorithm, number>> = { 13: 64, 15: 32 };

export function isSigningAlgorithm(alg: number): alg is SigningAlgorithm {
  return alg === DnssecAlgorithm.ECDSAP256SHA256 || alg === DnssecAlgorithm.ED25519;
}

function requireAlgorithm(alg: number): SigningAlgorithm {
  if (!isSigningAlgorithm(alg)) throw new SignerError(SignerErrorCode.ALGORITHM, `DNSSEC algorithm ${alg} is not supported (13 or 15)`);
  return alg;
}

/** Generates a fresh key pair; returns the private KeyObject and the DNSKEY public key field. */
export function generateKeyPair(algorithm: number): { privateKey: KeyObject; publicKey: Buffer } {
  const alg = requireAlgorithm(algorithm);
  const pair =
    alg === DnssecAlgorithm.ECDSAP256SHA256
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : generateKeyPairSync('ed25519');
  return { privateKey: pair.privateKey, publicKey: publicKeyField(alg, pair.publicKey) };
}

/** The DNSKEY public key field of a key (either half), from its JWK export. */
export function publicKeyField(algorithm: number, key: KeyObject): Buffer {
  const alg = requireAlgorithm(algorithm);
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = pub.export({ format: 'jwk' });
  const expectedType = alg === DnssecAlgorithm.ECDSAP256SHA256 ? 'ec' : 'ed25519';
  if (pub.asymmetricKeyType !== expectedType || (alg === 13 && jwk.crv !== 'P-256')) {
    throw new SignerError(SignerErrorCode.ALGORITHM, `key is not of algorithm ${alg}`);
  }
  const x = Buffer.from(jwk.x ?? '', 'base64url');
  const out = alg === DnssecAlgorithm.ECDSAP256SHA256 ? Buffer.concat([x, Buffer.from(jwk.y ?? '', 'base64url')]) : x;
  if (out.length !== PUBLIC_KEY_LENGTH[alg]) throw new SignerError(SignerErrorCode.ALGORITHM, `unexpected public key length for algorithm ${alg}`);
  return out;
}

/**
 * Rebuilds a private key from its raw bytes (the P-256 scalar or the Ed25519 seed, as in the
 * RFC 6605/8080 examples and BIND's PrivateKey field), wrapping them in a minimal PKCS#8 DER.
 */
export function privateKeyFromRaw(algorithm: number, raw: Uint8Array): KeyObject {
  const alg = requireAlgorithm(algorithm);
  if (raw.length !== 32) throw new SignerError(SignerErrorCode.INPUT, 'raw private key must be 32 octets');
  // PKCS#8 prefixes: P-256 ECPrivateKey (RFC 5915) without the optional public key, and Ed25519
  // (RFC 8410 §7). OpenSSL derives the public point when loading.
  const prefix =
    alg === DnssecAlgorithm.ECDSAP256SHA256
      ? '3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420'
      : '302e020100300506032b657004220420';
  return createPrivateKey({ key: Buffer.concat([Buffer.from(prefix, 'hex'), raw]), format: 'der', type: 'pkcs8' });
}

/** DNSKEY RDATA (RFC 4034 §2.1): flags(2) | protocol(1) = 3 | algorithm(1) | public key. */
export function dnskeyRdata(flags: number, algorithm: number, publicKey: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + publicKey.length);
  out.writeUInt16BE(flags, 0);
  out[2] = DNSKEY_PROTOCOL;
  out[3] = algorithm;
  out.set(publicKey, 4);
  return out;
}

export interface DnskeyFields {
  flags: number;
  protocol: number;
  algorithm: number;
  publicKey: Buffer;
}

export function parseDnskeyRdata(rdata: Buffer): DnskeyFields | undefined {
  if (rdata.length < 4) return undefined;
  return { flags: rdata.readUInt16BE(0), protocol: rdata[2]!, algorithm: rdata[3]!, publicKey: rdata.subarray(4) };
}

/** RFC 4034 Appendix B key tag (algorithm 1 is not supported by idzone and not special-cased). */
export function keyTag(dnskey: Uint8Array): number {
  let ac = 0;
  for (let i = 0; i < dnskey.length; i++) ac += i & 1 ? dnskey[i]! : dnskey[i]! << 8;
  ac += (ac >>> 16) & 0xffff;
  return ac & 0xffff;
}

const DIGEST_HASH: Readonly<Record<DigestTypeValue, string>> = { 1: 'sha1', 2: 'sha256', 4: 'sha384' };

/** RFC 4034 §5.1.4: digest = H(canonical owner wire || DNSKEY RDATA). */
export function dsDigest(owner: string, dnskey: Uint8Array, digestType: DigestTypeValue): Buffer {
  const hash = DIGEST_HASH[digestType];
  if (hash === undefined) throw new SignerError(SignerErrorCode.INPUT, `DS digest type ${String(digestType)} is not supported`);
  return createHash(hash).update(canonicalOwnerWire(owner)).update(dnskey).digest();
}

/** DS RDATA (RFC 4034 §5.1): key tag(2) | algorithm(1) | digest type(1) | digest. SHA-256 by default. */
export function dsRdata(owner: string, dnskey: Buffer, digestType: 2 | 4 = DigestType.SHA256): Buffer {
  const fields = requireDnskey(dnskey);
  const head = Buffer.alloc(4);
  head.writeUInt16BE(keyTag(dnskey), 0);
  head[2] = fields.algorithm;
  head[3] = digestType;
  return Buffer.concat([head, dsDigest(owner, dnskey, digestType)]);
}

/** The line an operator pastes at the parent: `<zone> IN DS <tag> <alg> 2 <HEX>`. */
export function dsPresentation(zone: string, dnskey: Buffer): string {
  const ds = dsRdata(zone, dnskey);
  return `${zone} IN DS ${ds.readUInt16BE(0)} ${ds[2]!} ${ds[3]!} ${ds.subarray(4).toString('hex').toUpperCase()}`;
}

/** CDS RDATA (RFC 7344 §3.1): identical to the DS RDATA the parent should publish. */
export function cdsRdata(zone: string, dnskey: Buffer): Buffer {
  return dsRdata(zone, dnskey);
}

/** CDNSKEY RDATA (RFC 7344 §3.2): identical to the DNSKEY RDATA. */
export function cdnskeyRdata(dnskey: Buffer): Buffer {
  requireDnskey(dnskey);
  return Buffer.from(dnskey);
}

/** Bundles a private key with its DNSKEY RDATA, checking that they belong together. */
export function createSigningKey(privateKey: KeyObject, dnskey: Buffer): SigningKey {
  const fields = requireDnskey(dnskey);
  if (!publicKeyField(fields.algorithm, privateKey).equals(fields.publicKey)) {
    throw new SignerError(SignerErrorCode.KEY_MISMATCH, `private key does not match DNSKEY with tag ${keyTag(dnskey)}`);
  }
  return { keyTag: keyTag(dnskey), algorithm: fields.algorithm, privateKey, dnskeyRdata: dnskey };
}

function requireDnskey(dnskey: Buffer): DnskeyFields {
  const fields = parseDnskeyRdata(dnskey);
  if (fields === undefined || fields.protocol !== DNSKEY_PROTOCOL) throw new SignerError(SignerErrorCode.INPUT, 'malformed DNSKEY RDATA');
  return fields;
}
