/**
 * One TLSA entry of an identity body turned into canonical RDATA (RFC 6698 §2.1). Three forms:
 * explicit fields `{usage, selector, matchingType, data}`; `{certificate: PEM}`; `{publicKey: PEM SPKI}`.
 * For the last two the server computes what a DANE user would otherwise compute by hand: selector 0
 * takes the whole DER certificate, selector 1 its SubjectPublicKeyInfo, and matching type 0/1/2 gives
 * the raw bytes, SHA2-256 or SHA2-512 (RFC 6698 §2.1.2–§2.1.3). Defaults are `3 1 1` (DANE-EE SPKI
 * SHA2-256, the form DANCE recommends). The DANE rules of core/identity-rdata.ts then apply to all.
 */
import { X509Certificate, createHash, createPublicKey } from 'node:crypto';
import { encodeTlsa, isSingleDerElement, parseHex, validateTlsa, type Violation } from '../core/identity-rdata.js';
import { spkiFromCertificate } from './der-spki.js';
import { isPlainObject, pointerToken, readInteger, readString, rejectUnknownKeys, type JsonObject } from './json-fields.js';

const TLSA_KEYS: ReadonlySet<string> = new Set(['usage', 'selector', 'matchingType', 'data', 'certificate', 'publicKey']);
const SOURCES = ['data', 'certificate', 'publicKey'] as const;

/** Parses one TLSA entry; returns its RDATA, or undefined after appending every violation to `out`. */
export function parseTlsaEntry(entry: unknown, pointer: string, out: Violation[]): Buffer | undefined {
  if (!isPlainObject(entry)) {
    out.push({ pointer, message: 'a TLSA entry must be an object: {usage, selector, matchingType, data} or {certificate} or {publicKey}' });
    return undefined;
  }
  rejectUnknownKeys(entry, TLSA_KEYS, pointer, out);
  const present = SOURCES.filter((k) => entry[k] !== undefined);
  if (present.length !== 1) {
    out.push({ pointer, message: `a TLSA entry needs exactly one of data, certificate or publicKey, got ${present.length === 0 ? 'none' : present.join(' and ')}` });
    return undefined;
  }
  const explicit = present[0] === 'data';
  const usage = readField(entry, 'usage', explicit ? undefined : 3, pointer, out);
  const selector = readField(entry, 'selector', explicit ? undefined : 1, pointer, out);
  const matchingType = readField(entry, 'matchingType', explicit ? undefined : 1, pointer, out);
  // Explicit data is judged even when a field is missing, so every violation is listed at once.
  const data = explicit || (selector !== undefined && matchingType !== undefined) ? associationData(entry, present[0]!, selector ?? 1, matchingType ?? 1, pointer, out) : undefined;
  if (usage === undefined || selector === undefined || matchingType === undefined || data === undefined) {
    // The field ranges that can be judged without the data are still reported.
    const read = new Set([usage === undefined ? '' : `${pointer}/usage`, selector === undefined ? '' : `${pointer}/selector`, matchingType === undefined ? '' : `${pointer}/matchingType`]);
    out.push(...validateTlsa({ usage: usage ?? 0, selector: selector ?? 0, matchingType: matchingType ?? 0, data: Buffer.alloc(0) }, pointer).filter((v) => read.has(v.pointer)));
    return undefined;
  }
  const rdata = { usage, selector, matchingType, data };
  const violations = validateTlsa(rdata, pointer);
  out.push(...violations);
  return violations.length === 0 ? encodeTlsa(rdata) : undefined;
}

function readField(entry: JsonObject, key: string, fallback: number | undefined, pointer: string, out: Violation[]): number | undefined {
  if (entry[key] === undefined) {
    if (fallback === undefined) out.push({ pointer: `${pointer}/${pointerToken(key)}`, message: `${key} is required with data` });
    return fallback;
  }
  return readInteger(entry, key, pointer, out);
}

function associationData(entry: JsonObject, source: (typeof SOURCES)[number], selector: number, matchingType: number, pointer: string, out: Violation[]): Buffer | undefined {
  const text = readString(entry, source, pointer, out);
  if (text === undefined) return undefined;
  const at = `${pointer}/${source}`;
  if (source === 'data') {
    const bytes = parseHex(text);
    if (bytes === undefined) out.push({ pointer: at, message: 'data must be an even number of hexadecimal digits' });
    return bytes;
  }
  const selected = source === 'certificate' ? selectFromCertificate(text, selector, at, out) : selectFromPublicKey(text, selector, at, out);
  if (selected === undefined) return undefined;
  return matchBytes(selected, matchingType);
}

function matchBytes(selected: Buffer, matchingType: number): Buffer {
  if (matchingType === 1) return createHash('sha256').update(selected).digest();
  if (matchingType === 2) return createHash('sha512').update(selected).digest();
  // Matching type 0 (and out-of-range values, which validateTlsa then reports) keep the raw bytes.
  return selected;
}

function selectFromCertificate(pem: string, selector: number, at: string, out: Violation[]): Buffer | undefined {
  const der = singlePemBlock(pem, 'CERTIFICATE', at, out);
  if (der === undefined) return undefined;
  try {
    new X509Certificate(der);
  } catch (e) {
    out.push({ pointer: at, message: `the certificate does not parse as X.509: ${(e as Error).message}` });
    return undefined;
  }
  if (!isSingleDerElement(der)) {
    out.push({ pointer: at, message: 'the certificate has bytes after its DER encoding' });
    return undefined;
  }
  if (selector === 0) return der;
  const spki = spkiFromCertificate(der);
  if (spki === undefined) out.push({ pointer: at, message: 'the certificate has no SubjectPublicKeyInfo that can be read' });
  return spki;
}

function selectFromPublicKey(pem: string, selector: number, at: string, out: Violation[]): Buffer | undefined {
  if (selector !== 1) {
    out.push({ pointer: at.replace(/\/publicKey$/, '/selector'), message: 'a public key gives only selector 1 (SPKI); selector 0 needs the certificate' });
    return undefined;
  }
  const der = singlePemBlock(pem, 'PUBLIC KEY', at, out);
  if (der === undefined) return undefined;
  try {
    createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch (e) {
    out.push({ pointer: at, message: `the public key does not parse as a DER SubjectPublicKeyInfo: ${(e as Error).message}` });
    return undefined;
  }
  if (!isSingleDerElement(der)) {
    out.push({ pointer: at, message: 'the public key has bytes after its DER encoding' });
    return undefined;
  }
  return der;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \1-----/g;

/** The DER of the one PEM block (RFC 7468) labelled `label`; refuses private keys without echoing them. */
function singlePemBlock(text: string, label: string, at: string, out: Violation[]): Buffer | undefined {
  if (/PRIVATE KEY-----/.test(text)) {
    out.push({ pointer: at, message: 'this is a private key: send only the public half (it has not been stored or logged)' });
    return undefined;
  }
  const blocks = [...text.matchAll(PEM_BLOCK)];
  const wanted = blocks.filter((m) => m[1] === label);
  if (blocks.length !== 1 || wanted.length !== 1) {
    const got = blocks.length === 0 ? 'no PEM block' : blocks.map((m) => m[1]).join(', ');
    out.push({ pointer: at, message: `expected exactly one PEM "${label}" block, got ${got}` });
    return undefined;
  }
  const body = wanted[0]![2]!.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) {
    out.push({ pointer: at, message: `the PEM "${label}" block is not valid base64` });
    return undefined;
  }
  return Buffer.from(body, 'base64');
}
