/**
 * Private key files: PKCS#8 PEM, one file per key, under `<dataDir>/keys/<zone>/`, named like
 * BIND's `K<zone>+<alg>+<tag>.pem`. Files are created with mode 0600 (and chmod'ed again, since the
 * umask could have narrowed or the file pre-existed), directories with 0700. Loading returns a typed
 * result, never throws: a missing, unreadable or corrupt file is a fault the caller reports (the
 * zone then cannot be signed) while the server keeps serving. Error messages name the file, never
 * its contents.
 */
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { KeyRecord } from '../zone-store/types.js';
import { SignerError, SignerErrorCode, type SignerResult } from './errors.js';
import { createSigningKey, DnskeyFlags, dnskeyRdata, generateKeyPair, isSigningAlgorithm, keyTag, type SigningAlgorithm, type SigningKey } from './keys.js';

export type KeyLayout = 'ksk-zsk' | 'csk';

export interface ZoneKeyOptions {
  layout: KeyLayout;
  algorithm: SigningAlgorithm;
  /** Unix seconds for createdAt/changedAt (tests inject it). */
  now?: number;
}

export type NewKeyRecord = Omit<KeyRecord, 'id' | 'zoneId'>;

/** Bounded retries when a fresh key's tag collides with a key file already on disk. */
const MAX_TAG_ATTEMPTS = 16;

/**
 * Creates the key set of a new zone: a KSK (257) and a ZSK (256), or one CSK (257). Keys start
 * `active`: a new zone has no DS at the parent yet, so there is no chain to roll. Throws
 * SignerError(ERR_SIGNER_KEY_WRITE) when a file cannot be written.
 */
export function generateZoneKeys(dataDir: string, zoneName: string, opts: ZoneKeyOptions): NewKeyRecord[] {
  const roles: KeyRecord['role'][] = opts.layout === 'csk' ? ['csk'] : ['ksk', 'zsk'];
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const out: NewKeyRecord[] = [];
  for (const role of roles) out.push(generateKey(dataDir, zoneName, role, opts.algorithm, now, out.map((k) => k.keyTag)));
  return out;
}

/** Generates and stores one key (also used for rollovers); avoids tags in `avoidTags`. */
export function generateKey(
  dataDir: string,
  zoneName: string,
  role: KeyRecord['role'],
  algorithm: SigningAlgorithm,
  now: number,
  avoidTags: readonly number[] = [],
): NewKeyRecord {
  const flags = role === 'zsk' ? DnskeyFlags.ZSK : DnskeyFlags.KSK;
  for (let attempt = 0; attempt < MAX_TAG_ATTEMPTS; attempt++) {
    const { privateKey, publicKey } = generateKeyPair(algorithm);
    const tag = keyTag(dnskeyRdata(flags, algorithm, publicKey));
    if (avoidTags.includes(tag)) continue;
    const privateFile = keyFilePath(zoneName, algorithm, tag);
    if (!writePrivateKey(dataDir, privateFile, privateKey)) continue; // file exists: tag collision
    return { role, algorithm, flags, keyTag: tag, publicKey, privateFile, state: 'active', createdAt: now, changedAt: now };
  }
  throw new SignerError(SignerErrorCode.KEY_WRITE, `could not find a free key tag for ${zoneName} after ${MAX_TAG_ATTEMPTS} attempts`);
}

/** `keys/<zone>/K<zone>+<alg 3 digits>+<tag 5 digits>.pem`, relative to the data directory. */
export function keyFilePath(zoneName: string, algorithm: number, tag: number): string {
  const dir = zoneDirName(zoneName);
  return join('keys', dir, `K${dir}+${String(algorithm).padStart(3, '0')}+${String(tag).padStart(5, '0')}.pem`);
}

/**
 * A file-system-safe spelling of a zone name: no trailing dot, anything but [a-z0-9._-] (escapes,
 * `/`, `*`) as `%xx` per octet of the presentation text, the root as `_root`. Labels cannot be
 * empty, so `..` never appears.
 */
export function zoneDirName(zoneName: string): string {
  const bare = zoneName.endsWith('.') ? zoneName.slice(0, -1) : zoneName;
  if (bare === '') return '_root';
  let out = '';
  for (const ch of Buffer.from(bare, 'latin1')) {
    const c = String.fromCharCode(ch);
    out += /[a-z0-9._-]/.test(c) ? c : '%' + ch.toString(16).padStart(2, '0');
  }
  return out;
}

/**
 * Writes a PKCS#8 PEM with mode 0600 inside a 0700 directory. Returns false when the file already
 * exists (never overwrites a key); throws SignerError(ERR_SIGNER_KEY_WRITE) on other failures.
 */
export function writePrivateKey(dataDir: string, privateFile: string, key: KeyObject): boolean {
  const full = resolveInside(dataDir, privateFile);
  const pem = Buffer.from(key.export({ format: 'pem', type: 'pkcs8' }));
  let fd: number | undefined;
  try {
    makePrivateDir(resolve(dataDir, 'keys'));
    makePrivateDir(resolve(full, '..'));
    fd = openSync(full, 'wx', 0o600);
    chmodSync(full, 0o600);
    writeSync(fd, pem);
    fsyncSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new SignerError(SignerErrorCode.KEY_WRITE, `cannot write key file ${privateFile}: ${errnoOf(e)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
    pem.fill(0);
  }
}

/** Loads a PKCS#8 PEM private key. Never throws. */
export function loadPrivateKey(dataDir: string, privateFile: string): SignerResult<KeyObject> {
  let full: string;
  try {
    full = resolveInside(dataDir, privateFile);
  } catch (e) {
    return { ok: false, error: e as SignerError };
  }
  let pem: Buffer;
  try {
    pem = readFileSync(full);
  } catch (e) {
    const code = errnoOf(e);
    const which = code === 'ENOENT' ? SignerErrorCode.KEY_MISSING : SignerErrorCode.KEY_UNREADABLE;
    return { ok: false, error: new SignerError(which, `key file ${privateFile}: ${code}`) };
  }
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' });
    return { ok: true, value: key };
  } catch {
    // OpenSSL's message is dropped on purpose: it could quote part of the file.
    return { ok: false, error: new SignerError(SignerErrorCode.KEY_CORRUPT, `key file ${privateFile} is not a PEM private key`) };
  } finally {
    pem.fill(0);
  }
}

/** Loads a key record's private key and checks it against the recorded public key. Never throws. */
export function loadSigningKey(
  dataDir: string,
  record: Pick<KeyRecord, 'algorithm' | 'flags' | 'publicKey' | 'privateFile'>,
): SignerResult<SigningKey> {
  if (!isSigningAlgorithm(record.algorithm)) {
    return { ok: false, error: new SignerError(SignerErrorCode.ALGORITHM, `key file ${record.privateFile}: algorithm ${record.algorithm} is not supported`) };
  }
  const loaded = loadPrivateKey(dataDir, record.privateFile);
  if (!loaded.ok) return loaded;
  try {
    return { ok: true, value: createSigningKey(loaded.value, dnskeyRdata(record.flags, record.algorithm, record.publicKey)) };
  } catch {
    // Wrong algorithm or a different key pair: either way the file is not the recorded key.
    return { ok: false, error: new SignerError(SignerErrorCode.KEY_MISMATCH, `key file ${record.privateFile} does not match its DNSKEY`) };
  }
}

function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Resolves a data-dir-relative path, refusing anything that escapes the data directory. */
function resolveInside(dataDir: string, privateFile: string): string {
  const root = resolve(dataDir);
  const full = resolve(root, privateFile);
  const rel = relative(root, full);
  if (isAbsolute(privateFile) || rel === '' || rel.startsWith('..' + sep) || rel === '..' || isAbsolute(rel)) {
    throw new SignerError(SignerErrorCode.KEY_PATH, `key file path ${privateFile} is outside the data directory`);
  }
  return full;
}

function errnoOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'I/O error';
}

/**
 * Loads the signing keys of a zone from its key records: `active` keys only (published keys are
 * in the DNSKEY RRset but do not sign yet; retired ones no longer sign). A CSK is both a KSK and a
 * ZSK. Returns every load failure at once; never throws.
 */
export function loadZoneKeys(
  dataDir: string,
  records: readonly KeyRecord[],
): { ok: true; value: { zsks: SigningKey[]; ksks: SigningKey[] } } | { ok: false; errors: SignerError[] } {
  const zsks: SigningKey[] = [];
  const ksks: SigningKey[] = [];
  const errors: SignerError[] = [];
  for (const record of records) {
    if (record.state !== 'active') continue;
    const loaded = loadSigningKey(dataDir, record);
    if (!loaded.ok) {
      errors.push(loaded.error);
      continue;
    }
    if (record.role !== 'zsk') ksks.push(loaded.value);
    if (record.role !== 'ksk') zsks.push(loaded.value);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: { zsks, ksks } };
}
