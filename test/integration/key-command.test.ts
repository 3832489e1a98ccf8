/**
 * `idzone key status|rollover|ds-seen`: offline on a data directory (writer lock, synchronous
 * re-sign) and through a live server's API when server.json names a live writer; exit codes 0 done,
 * 1 refused (with what it waits for, or when it is safe), 2 usage; --help on each command. The KSK
 * retire step waits for "key ds-seen" and then the parent's DS TTL (time moved by shifting
 * Date.now, which the CLI's offline clock reads); a ZSK whose private file is gone is not activated.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/** Moves the clock the CLI reads (Date.now) `seconds` ahead until the returned function is called. */
function shiftClock(seconds: number): () => void {
  const real = Date.now;
  Date.now = () => real() + seconds * 1000;
  return () => {
    Date.now = real;
  };
}

/** The key file (data-dir relative) of the first key of `zone` in `state`. */
function keyFile(dataDir: string, zone: string, state: string): string {
  const store = openSqliteStore(dataDir, { readonly: true });
  try {
    return store.listKeys(store.getZone(zone)!).find((k) => k.state === state)!.privateFile;
  } finally {
    store.close();
  }
}

function keyStates(dataDir: string, zone = ZONE): string[] {
  const store = openSqliteStore(dataDir, { readonly: true });
  try {
    return store
      .listKeys(store.getZone(zone)!)
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
      for (const args of [['key', '--help'], ['key', 'status', '--help'], ['key', 'rollover', '--help'], ['key', 'ds-seen', '--help']]) {
        const r = await cli(args);
        assert.equal(r.code, 0, args.join(' '));
        assert.match(r.out, /Usage: idzone key/);
      }
      assert.match((await cli(['key', 'rollover', '--help'])).out, /--zsk[\s\S]*--ksk[\s\S]*--force[\s\S]*--parent-ds-ttl/);
      assert.match((await cli(['key', 'ds-seen', '--help'])).out, /--since[\s\S]*--parent-ds-ttl/);
      assert.match((await cli(['key', '--help'])).out, /ds-seen ZONE/);
      assert.equal((await cli(['key', 'rollover', '--data-dir', dataDir, ZONE, '--zsk', '--parent-ds-ttl', '3600'])).code, 2, '--parent-ds-ttl is for --ksk');
      assert.equal((await cli(['key', 'rollover', '--data-dir', dataDir, ZONE, '--ksk', '--parent-ds-ttl', '1h'])).code, 2, 'seconds only');
      assert.equal((await cli(['key', 'ds-seen', '--data-dir', dataDir, ZONE, '--since', 'yesterday'])).code, 2);
      assert.equal((await cli(['key', 'ds-seen', '--data-dir', dataDir])).code, 2, 'no zone');
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

    it('KSK rollover prints the DS records the parent should hold; a forced early retire warns', async () => {
      const p = await cli(['key', 'rollover', '--data-dir', dataDir, ZONE, '--ksk']);
      assert.equal(p.code, 0, p.err);
      assert.equal(p.out.match(/IN DS /g)?.length, 2, p.out);
      assert.match(p.out, /safe: not yet/);
      assert.match(p.out, /waiting for: your confirmation that the parent serves the DS for KSK \d+/);
      assert.match(p.out, /then: idzone key ds-seen z\.example\./);
      const r = await cli(['key', 'rollover', '--data-dir', dataDir, ZONE, '--ksk', '--force']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /took step "retire"/);
      assert.match(r.err, /warning: KSK rollover step "retire" of z\.example\. was forced although it waits for your confirmation/);
      assert.equal(r.out.match(/IN DS /g)?.length, 1, r.out);
    });

    it('KSK retire: refused after the DNSKEY TTL until "key ds-seen", then until the parent DS TTL has passed since', async () => {
      const K = 'k.example.';
      assert.equal((await cli(['zone', 'create', '--data-dir', dataDir, K])).code, 0);
      assert.equal((await cli(['key', 'rollover', '--data-dir', dataDir, K, '--ksk'])).code, 0);
      // An hour and a bit later the DNSKEY TTL has passed (what the step used to wait for, alone).
      let restore = shiftClock(3600 + 300 + 60);
      try {
        const early = await cli(['key', 'rollover', '--data-dir', dataDir, K, '--ksk']);
        assert.equal(early.code, 1, `retire must wait for the parent's DS: ${early.out}`);
        assert.match(early.err, /ERR_ROLLOVER_NOT_SAFE/);
        assert.match(early.err, /waits for your confirmation that the parent serves the DS/);
        assert.match(early.err, /safe: not yet/);
        assert.doesNotMatch(early.err, /safe: now/);
        assert.deepEqual(keyStates(dataDir, K), ['ksk:active', 'ksk:active', 'zsk:active']);
        const seen = await cli(['key', 'ds-seen', '--data-dir', dataDir, K, '--parent-ds-ttl', '3600']);
        assert.equal(seen.code, 0, seen.err);
        assert.match(seen.out, /the parent serves the DS for KSK \d+ since \S+ \(parent's DS TTL 3600 s\)/);
        assert.match(seen.out, /safe: \S+ \(in 65 minutes\)/);
        const st = await cli(['key', 'status', '--data-dir', dataDir, K]);
        assert.match(st.out, /parent's DS TTL: 3600 s; the parent serves the new DS since \S+ \(confirmed\)/);
        assert.doesNotMatch(st.out.split('KSK:')[1]!, /waiting for/);
        const tooSoon = await cli(['key', 'rollover', '--data-dir', dataDir, K, '--ksk']);
        assert.equal(tooSoon.code, 1);
        assert.match(tooSoon.err, /safe: \d{4}-\d\d-\d\dT[\d:.]+Z \(in 65 minutes\)/);
      } finally {
        restore();
      }
      restore = shiftClock(3600 + 300 + 60 + 3600 + 300 + 1);
      try {
        const retire = await cli(['key', 'rollover', '--data-dir', dataDir, K, '--ksk']);
        assert.equal(retire.code, 0, retire.err);
        assert.match(retire.out, /took step "retire"/);
        assert.equal(retire.err, '', 'no warning for a step taken when safe');
        assert.match(retire.out, /parent's DS TTL: 3600 s/);
        assert.match(retire.out, /safe: \S+ \(in 65 minutes\)/, 'remove waits for the same DS TTL');
      } finally {
        restore();
      }
      assert.equal((await cli(['key', 'ds-seen', '--data-dir', dataDir, K])).code, 1, 'nothing waits for a DS after retire');
    });

    it('ZSK activate is refused (even with --force) when the new key file does not load, naming it', async () => {
      const M = 'm.example.';
      assert.equal((await cli(['zone', 'create', '--data-dir', dataDir, M])).code, 0);
      assert.equal((await cli(['key', 'rollover', '--data-dir', dataDir, M, '--zsk'])).code, 0);
      const file = keyFile(dataDir, M, 'published');
      renameSync(join(dataDir, file), join(dataDir, `${file}.moved`));
      const restore = shiftClock(3600 + 300 + 1);
      try {
        const st = await cli(['key', 'status', '--data-dir', dataDir, M]);
        assert.match(st.out, /safe: not yet/);
        assert.ok(st.out.includes(`waiting for: the private key of the new ZSK`) && st.out.includes(file), st.out);
        for (const extra of [[], ['--force']]) {
          const r = await cli(['key', 'rollover', '--data-dir', dataDir, M, '--zsk', ...extra]);
          assert.equal(r.code, 1, `activate ${extra.join(' ')} must be refused: ${r.out}`);
          assert.ok(r.err.includes(file), r.err);
        }
        assert.deepEqual(keyStates(dataDir, M), ['ksk:active', 'zsk:active', 'zsk:published']);
        renameSync(join(dataDir, `${file}.moved`), join(dataDir, file));
        assert.equal((await cli(['key', 'rollover', '--data-dir', dataDir, M, '--zsk'])).code, 0);
        assert.deepEqual(keyStates(dataDir, M), ['ksk:active', 'zsk:active', 'zsk:retired']);
      } finally {
        restore();
      }
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

    it('ds-seen and the KSK steps go through the API; a forced early step warns', async () => {
      const zone = '_device.example.net.';
      assert.equal((await cli(['key', 'rollover', '--data-dir', t.dataDir, zone, '--ksk', '--parent-ds-ttl', '7200'])).code, 0);
      const early = await cli(['key', 'rollover', '--data-dir', t.dataDir, zone, '--ksk']);
      assert.equal(early.code, 1);
      assert.match(early.err, /ERR_API_ROLLOVER_NOT_SAFE[\s\S]*waits for your confirmation[\s\S]*safe: not yet/);
      const seen = await cli(['key', 'ds-seen', '--data-dir', t.dataDir, zone]);
      assert.equal(seen.code, 0, seen.err);
      assert.match(seen.out, /parent's DS TTL 7200 s/);
      const ksk = t.server.rollovers.status(zone).ksk;
      assert.equal(ksk.parentDsTtl, 7200);
      assert.ok(ksk.dsSeenAt !== undefined && ksk.waitingFor === undefined);
      const forced = await cli(['key', 'rollover', '--data-dir', t.dataDir, zone, '--ksk', '--force']);
      assert.equal(forced.code, 0, forced.err);
      assert.match(forced.out, /took step "retire"/);
      assert.match(forced.err, /warning: .*was forced although it is not safe before/);
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
