/**
 * Public surface of the zone store: the contract types, both implementations, their errors, and the
 * node codec and shard hash (for tools that inspect a data directory). Everything else in this folder
 * is internal.
 */
export type * from './types.js';
export { StoreError, StoreErrorCode, isStoreError } from './errors.js';
export { openSqliteStore, SqliteZoneStore, type SqliteStoreOptions, type FailPoint } from './sqlite-zone-store.js';
export { createMemoryStore, MemoryZoneStore, type MemoryStoreOptions } from './memory-zone-store.js';
export { defaultSettings } from './zone-settings.js';
export { DEFAULT_JOURNAL_LIMIT } from './store-common.js';
export { DEFAULT_SHARDS, CATALOG_FILE, shardFile } from './data-dir.js';
export { encodeNode, decodeNode, NODE_CODEC_VERSION } from './node-codec.js';
export { fnv1a32, shardOf } from './shard-hash.js';
