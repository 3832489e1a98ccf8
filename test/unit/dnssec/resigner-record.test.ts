/**
 * The re-signer's record of a finished pass (server/dnssec/resigner.ts): a restarted server skips
 * the start-up walk when the store holds a recent record made with the zone's current ZSKs, and
 * walks at once when the record is missing, too old or made with other keys; a pass during which
 * an unsigned import arrived is not recorded. Memory store, real key files, real timers (the
 * first pass of a zone without a record is due 50 ms after start here; each check allows ~0.5 s).
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyService } from '../../../server/dnssec/key-service.js';
import { Resigner } from '../../../server/dnssec/resigner.js';
import { createMemoryStore } from '../../../zone-store/memory-zone-store.js';
import type { ZoneWriter } from '../../../zone-store/types.js';
import { RrType } from '../../../core/rr-types.js';

const Z = '_device.example.net.';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Fixture {
  store: ZoneWriter;
  keys: KeyService;
  zskTags: () => number[];
  /** Passes begun so far (first page read of a pass). */
  passes: () => number;
  records: { checkedAt: number; zskTags: number[] }[];
  onFirstPage: (f: () => void) => void;
}

describe('re-signer: recorded passes across restarts', function () {
  this.timeout(10_000);
  let dir: string;
  let now: number;
  const clock = (): number => now;
  const log = (): void => undefined;
  const running: Resigner[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idzone-resign-record-'));
    now = Math.floor(Date.now() / 1000);
  });
  afterEach(() => {
    for (const r of running.splice(0)) r.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function fixture(): Fixture {
    const store = createMemoryStore({ now: clock });
    const keys = new KeyService({ dataDir: dir, store, log, clock });
    store.setSigner(keys.registry);
    keys.createZoneKeys(store.createZone(Z));
    for (let i = 0; i < 6; i++) {
      store.applyChanges(Z, [{ op: 'put', owner: `d${i}.${Z}`, rrsets: [{ type: RrType.TLSA, ttl: 60, rdatas: [Buffer.concat([Buffer.from([3, 1, 1]), Buffer.alloc(32, i)])] }] }]);
    }
    let passes = 0;
    let hook: (() => void) | undefined;
    const scan = store.scanNodes.bind(store);
    store.scanNodes = (zone, cursor, limit) => {
      if (cursor === undefined) {
        passes++;
        const h = hook;
        hook = undefined;
        h?.();
      }
      return scan(zone, cursor, limit);
    };
    const records: { checkedAt: number; zskTags: number[] }[] = [];
    const record = store.recordResignPass.bind(store);
    store.recordResignPass = (zone, pass) => {
      records.push(pass);
      record(zone, pass);
    };
    return {
      store,
      keys,
      zskTags: () => keys.registry.get(Z)!.keys.zsks.map((k) => k.keyTag),
      passes: () => passes,
      records,
      onFirstPage: (f) => (hook = f),
    };
  }

  function resigner(f: Fixture, extra: { pageSize?: number } = {}): Resigner {
    const r = new Resigner({ store: f.store, signerFor: (z) => f.keys.registry.get(z), clock, log, intervalSeconds: 3600, startDelayMs: 50, ...extra });
    running.push(r);
    return r;
  }

  it('walks at start without a record, then records the pass with the ZSKs it checked against', async () => {
    const f = fixture();
    const r = resigner(f);
    r.start();
    await sleep(600);
    assert.equal(f.passes(), 1);
    assert.deepEqual(f.store.resignPass(Z), { checkedAt: now, zskTags: f.zskTags() });
    assert.equal(r.lastCompleted(Z), now);
  });

  it('a pass stopped while it pauses between pages takes no further step (a clean shutdown logged a failed pass)', async () => {
    const f = fixture();
    const errors: string[] = [];
    const r = new Resigner({ store: f.store, signerFor: (z) => f.keys.registry.get(z), clock, log: (level, msg) => void (level === 'error' && errors.push(msg)), intervalSeconds: 3600, startDelayMs: 50, pageSize: 1, dutyCycle: 0.01 });
    running.push(r);
    let closed = false;
    const scan = f.store.scanNodes.bind(f.store);
    f.store.scanNodes = (zone, cursor, limit) => {
      if (closed) throw new Error('the zone store is closed');
      return scan(zone, cursor, limit);
    };
    // The first page is read; during the pause after it the server stops and closes the store.
    f.onFirstPage(() => {
      setTimeout(() => {
        r.stop();
        closed = true;
      }, 1);
    });
    r.start();
    await sleep(700);
    assert.equal(f.passes(), 1);
    assert.deepEqual(errors, []);
  });

  it('does not walk at start when a recent record was made with the current ZSKs', async () => {
    const f = fixture();
    f.store.recordResignPass(Z, { checkedAt: now - 600, zskTags: f.zskTags() });
    const r = resigner(f);
    r.start();
    await sleep(600);
    assert.equal(f.passes(), 0, 'the zone is next due an hour after the recorded pass');
    assert.equal(r.lastCompleted(Z), now - 600);
    // A request (key change, unsigned import) still gets its pass at once.
    r.request(Z);
    await sleep(600);
    assert.equal(f.passes(), 1);
  });

  it('walks at start when the record is an interval old, or from the future, or made with other keys', async () => {
    for (const stale of [{ checkedAt: now - 3600 }, { checkedAt: now + 120 }, { checkedAt: now - 10, zskTags: [1] }]) {
      const f = fixture();
      f.store.recordResignPass(Z, { zskTags: f.zskTags(), ...stale });
      const r = resigner(f);
      r.start();
      await sleep(600);
      r.stop();
      assert.equal(f.passes(), 1, JSON.stringify(stale));
      assert.deepEqual(f.store.resignPass(Z), { checkedAt: now, zskTags: f.zskTags() });
    }
  });

  it('does not record a pass during which a pass was requested again, and records the next one', async () => {
    const f = fixture();
    const r = resigner(f, { pageSize: 2 });
    // An unsigned import lands while the first pass is walking: its names may be behind the cursor.
    f.onFirstPage(() => r.request(Z, false));
    r.start();
    await sleep(900);
    assert.equal(f.passes(), 2, 'the request got a pass of its own');
    assert.equal(f.records.length, 1, 'only the second pass was recorded');
  });

  it('does not record a pass cut short by stop() (a shutdown mid-walk)', async () => {
    const f = fixture();
    const r = resigner(f, { pageSize: 2 });
    f.onFirstPage(() => r.stop());
    r.start();
    await sleep(600);
    assert.equal(f.passes(), 1);
    assert.equal(f.records.length, 0);
    assert.equal(f.store.resignPass(Z), undefined);
    assert.equal(r.lastCompleted(Z), undefined);
  });

  it('gives a resigner that never started (the CLI) the recorded time for the current keys only', () => {
    const f = fixture();
    f.store.recordResignPass(Z, { checkedAt: now - 5, zskTags: f.zskTags() });
    assert.equal(resigner(f).lastCompleted(Z), now - 5);
    f.store.recordResignPass(Z, { checkedAt: now - 5, zskTags: [7] });
    assert.equal(resigner(f).lastCompleted(Z), undefined);
  });
});
