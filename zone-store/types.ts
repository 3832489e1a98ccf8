/**
 * The zone-store contract: what readers (the query path, on any worker) and the single writer
 * (the API, imports, transfer in) may ask of a store. Two implementations pass the same contract
 * tests: SqliteZoneStore (catalog + N shard databases) and MemoryZoneStore.
 *
 * Names are canonical strings (core/names.ts). RDATA is canonical wire form. The apex SOA and NS
 * are not stored as records: they are computed from the zone's settings and serial.
 */
import type { RrsetData } from '../core/rrset.js';

/** Per-zone policy, fixed defaults filled in at creation. */
export interface ZoneSettings {
  /** TTL given to identity records when input names none. */
  defaultTtl: number;
  /** Largest TTL accepted for identity records. */
  maxTtl: number;
  /** TTL of the apex SOA RRset. */
  soaTtl: number;
  /** SOA MINIMUM: the negative-caching TTL (RFC 2308). */
  negativeTtl: number;
  soaRefresh: number;
  soaRetry: number;
  soaExpire: number;
  /** SOA MNAME and RNAME, canonical names. */
  mname: string;
  rname: string;
  /** Apex NS targets (canonical names, out of zone: idzone never serves addresses). */
  ns: string[];
  nsTtl: number;
  /** Denial of existence: NSEC3 white lies (default) or RFC 9824 compact denial. */
  denial: 'nsec3' | 'compact';
  /** Whether the zone is DNSSEC-signed (keys exist and are active). */
  signed: boolean;
}

export interface ZoneInfo {
  id: number;
  name: string;
  serial: number;
  settings: ZoneSettings;
  createdAt: number;
}

/** A stored RRset with the signatures made for it at write time (RRSIG RDATA, wire form). */
export interface StoredRrset extends RrsetData {
  sigs: Buffer[];
}

/**
 * One name of a zone as stored: its RRsets and how many data-holding names lie below it.
 * A node with no RRsets and descendants > 0 is an empty non-terminal (RFC 4592 §2.2.2).
 */
export interface StoredNode {
  owner: string;
  rrsets: StoredRrset[];
  descendants: number;
  /** RRSIGs over this name's own white-lies NSEC3 record (signer fills it; may be empty). */
  nsec3Sigs: Buffer[];
}

/** Replaces every identity RRset at `owner` (an empty list removes the name). */
export interface NamePut {
  op: 'put';
  owner: string;
  rrsets: RrsetData[];
}
export interface NameDelete {
  op: 'delete';
  owner: string;
}
export type NameChange = NamePut | NameDelete;

/** Opaque position of a scanNodes walk. */
export interface ScanCursor {
  partition: number;
  after: string;
}

export interface ApplyOptions {
  deferSigning?: boolean;
}

export interface ChangeResult {
  zone: string;
  serial: number;
  /** Per input change: did the name exist before it (put: 200 vs 201; delete: 204 vs 404). */
  existed: boolean[];
  /** Every name whose stored node changed, ENT ancestors included (for cache invalidation). */
  touched: string[];
}

/** Emitted by the writer after each commit. Workers receive it over IPC. */
export type StoreEvent =
  | { kind: 'change'; zone: string; serial: number; names: string[]; /** stored unsigned: the re-signer must run */ unsigned?: boolean }
  | { kind: 'zones' }
  | { kind: 'resigned'; zone: string; names: string[] }
  | { kind: 'keys'; zone: string };

/** A DNSSEC key's public half and its lifecycle, as the catalog keeps it. */
export interface KeyRecord {
  id: number;
  zoneId: number;
  role: 'ksk' | 'zsk' | 'csk';
  algorithm: number;
  flags: number;
  keyTag: number;
  publicKey: Buffer;
  /** Path of the PEM private key file (mode 0600), relative to the data dir. */
  privateFile: string;
  state: 'published' | 'active' | 'retired' | 'removed';
  createdAt: number;
  /** Unix seconds of the last state change, to decide when the next rollover step is safe. */
  changedAt: number;
}

/** An API bearer token; only the SHA-256 of the secret is stored. */
export interface TokenRecord {
  id: number;
  /** Hex SHA-256 of the token secret. */
  hash: string;
  /** Zones the token may act on (canonical names); ['*'] means every zone. */
  zones: string[];
  write: boolean;
  /** Admin tokens may create and delete zones and manage tokens. */
  admin: boolean;
  description: string;
  createdAt: number;
}

/** One journaled change of one serial (RFC 1995 order: deletions then additions). */
export interface JournalEntry {
  fromSerial: number;
  toSerial: number;
  deleted: { owner: string; type: number; ttl: number; rdata: Buffer }[];
  added: { owner: string; type: number; ttl: number; rdata: Buffer }[];
}

export interface ZoneReader {
  /** All served zones (a small set, held in memory by the reader). */
  listZones(): ZoneInfo[];
  getZone(name: string): ZoneInfo | undefined;
  /** The zone whose apex is the longest suffix of `name`, if any. */
  findZone(name: string): ZoneInfo | undefined;
  /** One point read in one shard; undefined when the name neither holds data nor is an ENT. */
  getNode(zone: ZoneInfo, owner: string): StoredNode | undefined;
  listKeys(zone: ZoneInfo): KeyRecord[];
  /** Ordered listing of data-holding names after `after` (exclusive), for pagination and export. */
  listNames(zone: ZoneInfo, after: string | undefined, limit: number): StoredNode[];
  /**
   * Every stored node of the zone (empty non-terminals included) in no global order, one storage
   * partition at a time: for background work such as re-signing, which must not pay for the
   * cross-shard merge listNames does. Pass the returned cursor back; undefined when done.
   */
  scanNodes(zone: ZoneInfo, cursor: ScanCursor | undefined, limit: number): { nodes: StoredNode[]; next: ScanCursor | undefined };
  /** Journal since `serial` (exclusive), oldest first; undefined when history does not reach back. */
  readJournal(zone: ZoneInfo, serial: number): JournalEntry[] | undefined;
  /** Number of data-holding names in the zone (kept as a counter, not counted by scanning). */
  countNames(zone: ZoneInfo): number;
  /** Identity records (TLSA and SSHFP RRs) in the zone; undefined when not known (a read-only handle on a catalog the writer has not counted yet). */
  countRecords(zone: ZoneInfo): number | undefined;
  findToken(hash: string): TokenRecord | undefined;
  /** Re-reads the catalog (zones, serials, keys) after a change event from the writer. */
  refresh(): void;
  close(): void;
}

/** Hook the writer calls to sign a node's content at write time (issue: online signing). */
export interface NodeSigner {
  /**
   * RRSIGs for a name's RRsets (one list per RRset, in order) and for its own NSEC3. With
   * `previous` (the node as stored), signatures of what did not change and are still fresh are
   * kept instead of made again; `reused` then says how many of the returned ones were kept.
   */
  signNode(zone: ZoneInfo, owner: string, rrsets: RrsetData[], descendants: number, previous?: StoredNode): { rrsetSigs: Buffer[][]; nsec3Sigs: Buffer[]; reused?: number };
}

/**
 * The last complete re-signing check of a zone (server/dnssec/resigner.ts), kept across restarts so
 * a restarted server does not walk every name again. Stores forget it whenever it could be wrong:
 * a write that stores names unsigned (deferSigning), any key change, a settings change, and the
 * zone's deletion.
 */
export interface ResignPassRecord {
  /** Unix seconds at which the pass finished. */
  checkedAt: number;
  /** Key tags of the active ZSKs every stored signature was checked against. */
  zskTags: number[];
}

export interface ZoneWriter extends ZoneReader {
  createZone(name: string, settings?: Partial<ZoneSettings>): ZoneInfo;
  deleteZone(name: string): boolean;
  updateZoneSettings(name: string, settings: Partial<ZoneSettings>): ZoneInfo;
  /**
   * Applies all changes atomically (one serial bump, one journal entry; none when nothing changes: deletes of absent names, puts of the records already there). With `deferSigning` the
   * nodes are stored without signatures (bulk imports: signing is the bottleneck); the re-signer
   * signs them in the background and the query path signs on demand until it has.
   */
  applyChanges(zone: string, changes: NameChange[], opts?: ApplyOptions): ChangeResult;
  addKey(key: Omit<KeyRecord, 'id'>): KeyRecord;
  updateKey(id: number, patch: Partial<Pick<KeyRecord, 'state' | 'changedAt'>>): void;
  /** The zone's last recorded re-signing check, if still valid (see ResignPassRecord). */
  resignPass(zone: string): ResignPassRecord | undefined;
  /** Records a finished re-signing check of `zone`. */
  recordResignPass(zone: string, pass: ResignPassRecord): void;
  /** Rewrites stored signatures of existing nodes without a serial bump (re-signing). */
  storeSignatures(zone: string, nodes: { owner: string; rrsetSigs: Buffer[][]; nsec3Sigs: Buffer[] }[]): void;
  addToken(token: Omit<TokenRecord, 'id' | 'createdAt'>): TokenRecord;
  listTokens(): TokenRecord[];
  deleteToken(id: number): boolean;
  setSigner(signer: NodeSigner | undefined): void;
  /** Subscribes to commit events. Returns an unsubscribe function. */
  onEvent(listener: (e: StoreEvent) => void): () => void;
}
