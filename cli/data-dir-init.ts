/**
 * A new data directory: created 0700 with its catalog and shards, the signed demo identity zone,
 * and an admin API token written to `<data-dir>/admin.token` (mode 0600) — the only place the
 * token secret ever appears; the catalog keeps its SHA-256.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { createToken } from '../api/tokens.js';
import { KeyService } from '../server/dnssec/key-service.js';
import type { LogFn } from '../server/log.js';
import { CATALOG_FILE } from '../zone-store/data-dir.js';
import type { ZoneWriter } from '../zone-store/types.js';
import { DEMO_ZONE, demoChanges } from './demo-zone.js';

export const ADMIN_TOKEN_FILE = 'admin.token';

export function isInitialised(dataDir: string): boolean {
  return existsSync(join(dataDir, CATALOG_FILE));
}

/**
 * Secrets in `dataDir` that other users may read: private key files and their directories, the
 * admin token, the cookie secret. idzone makes them 0600/0700; a restore, a copy or a hand edit can
 * widen them, and a server that says nothing would go on with its keys readable by anyone on the
 * machine. At most `limit` paths, each with its mode.
 */
export function looseSecrets(dataDir: string, limit = 20): string[] {
  const out: string[] = [];
  const check = (path: string, dir: boolean): void => {
    if (out.length >= limit) return;
    let mode: number;
    try {
      mode = statSync(path).mode;
    } catch {
      return;
    }
    if ((mode & 0o077) !== 0) out.push(`${path} (mode 0${(mode & 0o777).toString(8)}, expected 0${dir ? '700' : '600'})`);
  };
  for (const f of [ADMIN_TOKEN_FILE, 'cookie.secret']) check(join(dataDir, f), false);
  const keys = join(dataDir, 'keys');
  if (!existsSync(keys)) return out;
  check(keys, true);
  for (const zone of readdirSync(keys, { withFileTypes: true })) {
    if (!zone.isDirectory()) continue;
    const dir = join(keys, zone.name);
    check(dir, true);
    for (const f of readdirSync(dir)) if (f.endsWith('.pem')) check(join(dir, f), false);
  }
  return out;
}

export function prepareDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}

/** Fills a freshly created store: the demo zone (signed) and an admin token. */
export function seedDataDir(dataDir: string, store: ZoneWriter, log: LogFn): { tokenFile: string } {
  const keys = new KeyService({ dataDir, store, log, clock: () => Math.floor(Date.now() / 1000) });
  store.setSigner(keys.registry);
  const zone = keys.createZoneKeys(store.createZone(DEMO_ZONE));
  store.applyChanges(zone.name, demoChanges());
  store.setSigner(undefined);
  return { tokenFile: writeAdminToken(dataDir, store, 'admin token created with the data directory') };
}

function writeAdminToken(dataDir: string, store: ZoneWriter, description: string): string {
  const { token } = createToken(store, { zones: ['*'], write: true, admin: true, description });
  const tokenFile = join(dataDir, ADMIN_TOKEN_FILE);
  writeSecretFile(tokenFile, token + '\n');
  return tokenFile;
}

/**
 * The start-up line about `<data-dir>/admin.token` for a data directory that already existed. One
 * made by `idzone zone create` or `idzone import` has no admin token yet: serve makes it one, as
 * for a new directory, so the API and the `idzone key` commands work. When the file is gone but
 * admin tokens exist (only their hashes are stored), none is made behind the operator's back.
 */
export function ensureAdminToken(dataDir: string, store: ZoneWriter, log: LogFn): string {
  const tokenFile = join(dataDir, ADMIN_TOKEN_FILE);
  if (existsSync(tokenFile)) {
    if (readFileSync(tokenFile, 'utf8').trim() !== '') return `admin token: ${tokenFile}`;
    log('warn', 'admin.token is empty (a write cut short?); it is not an admin token', { tokenFile });
    rmSync(tokenFile, { force: true });
  }
  if (store.listTokens().some((t) => t.admin)) {
    return `admin token: none in ${tokenFile} (admin tokens exist, stored hashed; a new one: idzone token create --data-dir ${dataDir} --zone '*' --write --admin)`;
  }
  writeAdminToken(dataDir, store, 'admin token created by idzone serve (the data directory had none)');
  log('info', 'the data directory had no admin token; created one', { tokenFile });
  return `admin token: ${tokenFile} (new; mode 0600)`;
}

/**
 * Writes a 0600 file whole or not at all: into a temporary file, synced, then renamed over `path`.
 * Written in place, a full disk left an empty admin.token that the next start presented as the
 * admin token (every request with it then got 401).
 */
export function writeSecretFile(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
