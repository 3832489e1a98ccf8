/**
 * The files of a data directory: `catalog.sqlite` and `shard-00.sqlite` … `shard-(N-1).sqlite`. N is
 * chosen when the directory is created (default 8) and recorded in the catalog; every later open
 * uses the recorded N, because the shard of a name depends on it. The catalog is created under a
 * temporary name and renamed into place once complete, so a crash during creation leaves no
 * half-made catalog behind, only shard files that the next creation reuses.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Catalog } from './catalog.js';
import { Shard } from './shard.js';
import { StoreError, StoreErrorCode } from './errors.js';
import { withPath, type OpenOptions } from './sqlite-open.js';

export const DEFAULT_SHARDS = 8;
export const MAX_SHARDS = 256;
export const CATALOG_FILE = 'catalog.sqlite';

export function shardFile(i: number): string {
  return `shard-${String(i).padStart(2, '0')}.sqlite`;
}

export interface DataDirHandles {
  catalog: Catalog;
  shards: Shard[];
  /** The database files: the catalog, then each shard. */
  dbPaths: string[];
}

/** `shardOpen` applies to the shard files only: the catalog is read rarely and briefly. */
export function openDataDir(dir: string, readonly: boolean, create: boolean, shards: number | undefined, shardOpen: OpenOptions = {}): DataDirHandles {
  const catalogPath = join(dir, CATALOG_FILE);
  if (!existsSync(catalogPath)) {
    if (readonly || !create) throw new StoreError(StoreErrorCode.NOT_FOUND, `no idzone data directory at ${dir} (missing ${CATALOG_FILE})`);
    const left = leftoverData(dir);
    if (left !== undefined) {
      throw new StoreError(StoreErrorCode.CORRUPT, `${catalogPath} is missing, but ${left} holds data: refusing to make a new data directory over it (restore the catalog from a backup, or move the directory aside to start afresh)`);
    }
    createDataDir(dir, shards ?? DEFAULT_SHARDS);
  }
  const catalog = opening(catalogPath, () => new Catalog(catalogPath, readonly));
  const handles: DataDirHandles = { catalog, shards: [], dbPaths: [catalogPath] };
  try {
    const n = catalog.shardCount();
    if (n === undefined) throw new StoreError(StoreErrorCode.CORRUPT, `${catalogPath} does not record a shard count`);
    for (let i = 0; i < n; i++) {
      handles.shards.push(openShard(dir, i, n, readonly, shardOpen));
      handles.dbPaths.push(join(dir, shardFile(i)));
    }
    checkMembership(catalog, catalogPath, handles.shards, readonly);
    return handles;
  } catch (e) {
    closeDataDir(handles);
    throw e;
  }
}

export function closeDataDir(h: DataDirHandles): void {
  for (const s of h.shards) s.close();
  h.catalog.close();
}

function openShard(dir: string, i: number, n: number, readonly: boolean, open: OpenOptions): Shard {
  const path = join(dir, shardFile(i));
  if (!existsSync(path)) throw new StoreError(StoreErrorCode.CORRUPT, `shard file ${path} is missing (the catalog records ${n} shards)`);
  // Every shard was written and closed before the catalog was renamed into place, so with a catalog
  // a shard is never empty. A file truncated to 0 bytes (a crash on some file systems) would
  // otherwise open as a fresh empty shard, and its names would be denied with valid proofs.
  if (statSync(path).size === 0 && !existsSync(`${path}-wal`)) {
    throw new StoreError(StoreErrorCode.CORRUPT, `shard file ${path} is empty (0 bytes), but the catalog records ${n} shards: restore it from a backup`);
  }
  return opening(path, () => new Shard(path, i, n, readonly, open));
}

/**
 * Every shard must belong to this catalog. A shard copied in from another data directory opened
 * as if it were this one's: its names were served, and re-signed with this directory's keys. The
 * catalog and each shard record one random identity; a writer gives one to a directory (and to
 * shards) that has none yet — directories made before it, and shards a cut-short creation left.
 */
function checkMembership(catalog: Catalog, catalogPath: string, shards: readonly Shard[], readonly: boolean): void {
  let id = catalog.dataDirId();
  if (id === undefined && !readonly) {
    id = randomBytes(16).toString('hex');
    catalog.setDataDirId(id);
  }
  if (id === undefined) return;
  for (const shard of shards) {
    const own = shard.dataDirId();
    if (own === id) continue;
    if (own !== undefined) {
      throw new StoreError(StoreErrorCode.CORRUPT, `${shard.file} belongs to another data directory (${own}, not ${id} as ${catalogPath} records): put this directory's own shard file back`);
    }
    if (!readonly) shard.setDataDirId(id);
  }
}

/** Runs `open`, naming `path` in what it throws ("file is not a database" names no file). */
function opening<T>(path: string, open: () => T): T {
  try {
    return open();
  } catch (e) {
    throw withPath(e, path);
  }
}

/**
 * What in `dir` shows that a data directory lived here, though its catalog is gone: a shard file
 * with rows, or zone keys. Making a new directory over them would take over the old shard rows with
 * new keys (the parent's DS no longer matches) and overwrite the admin token; a directory whose
 * creation was cut short (empty shards, no keys) is reused as before.
 */
function leftoverData(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const keys = join(dir, 'keys');
  if (existsSync(keys) && readdirSync(keys).length > 0) return keys;
  for (const name of readdirSync(dir)) {
    if (!/^shard-\d+\.sqlite$/.test(name)) continue;
    const path = join(dir, name);
    if (statSync(path).size === 0) continue;
    try {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      try {
        const hasNodes = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'nodes'").get() !== undefined;
        if (hasNodes && db.prepare('SELECT 1 FROM nodes LIMIT 1').get() !== undefined) return path;
      } finally {
        db.close();
      }
    } catch {
      return path;
    }
  }
  return undefined;
}

function createDataDir(dir: string, n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_SHARDS) throw new RangeError(`shard count must be an integer in 1..${MAX_SHARDS}, got ${n}`);
  mkdirSync(dir, { recursive: true });
  // Shard files a cut-short creation left (leftoverData found no rows in them) take the new identity.
  const id = randomBytes(16).toString('hex');
  for (let i = 0; i < n; i++) {
    const shard = new Shard(join(dir, shardFile(i)), i, n, false);
    shard.setDataDirId(id);
    shard.close();
  }
  const tmp = join(dir, `${CATALOG_FILE}.creating`);
  const catalog = new Catalog(tmp, false);
  catalog.setShardCount(n);
  catalog.setDataDirId(id);
  catalog.close();
  // Closing checkpoints the WAL into the file; if that failed (a full disk), what it held stays in
  // `…creating-wal`, and renaming the file without it gave a catalog every later start called
  // malformed. Leave no catalog instead: the next start creates it again.
  if ((statSync(`${tmp}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0) {
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
    throw new StoreError(StoreErrorCode.CORRUPT, `could not finish writing ${join(dir, CATALOG_FILE)} (its WAL could not be checkpointed: is the disk full?); nothing was created, and the next start tries again`);
  }
  renameSync(tmp, join(dir, CATALOG_FILE));
}
