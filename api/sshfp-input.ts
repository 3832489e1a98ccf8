/**
 * One SSHFP entry of an identity body turned into canonical RDATA (RFC 4255 §3.1). Two forms: explicit
 * `{algorithm, type, fingerprint}`, or `{sshKey: "ssh-ed25519 AAAA… comment"}` (an OpenSSH public key
 * line), from which the server takes the algorithm number (RFC 4255 §3.1.1, RFC 6594 §3.1, RFC 7479 §2,
 * RFC 8709 §4) and hashes the key blob of RFC 4253 §6.6 (type 2, SHA-256, by default; type 1, SHA-1, on
 * request). The blob is parsed field by field so a truncated or mislabelled key is refused, not hashed.
 */
import { createHash } from 'node:crypto';
import { encodeSshfp, parseHex, validateSshfp, type Violation } from '../core/identity-rdata.js';
import { isPlainObject, pointerToken, readInteger, readString, rejectUnknownKeys, type JsonObject } from './json-fields.js';

const SSHFP_KEYS: ReadonlySet<string> = new Set(['algorithm', 'type', 'fingerprint', 'sshKey']);

/** OpenSSH key type → SSHFP algorithm number and the shape of the rest of its blob. */
const KEY_TYPES: ReadonlyMap<string, { algorithm: number; fields: BlobField[] }> = new Map([
  ['ssh-rsa', { algorithm: 1, fields: ['mpint', 'mpint'] }],
  ['ssh-dss', { algorithm: 2, fields: ['mpint', 'mpint', 'mpint', 'mpint'] }],
  ['ecdsa-sha2-nistp256', { algorithm: 3, fields: [{ literal: 'nistp256' }, { bytes: 65 }] }],
  ['ecdsa-sha2-nistp384', { algorithm: 3, fields: [{ literal: 'nistp384' }, { bytes: 97 }] }],
  ['ecdsa-sha2-nistp521', { algorithm: 3, fields: [{ literal: 'nistp521' }, { bytes: 133 }] }],
  ['ssh-ed25519', { algorithm: 4, fields: [{ bytes: 32 }] }],
  ['ssh-ed448', { algorithm: 6, fields: [{ bytes: 57 }] }],
]);
type BlobField = 'mpint' | { literal: string } | { bytes: number };

/** Parses one SSHFP entry; returns its RDATA, or undefined after appending every violation to `out`. */
export function parseSshfpEntry(entry: unknown, pointer: string, out: Violation[]): Buffer | undefined {
  if (!isPlainObject(entry)) {
    out.push({ pointer, message: 'an SSHFP entry must be an object: {algorithm, type, fingerprint} or {sshKey}' });
    return undefined;
  }
  rejectUnknownKeys(entry, SSHFP_KEYS, pointer, out);
  const hasKey = entry.sshKey !== undefined;
  if (hasKey === (entry.fingerprint !== undefined)) {
    out.push({ pointer, message: `an SSHFP entry needs exactly one of fingerprint or sshKey, got ${hasKey ? 'both' : 'neither'}` });
    return undefined;
  }
  const rdata = hasKey ? fromSshKey(entry, pointer, out) : fromFields(entry, pointer, out);
  if (rdata === undefined) return undefined;
  const violations = validateSshfp(rdata, pointer);
  out.push(...violations);
  return violations.length === 0 ? encodeSshfp(rdata) : undefined;
}

type Sshfp = { algorithm: number; fpType: number; fingerprint: Buffer };

function fromFields(entry: JsonObject, pointer: string, out: Violation[]): Sshfp | undefined {
  for (const k of ['algorithm', 'type'] as const) {
    if (entry[k] === undefined) out.push({ pointer: `${pointer}/${k}`, message: `${k} is required with fingerprint` });
  }
  const algorithm = readInteger(entry, 'algorithm', pointer, out);
  const fpType = readInteger(entry, 'type', pointer, out);
  const text = readString(entry, 'fingerprint', pointer, out);
  if (text === undefined) return undefined;
  const fingerprint = parseHex(text);
  if (fingerprint === undefined) out.push({ pointer: `${pointer}/fingerprint`, message: 'fingerprint must be an even number of hexadecimal digits' });
  if (algorithm === undefined || fpType === undefined || fingerprint === undefined) return undefined;
  return { algorithm, fpType, fingerprint };
}

function fromSshKey(entry: JsonObject, pointer: string, out: Violation[]): Sshfp | undefined {
  const line = readString(entry, 'sshKey', pointer, out);
  const fpType = entry.type === undefined ? 2 : readInteger(entry, 'type', pointer, out);
  const given = readInteger(entry, 'algorithm', pointer, out);
  if (line === undefined || fpType === undefined) return undefined;
  const key = parseSshKeyLine(line);
  if (!key.ok) {
    out.push({ pointer: `${pointer}/sshKey`, message: key.message });
    return undefined;
  }
  if (given !== undefined && given !== key.algorithm) {
    out.push({ pointer: `${pointer}/${pointerToken('algorithm')}`, message: `algorithm ${given} does not match the key, which is ${key.keyType} (algorithm ${key.algorithm})` });
    return undefined;
  }
  const hash = fpType === 1 ? 'sha1' : 'sha256';
  // An unknown fpType still gets a digest so validateSshfp reports the type itself, once.
  return { algorithm: key.algorithm, fpType, fingerprint: createHash(hash).update(key.blob).digest() };
}

export type SshKeyParse = { ok: true; keyType: string; algorithm: number; blob: Buffer } | { ok: false; message: string };

/** Parses an OpenSSH public key line `type base64 [comment]` and checks its blob (RFC 4253 §6.6). */
export function parseSshKeyLine(line: string): SshKeyParse {
  // `cat ssh_host_*.pub` gives several lines: hashing the first and dropping the rest would publish
  // fewer keys than the caller meant to, silently. One key per entry, as a PEM chain is refused.
  if (line.trim().includes('\n')) return { ok: false, message: 'give one key per sshKey entry: this holds more than one line' };
  const parts = line.trim().split(/\s+/);
  const keyType = parts[0] ?? '';
  const spec = KEY_TYPES.get(keyType);
  if (spec === undefined) {
    const known = [...KEY_TYPES.keys()].join(', ');
    return { ok: false, message: `key type "${keyType.slice(0, 64)}" has no SSHFP algorithm (known: ${known}); give the key line alone, without options` };
  }
  const b64 = parts[1] ?? '';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return { ok: false, message: 'the key is not valid base64' };
  const blob = Buffer.from(b64, 'base64');
  const problem = checkBlob(blob, keyType, spec.fields);
  if (problem !== undefined) return { ok: false, message: problem };
  return { ok: true, keyType, algorithm: spec.algorithm, blob };
}

/** Walks the blob's SSH `string` fields (uint32 length + bytes); undefined when it matches the spec. */
function checkBlob(blob: Buffer, keyType: string, fields: readonly BlobField[]): string | undefined {
  let off = 0;
  const next = (): Buffer | undefined => {
    if (off + 4 > blob.length) return undefined;
    const len = blob.readUInt32BE(off);
    if (off + 4 + len > blob.length) return undefined;
    const field = blob.subarray(off + 4, off + 4 + len);
    off += 4 + len;
    return field;
  };
  const embedded = next();
  if (embedded === undefined) return 'the key blob is truncated';
  if (embedded.toString('latin1') !== keyType) return `the key blob says "${embedded.toString('latin1').slice(0, 64)}" but the line says "${keyType}"`;
  for (const f of fields) {
    const value = next();
    if (value === undefined) return 'the key blob is truncated';
    if (f === 'mpint') {
      if (value.length === 0) return 'the key blob has an empty integer';
    } else if ('literal' in f) {
      if (value.toString('latin1') !== f.literal) return `the key blob names curve "${value.toString('latin1').slice(0, 32)}", expected "${f.literal}"`;
    } else if (value.length !== f.bytes) {
      return `the ${keyType} public key must be ${f.bytes} bytes, got ${value.length}`;
    }
  }
  return off === blob.length ? undefined : 'the key blob has trailing bytes';
}
