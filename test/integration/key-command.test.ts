/**
 * `idzone key status|rollover`: offline on a data directory (writer lock, synchronous re-sign) and
 * through a live server's API when server.json names a live writer; exit codes 0 done, 1 refused
 * (with when it is safe), 2 usage; --help on each command.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/idzone.js';
import { relative } from '../../cli/key-command.js';
import { readLiveServer, SERVER_INFO_FILE } from '../../cli/serve-command.js';
import { openSqliteStore } from '../../zone-store/sqlite-zone-store.js';
import { startTestServer, type TestServer } from '../helpers/server-fixture.js';

const ZONE = 'z.example.';

/** Runs the CLI in this process, capturing what it writes. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string | Uint8Array) => ((out += String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => ((err += String(c)), true)) as typeof process.stderr.write;
  try {
    const code = await runCli(args);
    return { code, out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

function keyStates(dataDir: string): string[] {
  const store = openSqliteStore(dataDir, { readonly: true });
  try {
    return store
      .listKeys(store.getZone(ZONE)!)
      .map((k) => `${k.role}:${k.state}`)
      .sort();
  } finally {
    store.close();
  }
}

describe('cli/key-command: idzone key status|rollover', function () {
  this.timeout(30_000);

  describe('offline', () => {
    let dir: string;
    let dataDir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'idzone-keycli-'));
      dataDir = join(dir, 'data');
      assert.equal((await cli(['zone', 'create', '--data-dir', dataDir, ZONE])).code, 0);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('--help on each command, usage errors exit 2', async () => {
      for (const args of [['key', '--help'], ['key', 'status', '--help'], ['key', 'rollover', '--help']]) {
        const r = await cli(args);
        assert.equal(r.code, 0, args.join(' '));
        assert.match(r.out, /Usage: idzone key/);
      }
      assert.match((await cli(['key', 'rollover', '--help'])).out, /--zsk[\s\S]*--ksk[\s\S]*--force/);
      assert.equal((await cli(['key'])).code, 2);
      assert.equal((await cli(['key', 'frobnicate'])).code, 2);
      assert.equal((await cli(['key', 'status', '--data-dir', dataDir])).code, 2, 'no zone');
      assert.equal((await cli(['key', 'rollover', '--data-dir', dataDir, ZONE])).code, 2, 'neither --zsk nor --ksk');
      assert.equal((await cli(['key', 'rollover', '--data-dir', dataDir, ZONE, '--zsk', '--ksk'])).code, 2, 'both');
      assert.equal((await cli(['key', 'status', '--data-dir', dataDir, ZONE, '--zsk'])).code, 2, 'status takes no --zsk');
      assert.equal((await cli(['key', 'status', '--data-dir', join(dir, 'nothing'), ZONE])).code, 2, 'not a data dir');
      assert.match((await cli(['--help'])).out, /key status\|rollover/);
    });

    it('status says the step, the next step, when it is safe and what it waits for', async () => {
      const r = await cli(['key', 'status', '--data-dir', dataDir, ZONE]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^ZSK: no rollover under way$/m);
      assert.match(r.out, /^KSK: no rollover under way$/m);
      assert.match(r.out, /next: step 1 "publish"/);
      assert.match(r.out, /safe: now/);
      assert.match(r.out, /IN DS \d+ 13 2 [0-9A-F]{64}/);
      assert.equal((await cli(['key', 'status', '--data-dir', dataDir, 'other.example.'])).code, 1);
    });

    it('ZSK rollover: publish, refused until safe (exit 1, says when), forced activate and remove', async () => {
      const p = await cli(['key', 'rollover', '--data-dir', dataDir, ZONE, '--zsk']);
      assert.equal(p.code, 0, p.err);
      assert.match(p.out, /took step "publish"/);
      assert.deepEqual(keyStates(dataDir), ['ksk:active', 'zsk:active', 'zsk:published']);
      const refused = await cli(['key', 'rollover', '--data-dir', dataDir, ZONE, '--zsk']);
      assert.equal(refused.code, 1);
      assert.match(refused.err, /ERR_ROLLOVER_NOT_SAFE/);
      assert.match(refused.err, /safe: \d{4}-\d\d-\d\dT[\d:.]+Z \(in \d+ minutes\)/);
      const st = await cli(['key', 'status', '--data-dir', dataDir, ZONE]);
      assert.match(st.out, /^ZSK: step 1 of 3 \("publish"\) taken$/m);
      assert.match(st.out, /next: step 2 "activate"/);
      assert.match(st.out, /safe: \S+ \(in \d+ minutes\)/);
      assert.equal((await cli(['key', 'rollover', '--data-dir', dataDir, ZONE, '--zsk', '--force'])).code, 0);
      assert.deepEqual(keyStates(dataDir), ['ksk:active', 'zsk:active', 'zsk:retired']);
      const rm = await cli(['key', 'rollover', '--data-dir', dataDir, ZONE, '--zsk', '--force']);
      assert.equal(rm.code, 0, rm.err);
      assert.match(rm.out, /took step "remove"/);
      assert.deepEqual(keyStates(dataDir), ['ksk:active', 'zsk:active', 'zsk:removed']);
    });

    it('KSK rollover prints the DS records the parent should hold', async () => {
      const p = await cli(['key', 'rollover', '--data-dir', dataDir, ZONE, '--ksk']);
      assert.equal(p.code, 0, p.err);
      assert.equal(p.out.match(/IN DS /g)?.length, 2, p.out);
      assert.match(p.out, /waiting for: the parent to serve the DS/);
      const r = await cli(['key', 'rollover', '--data-dir', dataDir, ZONE, '--ksk', '--force']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /took step "retire"/);
      assert.equal(r.out.match(/IN DS /g)?.length, 1, r.out);
    });

    it('a CSK zone is refused with exit 1', async () => {
      assert.equal((await cli(['zone', 'create', '--data-dir', dataDir, '--csk', 'c.example.'])).code, 0);
      const r = await cli(['key', 'rollover', '--data-dir', dataDir, 'c.example.', '--zsk']);
      assert.equal(r.code, 1);
      assert.match(r.err, /ERR_ROLLOVER_CSK/);
      assert.match((await cli(['key', 'status', '--data-dir', dataDir, 'c.example.'])).out, /combined signing key/);
    });
  });

  describe('through a live server', () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer();
      // What `idzone serve` writes; the fixture's writer lock is held by this (live) process.
      writeFileSync(join(t.dataDir, SERVER_INFO_FILE), JSON.stringify({ pid: process.pid, dns: { host: '127.0.0.1', port: t.dnsPort }, api: t.server.api }));
    });
    after(async () => {
      await t?.stop();
    });

    it('finds the server through server.json and the writer lock', () => {
      assert.equal(readLiveServer(t.dataDir)?.api.port, t.server.api.port);
    });

    it('status and rollover go through the API (the server sees the change at once)', async () => {
      const zone = '_device.example.net.';
      const st = await cli(['key', 'status', '--data-dir', t.dataDir, zone]);
      assert.equal(st.code, 0, st.err);
      assert.match(st.out, /^ZSK: no rollover under way$/m);
      const p = await cli(['key', 'rollover', '--data-dir', t.dataDir, zone, '--zsk']);
      assert.equal(p.code, 0, p.err);
      assert.equal(t.server.rollovers.status(zone).zsk.stepTaken, 1);
      const refused = await cli(['key', 'rollover', '--data-dir', t.dataDir, zone, '--zsk']);
      assert.equal(refused.code, 1);
      assert.match(refused.err, /ERR_API_ROLLOVER_NOT_SAFE/);
      assert.match(refused.err, /in \d+ minutes/);
      assert.equal((await cli(['key', 'rollover', '--data-dir', t.dataDir, zone, '--zsk', '--force'])).code, 0);
      assert.equal(t.server.rollovers.status(zone).zsk.stepTaken, 2);
    });
  });

  it('relative(): now, minutes, hours, days', () => {
    assert.equal(relative(100, 100), 'now');
    assert.equal(relative(160, 100), 'in 1 minute');
    assert.equal(relative(100 + 3900, 100), 'in 65 minutes');
    assert.equal(relative(100 + 86400 + 300, 100), 'in 1445 minutes, about 24 hours');
    assert.equal(relative(100 + 5 * 86400, 100), 'in 7200 minutes, about 5 days');
  });
});
