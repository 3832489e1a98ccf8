/**
 * Time to re-sign a whole stored zone, offline (the server stopped, the writer lock held): every
 * data-holding name's RRSIGs (each RRset and the name's own white-lies NSEC3, SPECS.md §4.6) are made
 * again with the zone's active ZSK and written back without a serial bump — what the background
 * re-signing does after a ZSK change or as signatures near expiry. `idzone` has no re-sign command,
 * so this runs in-process: through the server's Resigner (server/dnssec/resigner.ts,
 * runPassSync) when it is present, its due-check clock moved 13 days ahead so every stored signature
 * counts as due while the signer itself signs with the real clock; otherwise through the same
 * steps by hand (listNames → ZoneSigner.signNode → storeSignatures). The report says which.
 */
import { acquireWriterLock } from '../cli/writer-lock.js';
import { KeyService } from '../server/dnssec/key-service.js';
import { createLogger } from '../server/log.js';
import type { ZoneSigner } from '../signer/zone-signer.js';
import { openSqliteStore, type SqliteZoneStore } from '../zone-store/sqlite-zone-store.js';
import type { ZoneInfo } from '../zone-store/types.js';

export interface ResignReport {
  method: 'server Resigner.runPassSync' | 'in-process listNames + signNode + storeSignatures';
  names: number;
  resigned: number;
  seconds: number;
  namesPerSecond: number;
}

const PAGE = 1000;
const AHEAD_SECONDS = 13 * 86400;

export async function resignWholeZone(dataDir: string, zoneName: string): Promise<ResignReport> {
  const lock = acquireWriterLock(dataDir, 'bench: re-sign');
  const store = openSqliteStore(dataDir, { create: false });
  try {
    const zone = store.getZone(zoneName);
    if (zone === undefined) throw new Error(`no zone ${zoneName} in ${dataDir}`);
    const clock = (): number => Math.floor(Date.now() / 1000);
    const keys = new KeyService({ dataDir, store, log: createLogger('warn'), clock });
    if (!keys.loadZone(zone)) throw new Error(`cannot load the keys of ${zoneName}`);
    store.setSigner(keys.registry);
    const signer = keys.registry.get(zoneName);
    if (signer === undefined) throw new Error(`zone ${zoneName} is not signed`);
    const names = store.countNames(zone);
    const t0 = performance.now();
    const viaServer = await resignWithServerResigner(store, signer, zoneName, clock);
    const resigned = viaServer ?? resignByHand(store, signer, zone);
    const seconds = (performance.now() - t0) / 1000;
    store.checkpoint();
    const method = viaServer !== undefined ? 'server Resigner.runPassSync' : 'in-process listNames + signNode + storeSignatures';
    return { method, names, resigned, seconds, namesPerSecond: resigned / seconds };
  } finally {
    store.close();
    lock.release();
  }
}

interface ResignerLike {
  runPassSync(zone: string): { resigned: number } | undefined;
}
type ResignerCtor = new (o: { store: SqliteZoneStore; signerFor: (z: string) => ZoneSigner | undefined; clock: () => number; log: ReturnType<typeof createLogger>; pageSize: number }) => ResignerLike;

/** Resigned count, or undefined when the server has no Resigner with runPassSync. */
async function resignWithServerResigner(store: SqliteZoneStore, signer: ZoneSigner, zone: string, clock: () => number): Promise<number | undefined> {
  // A computed specifier: the benchmark keeps compiling if that module changes shape or moves.
  const specifier = '../server/dnssec/resigner.js';
  const mod = (await import(specifier).catch(() => undefined)) as { Resigner?: ResignerCtor } | undefined;
  if (typeof mod?.Resigner !== 'function' || typeof mod.Resigner.prototype.runPassSync !== 'function') return undefined;
  const resigner = new mod.Resigner({ store, signerFor: (z) => (z === zone ? signer : undefined), clock: () => clock() + AHEAD_SECONDS, log: createLogger('warn'), pageSize: PAGE });
  const r = resigner.runPassSync(zone);
  if (r === undefined) throw new Error('the re-signing pass was aborted');
  return r.resigned;
}

function resignByHand(store: SqliteZoneStore, signer: ZoneSigner, zone: ZoneInfo): number {
  let after: string | undefined;
  let resigned = 0;
  for (let guard = 0; guard < 1e7; guard++) {
    const page = store.listNames(zone, after, PAGE);
    if (page.length === 0) break;
    after = page[page.length - 1]!.owner;
    const out = page.map((n) => ({ owner: n.owner, ...signer.signNode(zone, n.owner, n.rrsets, n.descendants) }));
    store.storeSignatures(zone.name, out);
    resigned += out.length;
  }
  return resigned;
}
