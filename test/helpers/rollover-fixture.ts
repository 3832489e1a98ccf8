/**
 * A signed zone (KSK + ZSK, real key files in `dir`) over a memory store with one stored name, its
 * KeyService reloading on key events, a Resigner and a RolloverService, all on one injected clock
 * starting at T0; log lines are collected. Shared by the rollover tests.
 */
import { KeyService } from '../../server/dnssec/key-service.js';
import { Resigner } from '../../server/dnssec/resigner.js';
import { RolloverService } from '../../server/dnssec/rollover-service.js';
import { createMemoryStore, type MemoryZoneStore } from '../../zone-store/memory-zone-store.js';
import type { ZoneInfo } from '../../zone-store/types.js';
import { RrType } from '../../core/rr-types.js';

export const T0 = 1_800_000_000;
const Z = '_device.example.net.';

export interface Fixture {
  dir: string;
  store: MemoryZoneStore;
  zone: ZoneInfo;
  rollovers: RolloverService;
  keys: KeyService;
  resigner: Resigner;
  logs: { level: string; msg: string; fields?: object }[];
  setNow(t: number): void;
  now(): number;
}

export function rolloverFixture(dir: string): Fixture {
  let now = T0;
  const clock = (): number => now;
  const logs: Fixture['logs'] = [];
  const log = (level: string, msg: string, fields?: object): void => void logs.push(fields === undefined ? { level, msg } : { level, msg, fields });
  const store = createMemoryStore({ now: clock });
  const keys = new KeyService({ dataDir: dir, store, log, clock });
  store.setSigner(keys.registry);
  const zone = keys.createZoneKeys(store.createZone(Z));
  store.applyChanges(Z, [{ op: 'put', owner: `d1.${Z}`, rrsets: [{ type: RrType.TLSA, ttl: 60, rdatas: [Buffer.concat([Buffer.from([3, 1, 1]), Buffer.alloc(32, 7)])] }] }]);
  store.onEvent((e) => {
    if (e.kind === 'keys') keys.loadZone(store.getZone(e.zone)!);
  });
  const resigner = new Resigner({ store, signerFor: (z) => keys.registry.get(z), clock, log });
  const rollovers = new RolloverService({ dataDir: dir, store, keys, clock, log, resigner, resignSynchronously: false });
  return { dir, store, zone, rollovers, keys, resigner, logs, setNow: (t) => void (now = t), now: () => now };
}

