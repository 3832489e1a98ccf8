/**
 * What a failed write says about what is stored (storage review A and B). A shard write that fails
 * after the catalog commit (the store's `catalog-committed` failpoint, throwing a SQLITE_FULL error)
 * leaves the change committed, completed later from the redo log: POST /changes and the HTTP import
 * must answer 503 "committed as serial N" and count the batch, and `idzone import` must say the
 * batch is committed. A failure before the catalog commit must say nothing was stored and name the
 * full disk. A failed zone create must leave nothing behind (no zone, no key file), or, when the
 * clean-up fails too, say so and leave the zone marked signed, never as a served unsigned zone.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createApiConfig } from '../../../api/api-config.js';
import { createApiServer, type ApiServer } from '../../../api/api-server.js';
import { createZoneWithKeys, ZoneCreateError } from '../../../api/routes-zones.js';
import { createToken } from '../../../api/tokens.js';
import { ImportError, ImportErrorCode, runImport } from '../../../cli/import-command.js';
import { KeyService } from '../../../server/dnssec/key-service.js';
import { openSqliteStore, type FailPoint, type SqliteZoneStore } from '../../../zone-store/sqlite-zone-store.js';
import type { ZoneInfo } from '../../../zone-store/types.js';
import * as fx from '../../unit/api/fixtures.js';
import { http } from './api-harness.js';

const ZONE = '_device.example.net.';
const Z = `/api/v1/zones/${ZONE}`;
const tlsa = { usage: 3, selector: 1, matchingType: 1, data: fx.HEX32 };

function diskFull(): Error {
  return Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
}

interface Rig {
  dir: string;
  store: SqliteZoneStore;
  server: ApiServer;
  port: number;
  admin: string;
  /** Fail the n-th catalog commit from now on, after it committed (a shard write hitting ENOSPC). */
  failAfterCommit(n: number): void;
  keysCreate: { fn: (z: ZoneInfo) => void };
  deleteKeys: string[];
  close(): Promise<void>;
}

async function startRig(batchSize = 2_500): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'idz-wft-'));
  let countdown = 0;
  const failpoint = (p: FailPoint): void => {
    if (p.at !== 'catalog-committed' || countdown === 0) return;
    if (--countdown === 0) throw diskFull();
  };
  const store = openSqliteStore(join(dir, 'data'), { shards: 2, failpoint });
  const cfg = createApiConfig({ importBatchSize: batchSize });
  if (!cfg.ok) throw new Error(cfg.errors.join('; '));
  const keysCreate = { fn: (_z: ZoneInfo): void => undefined };
  const deleteKeys: string[] = [];
  const keys = {
    createZoneKeys: (z: ZoneInfo): void => keysCreate.fn(z),
    describeKeys: () => [],
    deleteZoneKeys: (z: string): void => {
      deleteKeys.push(z);
    },
  };
  const server = createApiServer({ store, registry: new Registry(), keys, config: cfg.config, propagate: async () => undefined, log: () => undefined });
  const { port } = await server.listen('127.0.0.1', 0);
  const admin = createToken(store, { zones: ['*'], write: true, admin: true, description: 'test admin' }).token;
  return {
    dir,
    store,
    server,
    port,
    admin,
    failAfterCommit: (n) => (countdown = n),
    keysCreate,
    deleteKeys,
    close: async () => {
      await server.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Names stored in the zone as a fresh open sees them (the open completes the redo log). */
function namesAfterReopen(rig: Rig): number {
  rig.store.close();
  const s = openSqliteStore(join(rig.dir, 'data'), { create: false });
  try {
    return s.countNames(s.getZone(ZONE)!);
  } finally {
    s.close();
  }
}

describe('a failed write says what is stored (storage review A)', function () {
  this.timeout(30_000);
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig(100);
    rig.store.createZone(ZONE);
  });
  afterEach(() => rig.close());

  it('POST /changes failing after the catalog commit answers 503 committed as serial N, and the batch is stored', async () => {
    const before = rig.store.getZone(ZONE)!.serial;
    rig.failAfterCommit(1);
    const changes = [1, 2, 3].map((i) => ({ op: 'put', name: `d${i}`, tlsa: [tlsa] }));
    const r = await http(rig.port, 'POST', `${Z}/changes`, { token: rig.admin, body: { changes } });
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.code, 'ERR_API_UNAVAILABLE');
    const serial = rig.store.getZone(ZONE)!.serial;
    assert.notEqual(serial, before);
    assert.match(r.json.detail, new RegExp(`committed as serial ${serial}`));
    assert.match(r.json.detail, /disk is full/);
    assert.match(r.json.detail, /redo log/);
    assert.equal(namesAfterReopen(rig), 3);
  });

  it('POST /changes failing before the catalog commit answers 500 naming the full disk, and nothing is stored', async () => {
    const before = rig.store.getZone(ZONE)!.serial;
    const real = rig.store.applyChanges.bind(rig.store);
    rig.store.applyChanges = () => {
      throw diskFull();
    };
    const r = await http(rig.port, 'POST', `${Z}/changes`, { token: rig.admin, body: { changes: [{ op: 'put', name: 'd1', tlsa: [tlsa] }] } });
    rig.store.applyChanges = real;
    assert.equal(r.status, 500, r.text);
    assert.equal(r.json.code, 'ERR_API_INTERNAL');
    assert.match(r.json.detail, /nothing of it was stored/);
    assert.match(r.json.detail, /disk is full/);
    assert.doesNotMatch(r.json.detail, /failed to handle this request/);
    assert.equal(rig.store.getZone(ZONE)!.serial, before);
    assert.equal(namesAfterReopen(rig), 0);
  });

  it('an HTTP import whose second batch fails after its catalog commit counts it as committed', async () => {
    rig.failAfterCommit(2);
    const lines = Array.from({ length: 350 }, (_, i) => JSON.stringify({ name: `dev${i}`, tlsa: [tlsa] }));
    const r = await http(rig.port, 'POST', `${Z}/import`, { token: rig.admin, raw: lines.join('\n') + '\n', type: 'application/x-ndjson' });
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.code, 'ERR_API_UNAVAILABLE');
    const serial = rig.store.getZone(ZONE)!.serial;
    assert.match(r.json.detail, new RegExp(`committed as serial ${serial}`));
    assert.match(r.json.detail, /2 batch\(es\) were committed before it stopped, the last of them committed but not yet completed/);
    assert.equal(namesAfterReopen(rig), 200);
  });
});

describe('idzone import says a batch failing after its catalog commit is committed (storage review A)', function () {
  this.timeout(30_000);
  it('reports ERR_IMPORT_BATCH_NOT_COMPLETED, counts the batch, and the next open shows it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idz-wft-cli-'));
    try {
      let countdown = 0;
      const store = openSqliteStore(join(dir, 'data'), {
        shards: 2,
        failpoint: (p) => {
          if (p.at === 'catalog-committed' && countdown > 0 && --countdown === 0) throw diskFull();
        },
      });
      store.createZone(ZONE);
      const file = join(dir, 'in.ndjson');
      writeFileSync(file, Array.from({ length: 250 }, (_, i) => JSON.stringify({ name: `dev${i}`, tlsa: [tlsa] })).join('\n') + '\n');
      countdown = 2;
      await assert.rejects(runImport({ store, zone: ZONE, file, batchSize: 100, progress: false }), (e: unknown) => {
        assert.ok(e instanceof ImportError, String(e));
        assert.equal(e.code, ImportErrorCode.BATCH_NOT_COMPLETED);
        assert.equal(e.batches, 2);
        assert.equal(e.names, 200);
        assert.match(e.message, /batch 2 \(100 names\) is committed as serial \d+ but was not completed: database or disk is full \(the disk is full\)/);
        assert.match(e.message, /completed from the store's redo log at the next open/);
        assert.match(e.message, /1 earlier batch \(100 names\) stay committed too/);
        return true;
      });
      store.close();
      const again = openSqliteStore(join(dir, 'data'), { create: false });
      assert.equal(again.countNames(again.getZone(ZONE)!), 200);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports ERR_IMPORT_BATCH_FAILED with "nothing of it was stored" when the batch failed before its commit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idz-wft-cli-'));
    try {
      const store = openSqliteStore(join(dir, 'data'), { shards: 2 });
      store.createZone(ZONE);
      const file = join(dir, 'in.ndjson');
      writeFileSync(file, Array.from({ length: 150 }, (_, i) => JSON.stringify({ name: `dev${i}`, tlsa: [tlsa] })).join('\n') + '\n');
      let calls = 0;
      const real = store.applyChanges.bind(store);
      const wrapped = { getZone: store.getZone.bind(store), getNode: store.getNode.bind(store), applyChanges: (...a: Parameters<typeof real>) => (++calls === 2 ? (() => { throw diskFull(); })() : real(...a)) };
      await assert.rejects(runImport({ store: wrapped, zone: ZONE, file, batchSize: 100, progress: false }), (e: unknown) => {
        assert.ok(e instanceof ImportError);
        assert.equal(e.code, ImportErrorCode.BATCH_FAILED);
        assert.equal(e.batches, 1);
        assert.match(e.message, /batch 2 \(50 names\) failed before its commit, so nothing of it was stored: .*the disk is full/);
        return true;
      });
      assert.equal(store.countNames(store.getZone(ZONE)!), 100);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a failed zone create leaves nothing behind (storage review B)', function () {
  this.timeout(30_000);
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(() => rig.close());

  it('POST /zones whose keys fail: 500 naming the cause, no zone left, and a retry creates it', async () => {
    let seen: ZoneInfo | undefined;
    rig.keysCreate.fn = (z) => {
      seen = z;
      throw Object.assign(new Error('cannot write key file keys/x/K.pem: ENOSPC'), { code: 'ERR_SIGNER_KEY_WRITE' });
    };
    const r = await http(rig.port, 'POST', '/api/v1/zones', { token: rig.admin, body: { name: ZONE } });
    assert.equal(r.status, 500, r.text);
    assert.match(r.json.detail, /was not created: the disk is full/);
    assert.match(r.json.detail, /nothing is left behind/);
    // The zone was created marked signed: never served as an unsigned zone while its keys are made.
    assert.equal(seen?.settings.signed, true);
    assert.equal(rig.store.getZone(ZONE), undefined);
    assert.deepEqual(rig.deleteKeys, [ZONE]);
    rig.keysCreate.fn = () => undefined;
    const again = await http(rig.port, 'POST', '/api/v1/zones', { token: rig.admin, body: { name: ZONE } });
    assert.equal(again.status, 201, again.text);
  });

  it('POST /zones whose clean-up fails too: says what is left and how to remove it; the zone stays signed', async () => {
    rig.keysCreate.fn = () => {
      throw Object.assign(new Error('cannot write key file: ENOSPC'), { code: 'ERR_SIGNER_KEY_WRITE' });
    };
    const realDelete = rig.store.deleteZone.bind(rig.store);
    rig.store.deleteZone = () => {
      throw diskFull();
    };
    const r = await http(rig.port, 'POST', '/api/v1/zones', { token: rig.admin, body: { name: ZONE } });
    rig.store.deleteZone = realDelete;
    assert.equal(r.status, 500, r.text);
    assert.match(r.json.detail, /clean-up failed too \(the zone could not be removed: the disk is full/);
    assert.match(r.json.detail, new RegExp(`DELETE /api/v1/zones/${ZONE}`));
    assert.match(r.json.detail, /DO=1\) queries get SERVFAIL/);
    const left = rig.store.getZone(ZONE);
    assert.equal(left?.settings.signed, true, 'a zone created signed is never left unsigned');
    const del = await http(rig.port, 'DELETE', `${Z}`, { token: rig.admin });
    assert.equal(del.status, 204, del.text);
  });

  it('with the real key service, an empty key file left by a failed write is removed (the CLI path)', () => {
    const dataDir = join(rig.dir, 'data');
    const keys = new KeyService({ dataDir, store: rig.store, log: () => undefined, clock: () => Math.floor(Date.now() / 1000) });
    const failing = {
      createZoneKeys: (z: ZoneInfo): void => {
        // What ENOSPC leaves: the key file opened (zero bytes), the write refused.
        mkdirSync(join(dataDir, 'keys', '_device.example.net'), { recursive: true });
        writeFileSync(join(dataDir, 'keys', '_device.example.net', 'K_device.example.net+013+12345.pem'), '');
        assert.equal(z.settings.signed, true);
        throw Object.assign(new Error('cannot write key file: ENOSPC'), { code: 'ERR_SIGNER_KEY_WRITE' });
      },
      deleteZoneKeys: (z: string): void => keys.deleteZoneKeys(z),
    };
    assert.throws(
      () => createZoneWithKeys(rig.store, failing, ZONE, {}, { layout: 'ksk-zsk', algorithm: 13 }, `"idzone zone delete --data-dir ${dataDir} ${ZONE}"`),
      (e: unknown) => e instanceof ZoneCreateError && e.code === 'ERR_ZONE_CREATE_FAILED' && /nothing is left behind/.test(e.message),
    );
    assert.equal(rig.store.getZone(ZONE), undefined);
    assert.equal(existsSync(join(dataDir, 'keys', '_device.example.net')), false);
    // And a real create then works, with both keys.
    const zone = createZoneWithKeys(rig.store, keys, ZONE, {}, { layout: 'ksk-zsk', algorithm: 13 }, 'x');
    assert.equal(zone.settings.signed, true);
    assert.equal(readdirSync(join(dataDir, 'keys', '_device.example.net')).filter((f) => f.endsWith('.pem')).length, 2);
  });
});
