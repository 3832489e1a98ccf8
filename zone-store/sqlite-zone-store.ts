/**
 * SqliteZoneStore: the zone-store contract on a catalog database plus N shard databases (see
 * data-dir.ts). Reads are one indexed point read in the shard that the owner hashes to. A change is
 * planned from the current state (change-planner.ts), committed to the catalog in one transaction
 * (journal entry, serial bump, name count, and the redo log of per-shard row operations), then
 * applied to each shard in one transaction per shard that also records the batch as applied. A
 * writer that opens, or that failed between those steps, first replays whatever the shards lack,
 * so a crash never leaves a half-applied change behind; only pending operations are touched, so
 * start-up time does not grow with zone size. Worker processes open the same files read-only.
 */
import { nextSerial } from '../core/rrset.js';
import type {
  ChangeResult, JournalEntry, KeyRecord, NameChange, NodeSigner, StoreEvent, StoredNode, TokenRecord, ZoneInfo, ZoneSettings, ZoneWriter, ApplyOptions, ScanCursor, ResignPassRecord } from './types.js';
import { StoreError, StoreErrorCode } from './errors.js';
import { EventHub } from './event-hub.js';
import { ZoneIndex } from './zone-index.js';
import { defaultSettings, mergeSettings, nsJournal } from './zone-settings.js';
import { normaliseChanges } from './normalise-changes.js';
import { isNoOp, planChanges, type ChangePlan, type NodeWrite } from './change-planner.js';
import { DEFAULT_JOURNAL_LIMIT, checkNotNested, checkZoneName, requireZone, restoreSigs, unixNow } from './store-common.js';
import { encodeNode, decodeNode } from './node-codec.js';
import { startWalFlusher, type WalFlusher } from './wal-flusher.js';
import { shardOf } from './shard-hash.js';
import { closeDataDir, openDataDir, type DataDirHandles } from './data-dir.js';
import type { Catalog } from './catalog.js';
import type { Shard, ShardOp } from './shard.js';
import type { OpenOptions } from './sqlite-open.js';
import { mergeListings } from './merge-listings.js';

/** Points where tests inject a crash: after the catalog commit, and after each shard commit. */
export type FailPoint = { at: 'catalog-committed'; batch: number } | { at: 'shard-committed'; batch: number; shard: number };

export interface SqliteStoreOptions {
  /** Worker processes: open every file read-only and never write. */
  readonly?: boolean;
  /** Shard count for a new data directory (default 8); ignored when reopening. */
  shards?: number;
  /** Create the data directory when missing (default: true for the writer, false read-only). */
  create?: boolean;
  /** Clock in unix seconds (tests freeze it). */
  now?: () => number;
  /** Journal rows kept per zone (default 100,000). */
  journalLimit?: number;
  /** Test hook called at each FailPoint; throwing from it simulates a crash there. */
  failpoint?: (point: FailPoint) => void;
  /** Bytes of each shard file read through a memory map (sqlite-open.ts: OpenOptions); default 0. */
  mmapBytes?: number;
  /** WAL size at which a shard writer forces the WAL to start over (sqlite-open.ts: OpenOptions). */
  walRestartBytes?: number;
  /**
   * Writer only: fsync every WAL file this often, off the event loop (wal-flusher.ts), so the
   * commit that checkpoints does not write the whole WAL out itself. Default: off.
   */
  walFlushMs?: number;
  /** Told of a WAL file the flusher cannot sync (once per file). */
  onWalFlushError?: (path: string, err: Error) => void;
}

export function openSqliteStore(dataDir: string, opts: SqliteStoreOptions = {}): SqliteZoneStore {
  const readonly = opts.readonly ?? false;
  const handles = openDataDir(dataDir, readonly, opts.create ?? !readonly, opts.shards, openOptions(opts));
  try {
    return new SqliteZoneStore(handles, opts);
  } catch (e) {
    closeDataDir(handles);
    throw e;
  }
}

function openOptions(opts: SqliteStoreOptions): OpenOptions {
  const o: OpenOptions = {};
  if (opts.mmapBytes !== undefined) o.mmapBytes = opts.mmapBytes;
  if (opts.walRestartBytes !== undefined) o.walRestartBytes = opts.walRestartBytes;
  return o;
}

export class SqliteZoneStore implements ZoneWriter {
  readonly readonly: boolean;
  private readonly catalog: Catalog;
  private readonly shards: Shard[];
  private readonly zones = new ZoneIndex();
  private keys: KeyRecord[] = [];
  private readonly events = new EventHub();
  private readonly now: () => number;
  private readonly journalLimit: number;
  private readonly failpoint: ((p: FailPoint) => void) | undefined;
  private signer: NodeSigner | undefined;
  private lastBatch: number;
  /** Highest batch applied to every shard but still in the redo log (cleared lazily, see applyShards). */
  private appliedUncleared = 0;
  private needsRecovery: boolean;
  private closed = false;
  private readonly walFlusher: WalFlusher | undefined;

  constructor(private readonly handles: DataDirHandles, opts: SqliteStoreOptions) {
    this.catalog = handles.catalog;
    this.shards = handles.shards;
    this.readonly = opts.readonly ?? false;
    this.now = opts.now ?? unixNow;
    this.journalLimit = opts.journalLimit ?? DEFAULT_JOURNAL_LIMIT;
    this.failpoint = opts.failpoint;
    this.lastBatch = lastBatchAtOpen(this.catalog, this.shards);
    this.needsRecovery = !this.readonly;
    if (!this.readonly) this.recover();
    this.refresh();
    if (!this.readonly) this.countUncountedRecords();
    if (!this.readonly && opts.walFlushMs !== undefined && opts.walFlushMs > 0) {
      this.walFlusher = startWalFlusher(this.handles.dbPaths, opts.walFlushMs, opts.onWalFlushError);
    }
  }

  get shardCount(): number {
    return this.shards.length;
  }

  listZones(): ZoneInfo[] {
    return this.zones.list();
  }

  getZone(name: string): ZoneInfo | undefined {
    return this.zones.get(name);
  }

  findZone(name: string): ZoneInfo | undefined {
    return this.zones.find(name);
  }

  getNode(zone: ZoneInfo, owner: string): StoredNode | undefined {
    this.assertOpen();
    const row = this.shards[shardOf(owner, this.shards.length)]!.get(zone.id, owner);
    if (row === undefined) return undefined;
    const { rrsets, nsec3Sigs } = decodeNode(row[2]);
    return { owner, rrsets, descendants: row[0], nsec3Sigs };
  }

  listKeys(zone: ZoneInfo): KeyRecord[] {
    return this.keys.filter((k) => k.zoneId === zone.id).map((k) => ({ ...k }));
  }

  listNames(zone: ZoneInfo, after: string | undefined, limit: number): StoredNode[] {
    this.assertOpen();
    if (limit <= 0) return [];
    const lists = this.shards.map((s) => s.list(zone.id, after ?? '', limit));
    return mergeListings(lists, limit).map(([owner, descendants, blob]) => ({ owner, descendants, ...decodeNode(blob) }));
  }

  scanNodes(zone: ZoneInfo, cursor: ScanCursor | undefined, limit: number): { nodes: StoredNode[]; next: ScanCursor | undefined } {
    this.assertOpen();
    let at = cursor ?? { partition: 0, after: '' };
    for (;;) {
      const shard = this.shards[at.partition];
      if (shard === undefined || limit <= 0) return { nodes: [], next: undefined };
      const rows = shard.scan(zone.id, at.after, limit);
      if (rows.length > 0) {
        const nodes = rows.map(([owner, descendants, blob]) => ({ owner, descendants, ...decodeNode(blob) }));
        return { nodes, next: { partition: at.partition, after: rows[rows.length - 1]![0] } };
      }
      at = { partition: at.partition + 1, after: '' };
    }
  }

  readJournal(zone: ZoneInfo, serial: number): JournalEntry[] | undefined {
    this.assertOpen();
    const current = this.catalog.serial(zone.id);
    return current === undefined ? undefined : this.catalog.journal.read(zone.id, serial, current);
  }

  countNames(zone: ZoneInfo): number {
    this.assertOpen();
    return this.catalog.nameCount(zone.id);
  }

  countRecords(zone: ZoneInfo): number | undefined {
    this.assertOpen();
    return this.catalog.recordCount(zone.id);
  }

  /**
   * Zones of a catalog from before record counting (schema v3) are counted once, by one scan of
   * their rows: the only start-up work proportional to zone size, and only on the first start.
   */
  private countUncountedRecords(): void {
    for (const zone of this.zones.list()) {
      if (this.catalog.recordCount(zone.id) !== undefined) continue;
      let count = 0;
      for (const shard of this.shards) {
        for (let after = ''; ; ) {
          const rows = shard.scan(zone.id, after, 10_000);
          if (rows.length === 0) break;
          for (const [, , blob] of rows) for (const r of decodeNode(blob).rrsets) count += r.rdatas.length;
          after = rows[rows.length - 1]![0];
        }
      }
      this.catalog.setRecordCount(zone.id, count);
    }
  }

  findToken(hash: string): TokenRecord | undefined {
    this.assertOpen();
    return this.catalog.credentials.tokenByHash(hash);
  }

  refresh(): void {
    this.assertOpen();
    // News of a write (a worker's store event): the next read must see it.
    for (const s of this.shards) s.releaseSnapshot();
    this.zones.replaceAll(this.catalog.loadZones());
    this.keys = this.catalog.credentials.allKeys();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.walFlusher?.stop();
    // Leave an empty redo log behind a clean shutdown (what is left after a crash is replayed).
    if (!this.readonly && !this.needsRecovery && this.appliedUncleared > 0) this.catalog.clearPending(this.appliedUncleared);
    closeDataDir(this.handles);
  }

  /** Truncates every WAL (after a bulk import), so a restart has nothing to replay. */
  checkpoint(): void {
    this.assertOpen();
    this.catalog.checkpoint();
    for (const s of this.shards) s.checkpoint();
  }

  createZone(name: string, settings: Partial<ZoneSettings> = {}): ZoneInfo {
    this.assertWritable();
    const apex = checkZoneName(name);
    checkNotNested(this.zones, apex);
    const merged = mergeSettings(defaultSettings(apex), settings);
    const now = this.now();
    const serial = now >>> 0;
    const id = this.catalog.insertZone(apex, serial, merged, now);
    const zone: ZoneInfo = { id, name: apex, serial, settings: merged, createdAt: now };
    this.zones.set(zone);
    this.events.emit({ kind: 'zones' });
    return zone;
  }

  deleteZone(name: string): boolean {
    this.assertWritable();
    let zone: ZoneInfo;
    try {
      zone = requireZone(this.zones, name);
    } catch {
      return false;
    }
    this.recoverIfNeeded();
    const byShard = new Map<number, ShardOp[]>(this.shards.map((_, i) => [i, [{ kind: 'purge', zoneId: zone.id }]]));
    const batch = this.commitCatalog(zone.id, byShard, () => this.catalog.deleteZone(zone.id));
    this.zones.remove(zone);
    this.keys = this.keys.filter((k) => k.zoneId !== zone.id);
    this.applyShards(batch, byShard);
    this.events.emit({ kind: 'zones' });
    return true;
  }

  updateZoneSettings(name: string, patch: Partial<ZoneSettings>): ZoneInfo {
    this.assertWritable();
    const zone = requireZone(this.zones, name);
    const settings = mergeSettings(zone.settings, patch);
    const serial = nextSerial(zone.serial);
    const ns = nsJournal(zone.name, zone.settings, settings);
    this.catalog.transaction(() => {
      this.catalog.setSettings(zone.id, settings, serial);
      this.catalog.clearResignPass(zone.id);
      this.catalog.journal.append(zone.id, { fromSerial: zone.serial, toSerial: serial, ...ns });
      this.catalog.journal.prune(zone.id, this.journalLimit);
    });
    const updated: ZoneInfo = { ...zone, serial, settings };
    this.zones.set(updated);
    this.events.emit({ kind: 'zones' });
    this.events.emit({ kind: 'change', zone: zone.name, serial, names: [zone.name] });
    return updated;
  }

  applyChanges(zoneName: string, changes: NameChange[], opts: ApplyOptions = {}): ChangeResult {
    this.assertWritable();
    this.recoverIfNeeded();
    const zone = requireZone(this.zones, zoneName);
    const serial = nextSerial(zone.serial);
    const input = normaliseChanges(zone.name, changes);
    const unsigned = opts.deferSigning === true;
    const plan = planChanges({ ...zone, serial }, input, (owners) => this.readNodes(zone, owners), unsigned ? undefined : this.signer);
    if (isNoOp(plan)) return { zone: zone.name, serial: zone.serial, existed: plan.existed, touched: [] };
    const byShard = this.shardOps(zone.id, plan.writes);
    const batch = this.commitCatalog(zone.id, byShard, () => {
      this.recordChange(zone, serial, plan);
      // Names stored unsigned: the last re-signing check no longer covers every name.
      if (unsigned) this.catalog.clearResignPass(zone.id);
    });
    this.zones.set({ ...zone, serial });
    this.applyShards(batch, byShard);
    this.events.emit(unsigned ? { kind: 'change', zone: zone.name, serial, names: plan.touched, unsigned: true } : { kind: 'change', zone: zone.name, serial, names: plan.touched });
    return { zone: zone.name, serial, existed: plan.existed, touched: plan.touched };
  }

  addKey(key: Omit<KeyRecord, 'id'>): KeyRecord {
    this.assertWritable();
    const zone = this.zones.getById(key.zoneId);
    if (zone === undefined) throw new StoreError(StoreErrorCode.ZONE_NOT_FOUND, `no zone with id ${key.zoneId}`);
    const rec = this.catalog.transaction(() => {
      this.catalog.clearResignPass(zone.id);
      return this.catalog.credentials.insertKey(key);
    });
    this.keys.push(rec);
    this.events.emit({ kind: 'keys', zone: zone.name });
    return { ...rec };
  }

  updateKey(id: number, patch: Partial<Pick<KeyRecord, 'state' | 'changedAt'>>): void {
    this.assertWritable();
    const old = this.catalog.credentials.key(id);
    if (old === undefined) throw new StoreError(StoreErrorCode.KEY_NOT_FOUND, `no key with id ${id}`);
    const next = { ...old, ...definedOnly(patch) };
    this.catalog.transaction(() => {
      this.catalog.clearResignPass(old.zoneId);
      this.catalog.credentials.updateKey(id, next.state, next.changedAt);
    });
    this.keys = this.keys.map((k) => (k.id === id ? next : k));
    const zone = this.zones.getById(old.zoneId);
    if (zone !== undefined) this.events.emit({ kind: 'keys', zone: zone.name });
  }

  resignPass(zoneName: string): ResignPassRecord | undefined {
    this.assertOpen();
    const zone = this.zones.get(zoneName);
    const json = zone === undefined ? undefined : this.catalog.resignPass(zone.id);
    return json === undefined ? undefined : parseResignPass(json);
  }

  recordResignPass(zoneName: string, pass: ResignPassRecord): void {
    this.assertWritable();
    const zone = requireZone(this.zones, zoneName);
    this.catalog.setResignPass(zone.id, JSON.stringify({ checkedAt: pass.checkedAt, zskTags: [...pass.zskTags] }));
  }

  storeSignatures(zoneName: string, nodes: { owner: string; rrsetSigs: Buffer[][]; nsec3Sigs: Buffer[] }[]): void {
    this.assertWritable();
    this.recoverIfNeeded();
    const zone = requireZone(this.zones, zoneName);
    const byShard = new Map<number, { owner: string; node: Buffer }[]>();
    const names: string[] = [];
    for (const s of nodes) {
      const old = this.getNode(zone, s.owner);
      if (old === undefined) continue;
      const signed = restoreSigs(old, s.rrsetSigs, s.nsec3Sigs);
      pushTo(byShard, shardOf(s.owner, this.shards.length), { owner: s.owner, node: encodeNode(signed.rrsets, signed.nsec3Sigs) });
      names.push(s.owner);
    }
    // Signatures are not part of the serial's content: a crash between shards leaves some nodes with
    // older, still valid signatures, which the re-signing job rewrites again; no redo log needed.
    for (const [i, rows] of byShard) this.shards[i]!.rewriteNodes(zone.id, rows);
    this.walFlusher?.poke();
    this.events.emit({ kind: 'resigned', zone: zone.name, names });
  }

  addToken(token: Omit<TokenRecord, 'id' | 'createdAt'>): TokenRecord {
    this.assertWritable();
    if (this.catalog.credentials.tokenByHash(token.hash) !== undefined) throw new StoreError(StoreErrorCode.TOKEN_EXISTS, 'a token with this hash already exists');
    return this.catalog.credentials.insertToken(token, this.now());
  }

  listTokens(): TokenRecord[] {
    this.assertOpen();
    return this.catalog.credentials.allTokens();
  }

  deleteToken(id: number): boolean {
    this.assertWritable();
    return this.catalog.credentials.deleteToken(id);
  }

  setSigner(signer: NodeSigner | undefined): void {
    this.signer = signer;
  }

  onEvent(listener: (e: StoreEvent) => void): () => void {
    return this.events.on(listener);
  }

  /** Batched reads for the planner: owners grouped by shard, one multi-row read per group. */
  private readNodes(zone: ZoneInfo, owners: readonly string[]): Map<string, StoredNode> {
    const byShard = new Map<number, string[]>();
    for (const o of owners) pushTo(byShard, shardOf(o, this.shards.length), o);
    const out = new Map<string, StoredNode>();
    for (const [i, list] of byShard) {
      for (const [owner, descendants, blob] of this.shards[i]!.getMany(zone.id, list)) out.set(owner, { owner, descendants, ...decodeNode(blob) });
    }
    return out;
  }

  private shardOps(zoneId: number, writes: readonly NodeWrite[]): Map<number, ShardOp[]> {
    const byShard = new Map<number, ShardOp[]>();
    for (const w of writes) {
      const owner = w.kind === 'put' ? w.node.owner : w.owner;
      const op: ShardOp =
        w.kind === 'put'
          ? { kind: 'put', zoneId, owner, descendants: w.node.descendants, hasData: w.node.rrsets.length > 0, node: encodeNode(w.node.rrsets, w.node.nsec3Sigs) }
          : w.kind === 'descendants'
            ? { kind: 'descendants', zoneId, owner, descendants: w.descendants }
            : { kind: 'delete', zoneId, owner };
      pushTo(byShard, shardOf(owner, this.shards.length), op);
    }
    // Each owner appears once per batch, so order is free: key order keeps B-tree inserts local.
    for (const ops of byShard.values()) ops.sort(byOwner);
    return byShard;
  }

  private recordChange(zone: ZoneInfo, serial: number, plan: ChangePlan): void {
    this.catalog.journal.append(zone.id, { fromSerial: zone.serial, toSerial: serial, deleted: plan.deleted, added: plan.added });
    this.catalog.bumpZone(zone.id, serial, plan.nameCountDelta, plan.added.length - plan.deleted.length);
    this.catalog.journal.prune(zone.id, this.journalLimit);
  }

  /**
   * One catalog transaction: `body` plus the redo log of a new batch, and the removal of the
   * batches already applied everywhere. Returns the batch number.
   */
  private commitCatalog(zoneId: number, byShard: ReadonlyMap<number, readonly ShardOp[]>, body: () => void): number {
    const batch = this.lastBatch + 1;
    const cleared = this.appliedUncleared;
    this.catalog.transaction(() => {
      if (cleared > 0) this.catalog.clearPending(cleared);
      body();
      for (const [shard, ops] of byShard) this.catalog.addPendingOps(batch, shard, zoneId, ops);
    });
    this.lastBatch = batch;
    if (this.appliedUncleared === cleared) this.appliedUncleared = 0;
    this.walFlusher?.poke();
    return batch;
  }

  /**
   * Applies a committed batch to its shards. Its redo-log rows are removed by the next catalog
   * transaction (or at close) rather than by a commit of their own: a write costs two commits, not
   * three. Rows left behind by a crash are harmless: replay skips batches a shard already has.
   */
  private applyShards(batch: number, byShard: ReadonlyMap<number, readonly ShardOp[]>): void {
    try {
      this.failpoint?.({ at: 'catalog-committed', batch });
      for (const [i, ops] of byShard) {
        this.shards[i]!.apply(batch, ops);
        this.failpoint?.({ at: 'shard-committed', batch, shard: i });
      }
      this.appliedUncleared = batch;
    } catch (e) {
      // The change is durable in the catalog; the next write (or the next open) completes it.
      this.needsRecovery = true;
      throw e;
    }
  }

  /** A committed change is not yet applied to its shards (a shard write failed; the next write or open completes it). */
  hasUnappliedChanges(): boolean {
    return !this.readonly && this.needsRecovery;
  }

  private recoverIfNeeded(): void {
    if (this.needsRecovery) this.recover();
  }

  /** Replays redo-log batches that a shard has not applied yet (exactly once per shard), then clears them. */
  private recover(): void {
    const pending = this.catalog.pendingBatches();
    // Owners the replay wrote, by zone id: the change events of the writes whose shard step failed
    // were never sent (they go after it), so DNS would go on serving cached answers of before the
    // change — a revocation that failed on a full disk was still answered, validly signed, minutes
    // after its retry had answered 204 (a review).
    const replayed = new Map<number, Set<string>>();
    for (const b of pending) {
      for (const [i, ops] of b.shards) {
        const shard = this.shards[i];
        if (shard === undefined) throw new StoreError(StoreErrorCode.CORRUPT, `redo log names shard ${i}, but there are ${this.shards.length}`);
        if (shard.appliedBatch() >= b.batch) continue;
        shard.apply(b.batch, ops);
        for (const op of ops) {
          if (op.kind === 'purge') continue;
          let owners = replayed.get(op.zoneId);
          if (owners === undefined) replayed.set(op.zoneId, (owners = new Set()));
          owners.add(op.owner);
        }
      }
    }
    const last = pending[pending.length - 1];
    if (last !== undefined) this.catalog.clearPending(last.batch);
    this.needsRecovery = false;
    for (const [zoneId, owners] of replayed) {
      const zone = this.zones.getById(zoneId);
      if (zone !== undefined) this.events.emit({ kind: 'change', zone: zone.name, serial: zone.serial, names: [...owners] });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError(StoreErrorCode.CLOSED, 'the zone store is closed');
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.readonly) throw new StoreError(StoreErrorCode.READONLY, 'this zone store handle is read-only');
  }
}

/** A stored ResignPassRecord, or undefined when the row is not one (never trusted blindly). */
function parseResignPass(json: string): ResignPassRecord | undefined {
  try {
    const v = JSON.parse(json) as { checkedAt?: unknown; zskTags?: unknown };
    if (typeof v.checkedAt !== 'number' || !Number.isInteger(v.checkedAt) || !Array.isArray(v.zskTags)) return undefined;
    if (!v.zskTags.every((t) => Number.isInteger(t) && t >= 0 && t <= 0xffff)) return undefined;
    return { checkedAt: v.checkedAt, zskTags: v.zskTags as number[] };
  } catch {
    return undefined;
  }
}

/**
 * The batch number to continue from. A shard ignores any batch at or below the one it last applied,
 * so numbers must never go back: every batch that wrote rows is either still in the redo log or
 * applied to the shards it touched (its log rows are cleared only after that), so the maximum over
 * both is at least every number a shard has seen. A batch that touched no shard leaves no trace,
 * and reusing its number is harmless because no shard recorded it.
 */
function lastBatchAtOpen(catalog: Catalog, shards: readonly Shard[]): number {
  let last = catalog.lastBatch();
  for (const s of shards) last = Math.max(last, s.appliedBatch());
  return last;
}

function byOwner(a: ShardOp, b: ShardOp): number {
  const x = a.kind === 'purge' ? '' : a.owner;
  const y = b.kind === 'purge' ? '' : b.owner;
  return x < y ? -1 : x > y ? 1 : 0;
}

function pushTo<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else list.push(v);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
