/**
 * MemoryZoneStore: the zone-store contract held in Maps, for tests and for tools that need a
 * throw-away zone. It shares validation (normalise-changes), planning (change-planner), settings,
 * the zone index and the event hub with the SQLite store, so both refuse and record the same things;
 * only where rows live differs. The journal keeps RFC 1995 entries with the same retention rule.
 */
import { nextSerial, compareSerial } from '../core/rrset.js';
import type {
  ChangeResult, JournalEntry, KeyRecord, NameChange, NodeSigner, StoreEvent, StoredNode, TokenRecord, ZoneInfo, ZoneSettings, ZoneWriter, ApplyOptions, ScanCursor, ResignPassRecord } from './types.js';
import { StoreError, StoreErrorCode } from './errors.js';
import { EventHub } from './event-hub.js';
import { ZoneIndex } from './zone-index.js';
import { defaultSettings, mergeSettings, nsJournal } from './zone-settings.js';
import { normaliseChanges } from './normalise-changes.js';
import { isNoOp, planChanges, type ChangePlan } from './change-planner.js';
import { DEFAULT_JOURNAL_LIMIT, checkNotNested, checkZoneName, journalKeepTarget, requireZone, restoreSigs, unixNow } from './store-common.js';

export interface MemoryStoreOptions {
  /** Clock in unix seconds (tests freeze it). */
  now?: () => number;
  /** Journal rows kept per zone before the oldest serials are dropped. */
  journalLimit?: number;
}

interface ZoneData {
  nodes: Map<string, StoredNode>;
  nameCount: number;
  recordCount: number;
  journal: { entry: JournalEntry; rows: number }[];
  journalRows: number;
}

export function createMemoryStore(opts: MemoryStoreOptions = {}): MemoryZoneStore {
  return new MemoryZoneStore(opts);
}

export class MemoryZoneStore implements ZoneWriter {
  private readonly zones = new ZoneIndex();
  private readonly data = new Map<number, ZoneData>();
  private readonly keys = new Map<number, KeyRecord>();
  private readonly resignPasses = new Map<number, ResignPassRecord>();
  private readonly tokens = new Map<number, TokenRecord>();
  private readonly events = new EventHub();
  private readonly now: () => number;
  private readonly journalLimit: number;
  private signer: NodeSigner | undefined;
  private nextZoneId = 1;
  private nextKeyId = 1;
  private nextTokenId = 1;

  constructor(opts: MemoryStoreOptions = {}) {
    this.now = opts.now ?? unixNow;
    this.journalLimit = opts.journalLimit ?? DEFAULT_JOURNAL_LIMIT;
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
    return this.data.get(zone.id)?.nodes.get(owner);
  }

  listKeys(zone: ZoneInfo): KeyRecord[] {
    return [...this.keys.values()].filter((k) => k.zoneId === zone.id).map((k) => ({ ...k }));
  }

  listNames(zone: ZoneInfo, after: string | undefined, limit: number): StoredNode[] {
    const nodes = this.data.get(zone.id)?.nodes;
    if (nodes === undefined || limit <= 0) return [];
    const owners = [...nodes.keys()].filter((o) => (after === undefined || o > after) && nodes.get(o)!.rrsets.length > 0);
    owners.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return owners.slice(0, limit).map((o) => nodes.get(o)!);
  }

  /** One partition: every node (ENTs included) in owner order. */
  scanNodes(zone: ZoneInfo, cursor: ScanCursor | undefined, limit: number): { nodes: StoredNode[]; next: ScanCursor | undefined } {
    const nodes = this.data.get(zone.id)?.nodes;
    if (nodes === undefined || limit <= 0 || (cursor !== undefined && cursor.partition > 0)) return { nodes: [], next: undefined };
    const after = cursor?.after ?? '';
    const owners = [...nodes.keys()].filter((o) => o > after).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, limit);
    if (owners.length === 0) return { nodes: [], next: undefined };
    return { nodes: owners.map((o) => nodes.get(o)!), next: { partition: 0, after: owners[owners.length - 1]! } };
  }

  readJournal(zone: ZoneInfo, serial: number): JournalEntry[] | undefined {
    const current = this.zones.getById(zone.id);
    const d = this.data.get(zone.id);
    if (current === undefined || d === undefined) return undefined;
    if (serial === current.serial) return [];
    if (compareSerial(serial, current.serial) > 0) return undefined;
    let start = -1;
    for (let i = d.journal.length - 1; i >= 0 && start < 0; i--) if (d.journal[i]!.entry.fromSerial === serial) start = i;
    return start < 0 ? undefined : d.journal.slice(start).map((j) => j.entry);
  }

  countNames(zone: ZoneInfo): number {
    return this.data.get(zone.id)?.nameCount ?? 0;
  }

  countRecords(zone: ZoneInfo): number | undefined {
    return this.data.get(zone.id)?.recordCount ?? 0;
  }

  findToken(hash: string): TokenRecord | undefined {
    for (const t of this.tokens.values()) if (t.hash === hash) return { ...t, zones: [...t.zones] };
    return undefined;
  }

  refresh(): void {
    // Nothing to re-read: this store is its own catalog.
  }

  close(): void {
    this.data.clear();
  }

  createZone(name: string, settings: Partial<ZoneSettings> = {}): ZoneInfo {
    const apex = checkZoneName(name);
    checkNotNested(this.zones, apex);
    const now = this.now();
    const zone: ZoneInfo = { id: this.nextZoneId++, name: apex, serial: now >>> 0, settings: mergeSettings(defaultSettings(apex), settings), createdAt: now };
    this.zones.set(zone);
    this.data.set(zone.id, { nodes: new Map(), nameCount: 0, recordCount: 0, journal: [], journalRows: 0 });
    this.events.emit({ kind: 'zones' });
    return zone;
  }

  deleteZone(name: string): boolean {
    let zone: ZoneInfo;
    try {
      zone = this.requireZone(name);
    } catch {
      return false;
    }
    this.zones.remove(zone);
    this.data.delete(zone.id);
    this.resignPasses.delete(zone.id);
    for (const [id, k] of this.keys) if (k.zoneId === zone.id) this.keys.delete(id);
    this.events.emit({ kind: 'zones' });
    return true;
  }

  updateZoneSettings(name: string, patch: Partial<ZoneSettings>): ZoneInfo {
    const zone = this.requireZone(name);
    const settings = mergeSettings(zone.settings, patch);
    const serial = nextSerial(zone.serial);
    const ns = nsJournal(zone.name, zone.settings, settings);
    this.resignPasses.delete(zone.id);
    this.appendJournal(zone, { fromSerial: zone.serial, toSerial: serial, ...ns });
    const updated: ZoneInfo = { ...zone, serial, settings };
    this.zones.set(updated);
    this.events.emit({ kind: 'zones' });
    this.events.emit({ kind: 'change', zone: zone.name, serial, names: [zone.name] });
    return updated;
  }

  applyChanges(zoneName: string, changes: NameChange[], opts: ApplyOptions = {}): ChangeResult {
    const zone = this.requireZone(zoneName);
    const d = this.data.get(zone.id)!;
    const serial = nextSerial(zone.serial);
    const input = normaliseChanges(zone.name, changes);
    const reader = (owners: readonly string[]): Map<string, StoredNode> => {
      const m = new Map<string, StoredNode>();
      for (const o of owners) {
        const n = d.nodes.get(o);
        if (n !== undefined) m.set(o, n);
      }
      return m;
    };
    const plan = planChanges({ ...zone, serial }, input, reader, opts.deferSigning === true ? undefined : this.signer);
    if (isNoOp(plan)) return { zone: zone.name, serial: zone.serial, existed: plan.existed, touched: [] };
    this.applyPlan(d, plan);
    if (opts.deferSigning === true) this.resignPasses.delete(zone.id);
    this.appendJournal(zone, { fromSerial: zone.serial, toSerial: serial, deleted: plan.deleted, added: plan.added });
    this.zones.set({ ...zone, serial });
    this.events.emit(opts.deferSigning === true ? { kind: 'change', zone: zone.name, serial, names: plan.touched, unsigned: true } : { kind: 'change', zone: zone.name, serial, names: plan.touched });
    return { zone: zone.name, serial, existed: plan.existed, touched: plan.touched };
  }

  addKey(key: Omit<KeyRecord, 'id'>): KeyRecord {
    if (this.zones.getById(key.zoneId) === undefined) throw new StoreError(StoreErrorCode.ZONE_NOT_FOUND, `no zone with id ${key.zoneId}`);
    const rec: KeyRecord = { ...key, id: this.nextKeyId++ };
    this.keys.set(rec.id, rec);
    this.resignPasses.delete(rec.zoneId);
    this.emitKeys(rec.zoneId);
    return { ...rec };
  }

  updateKey(id: number, patch: Partial<Pick<KeyRecord, 'state' | 'changedAt'>>): void {
    const k = this.keys.get(id);
    if (k === undefined) throw new StoreError(StoreErrorCode.KEY_NOT_FOUND, `no key with id ${id}`);
    if (patch.state !== undefined) k.state = patch.state;
    if (patch.changedAt !== undefined) k.changedAt = patch.changedAt;
    this.resignPasses.delete(k.zoneId);
    this.emitKeys(k.zoneId);
  }

  resignPass(zoneName: string): ResignPassRecord | undefined {
    const zone = this.zones.get(zoneName);
    const rec = zone === undefined ? undefined : this.resignPasses.get(zone.id);
    return rec === undefined ? undefined : { checkedAt: rec.checkedAt, zskTags: [...rec.zskTags] };
  }

  recordResignPass(zoneName: string, pass: ResignPassRecord): void {
    const zone = this.requireZone(zoneName);
    this.resignPasses.set(zone.id, { checkedAt: pass.checkedAt, zskTags: [...pass.zskTags] });
  }

  storeSignatures(zoneName: string, nodes: { owner: string; rrsetSigs: Buffer[][]; nsec3Sigs: Buffer[] }[]): void {
    const zone = this.requireZone(zoneName);
    const d = this.data.get(zone.id)!;
    const names: string[] = [];
    for (const s of nodes) {
      const old = d.nodes.get(s.owner);
      if (old === undefined) continue;
      d.nodes.set(s.owner, restoreSigs(old, s.rrsetSigs, s.nsec3Sigs));
      names.push(s.owner);
    }
    this.events.emit({ kind: 'resigned', zone: zone.name, names });
  }

  addToken(token: Omit<TokenRecord, 'id' | 'createdAt'>): TokenRecord {
    if (this.findToken(token.hash) !== undefined) throw new StoreError(StoreErrorCode.TOKEN_EXISTS, 'a token with this hash already exists');
    const rec: TokenRecord = { ...token, zones: [...token.zones], id: this.nextTokenId++, createdAt: this.now() };
    this.tokens.set(rec.id, rec);
    return { ...rec, zones: [...rec.zones] };
  }

  listTokens(): TokenRecord[] {
    return [...this.tokens.values()].map((t) => ({ ...t, zones: [...t.zones] }));
  }

  deleteToken(id: number): boolean {
    return this.tokens.delete(id);
  }

  setSigner(signer: NodeSigner | undefined): void {
    this.signer = signer;
  }

  onEvent(listener: (e: StoreEvent) => void): () => void {
    return this.events.on(listener);
  }

  private requireZone(name: string): ZoneInfo {
    return requireZone(this.zones, name);
  }

  private applyPlan(d: ZoneData, plan: ChangePlan): void {
    for (const w of plan.writes) {
      if (w.kind === 'put') d.nodes.set(w.node.owner, w.node);
      else if (w.kind === 'delete') d.nodes.delete(w.owner);
      else d.nodes.set(w.owner, { ...d.nodes.get(w.owner)!, descendants: w.descendants });
    }
    d.nameCount += plan.nameCountDelta;
    d.recordCount += plan.added.length - plan.deleted.length;
  }

  private appendJournal(zone: ZoneInfo, entry: JournalEntry): void {
    const d = this.data.get(zone.id)!;
    const rows = entry.deleted.length + entry.added.length;
    d.journal.push({ entry, rows });
    d.journalRows += rows;
    const keep = journalKeepTarget(d.journalRows, this.journalLimit);
    if (keep === undefined) return;
    while (d.journalRows > keep && d.journal.length > 0) d.journalRows -= d.journal.shift()!.rows;
  }

  private emitKeys(zoneId: number): void {
    const zone = this.zones.getById(zoneId);
    if (zone !== undefined) this.events.emit({ kind: 'keys', zone: zone.name });
  }
}
