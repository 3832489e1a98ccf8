/**
 * The files of a data directory: `catalog.sqlite` and `shard-00.sqlite` … `shard-(N-1).sqlite`. N is
 * chosen when the directory is created (default 8) and recorded in the catalog; every later open
 * uses the recorded N, because the shard of a name depends on it. The catalog is created under a
 * temporary name and renamed into place once complete, so a crash during creation leaves no
 * half-made catalog behind, only shard files that the next creation reuses.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { Catalog } from './catalog.js';
import { Shard } from './shard.js';
import { StoreError, StoreErrorCode } from './errors.js';
import type { OpenOptions } from './sqlite-open.js';

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
    createDataDir(dir, shards ?? DEFAULT_SHARDS);
  }
  const catalog = new Catalog(catalogPath, readonly);
  const handles: DataDirHandles = { catalog, shards: [], dbPaths: [catalogPath] };
  try {
    const n = catalog.shardCount();
    if (n === undefined) throw new StoreError(StoreErrorCode.CORRUPT, `${catalogPath} does not record a shard count`);
    for (let i = 0; i < n; i++) {
      handles.shards.push(openShard(dir, i, n, readonly, shardOpen));
      handles.dbPaths.push(join(dir, shardFile(i)));
    }
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
  return new Shard(path, i, n, readonly, open);
}

function createDataDir(dir: string, n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_SHARDS) throw new RangeError(`shard count must be an integer in 1..${MAX_SHARDS}, got ${n}`);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) new Shard(join(dir, shardFile(i)), i, n, false).close();
  const tmp = join(dir, `${CATALOG_FILE}.creating`);
  const catalog = new Catalog(tmp, false);
  catalog.setShardCount(n);
  catalog.close();
  renameSync(tmp, join(dir, CATALOG_FILE));
}
