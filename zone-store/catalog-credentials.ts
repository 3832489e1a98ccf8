/**
 * DNSSEC key records and API tokens in the catalog. Keys hold only the public half and the path of
 * the private key file; tokens hold only the SHA-256 of their secret, looked up by that hash.
 */
import type Database from 'better-sqlite3';
import type { KeyRecord, TokenRecord } from './types.js';

type KeyRow = [number, number, string, number, number, number, Buffer, string, string, number, number];
type TokenRow = [number, string, string, number, number, string, number];

const KEY_COLUMNS = 'id, zone_id, role, algorithm, flags, key_tag, public_key, private_file, state, created_at, changed_at';
const TOKEN_COLUMNS = 'id, hash, zones, write, admin, description, created_at';
/** Known tokens held in memory at most; past it the cache starts over (misses are never cached). */
const TOKEN_CACHE_MAX = 4096;

export class CatalogCredentials {
  private readonly stmts;
  /**
   * Token records by hash, as read by this connection. Every API request authenticates, and the
   * SQLite read behind it cost ~6 µs warm and ~25 µs cold per request (api/README.md). The cache is
   * valid while `PRAGMA data_version` (~2 µs) is unchanged, i.e. until another connection commits to
   * the catalog; this connection's own token writes clear it. So a token deleted by any process
   * stops working on the next request, as without the cache.
   */
  private readonly tokenCache = new Map<string, TokenRecord>();
  private tokenCacheVersion = -1;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      allKeys: db.prepare<[], KeyRow>(`SELECT ${KEY_COLUMNS} FROM keys ORDER BY id`).raw(),
      key: db.prepare<[number], KeyRow>(`SELECT ${KEY_COLUMNS} FROM keys WHERE id = ?`).raw(),
      insertKey: db.prepare<[number, string, number, number, number, Buffer, string, string, number, number]>(
        'INSERT INTO keys (zone_id, role, algorithm, flags, key_tag, public_key, private_file, state, created_at, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      updateKey: db.prepare<[string, number, number]>('UPDATE keys SET state = ?, changed_at = ? WHERE id = ?'),
      deleteKeysOf: db.prepare<[number]>('DELETE FROM keys WHERE zone_id = ?'),
      allTokens: db.prepare<[], TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY id`).raw(),
      tokenByHash: db.prepare<[string], TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE hash = ?`).raw(),
      tokenById: db.prepare<[number], TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`).raw(),
      insertToken: db.prepare<[string, string, number, number, string, number]>(
        'INSERT INTO tokens (hash, zones, write, admin, description, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      deleteToken: db.prepare<[number]>('DELETE FROM tokens WHERE id = ?'),
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    };
  }

  allKeys(): KeyRecord[] {
    return this.stmts.allKeys.all().map(rowToKey);
  }

  key(id: number): KeyRecord | undefined {
    const row = this.stmts.key.get(id);
    return row === undefined ? undefined : rowToKey(row);
  }

  insertKey(k: Omit<KeyRecord, 'id'>): KeyRecord {
    const r = this.stmts.insertKey.run(k.zoneId, k.role, k.algorithm, k.flags, k.keyTag, k.publicKey, k.privateFile, k.state, k.createdAt, k.changedAt);
    return { ...k, id: Number(r.lastInsertRowid) };
  }

  updateKey(id: number, state: KeyRecord['state'], changedAt: number): void {
    this.stmts.updateKey.run(state, changedAt, id);
  }

  deleteKeysOf(zoneId: number): void {
    this.stmts.deleteKeysOf.run(zoneId);
  }

  allTokens(): TokenRecord[] {
    return this.stmts.allTokens.all().map(rowToToken);
  }

  tokenByHash(hash: string): TokenRecord | undefined {
    const version = this.stmts.dataVersion.get();
    if (version !== this.tokenCacheVersion) {
      this.tokenCache.clear();
      this.tokenCacheVersion = version ?? -1;
    }
    const hit = this.tokenCache.get(hash);
    if (hit !== undefined) return { ...hit, zones: [...hit.zones] };
    const row = this.stmts.tokenByHash.get(hash);
    if (row === undefined) return undefined;
    const record = rowToToken(row);
    // Inside a transaction the row may still be rolled back, which data_version would not tell.
    if (this.db.inTransaction) return record;
    if (this.tokenCache.size >= TOKEN_CACHE_MAX) this.tokenCache.clear();
    this.tokenCache.set(hash, { ...record, zones: [...record.zones] });
    return record;
  }

  insertToken(t: Omit<TokenRecord, 'id' | 'createdAt'>, createdAt: number): TokenRecord {
    this.tokenCache.clear();
    const r = this.stmts.insertToken.run(t.hash, JSON.stringify(t.zones), t.write ? 1 : 0, t.admin ? 1 : 0, t.description, createdAt);
    return rowToToken(this.stmts.tokenById.get(Number(r.lastInsertRowid))!);
  }

  deleteToken(id: number): boolean {
    this.tokenCache.clear();
    return this.stmts.deleteToken.run(id).changes > 0;
  }
}

function rowToKey(r: KeyRow): KeyRecord {
  const [id, zoneId, role, algorithm, flags, keyTag, publicKey, privateFile, state, createdAt, changedAt] = r;
  return { id, zoneId, role: role as KeyRecord['role'], algorithm, flags, keyTag, publicKey, privateFile, state: state as KeyRecord['state'], createdAt, changedAt };
}

function rowToToken(r: TokenRow): TokenRecord {
  const [id, hash, zones, write, admin, description, createdAt] = r;
  return { id, hash, zones: JSON.parse(zones) as string[], write: write === 1, admin: admin === 1, description, createdAt };
}
