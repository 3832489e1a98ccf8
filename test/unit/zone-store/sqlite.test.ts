/**
 * Runs the zone-store contract battery against SqliteZoneStore (a fresh data directory per case),
 * then the SQLite-only behaviour: persistence across reopen, a read-only handle seeing the writer's
 * commits, crash recovery through the redo log (failpoints after the catalog commit and between shard
 * commits), schema-version refusal, shard layout and spread, and a bulk-import timing printout.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readFileSync, statSync } from 'node:fs';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ancestorsBelow } from '../../../core/names.js';
import { createMemoryStore, openSqliteStore, StoreErrorCode, isStoreError, shardFile, shardOf } from '../../../zone-store/index.js';
import type { FailPoint, NameChange, SqliteStoreOptions, SqliteZoneStore } from '../../../zone-store/index.js';
import { CATALOG_MIGRATIONS } from '../../../zone-store/migrations.js';
import { NOW, runContract, tlsaSet } from './contract.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'idzone-store-'));
}

runContract('sqlite', (opts) => {
  const dir = tempDir();
  const store = openSqliteStore(dir, { shards: 4, ...opts });
  return {
    store,
    cleanup: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const Z = '_device.example.net.';

function puts(owners: readonly string[], seed = 1): NameChange[] {
  return owners.map((owner) => ({ op: 'put' as const, owner, rrsets: [tlsaSet(seed)] }));
}

describe('zone-store sqlite specifics', () => {
  let dir: string;
  const open: SqliteZoneStore[] = [];
  const openStore = (opts: SqliteStoreOptions = {}): SqliteZoneStore => {
    const s = openSqliteStore(dir, { now: () => NOW, ...opts });
    open.push(s);
    return s;
  };

  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores what the memory store holds after batches mixing long runs of puts with ENT counts and deletes', () => {
    // One shard, so a batch's ops for it hold runs of more than 64 puts (one multi-row INSERT each)
    // broken by ENT count updates and deletes, which go row by row.
    const s = openStore({ shards: 1 });
    const m = createMemoryStore({ now: () => NOW });
    const owners = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `h${from + i}.u${(from + i) % 7}.${Z}`);
    const batches: NameChange[][] = [
      puts(owners(0, 150)),
      [...puts(owners(150, 400), 2), ...owners(0, 40).map((owner) => ({ op: 'delete' as const, owner })), ...puts(owners(40, 45), 3)],
      [...puts([...owners(400, 480), `x.u3.${Z}`], 4), ...owners(100, 150).map((owner) => ({ op: 'delete' as const, owner }))],
    ];
    for (const store of [s, m]) {
      store.createZone(Z);
      for (const b of batches) store.applyChanges(Z, b);
    }
    const zs = s.getZone(Z)!;
    const zm = m.getZone(Z)!;
    assert.equal(s.countNames(zs), m.countNames(zm));
    for (const o of [...owners(0, 480), `x.u3.${Z}`, ...Array.from({ length: 7 }, (_, i) => `u${i}.${Z}`)]) {
      assert.deepEqual(s.getNode(zs, o), m.getNode(zm, o), o);
    }
  });

  it('lays out catalog and shard files and keeps the recorded shard count', () => {
    const s = openStore({ shards: 3 });
    assert.equal(s.shardCount, 3);
    for (let i = 0; i < 3; i++) assert.ok(existsSync(join(dir, shardFile(i))));
    assert.ok(existsSync(join(dir, 'catalog.sqlite')));
    s.close();
    assert.equal(openStore({ shards: 16 }).shardCount, 3);
  });

  it('refuses a missing directory without create, and a missing shard file', () => {
    assert.throws(() => openSqliteStore(join(dir, 'nope'), { create: false }), (e: unknown) => isStoreError(e, StoreErrorCode.NOT_FOUND));
    assert.throws(() => openSqliteStore(join(dir, 'nope'), { readonly: true }), (e: unknown) => isStoreError(e, StoreErrorCode.NOT_FOUND));
    openStore({ shards: 2 }).close();
    rmSync(join(dir, shardFile(1)));
    assert.throws(() => openSqliteStore(dir), (e: unknown) => isStoreError(e, StoreErrorCode.CORRUPT));
  });

  it('persists zones, names, ENTs, journal, keys and tokens across reopen', () => {
    const s = openStore();
    s.createZone(Z);
    s.applyChanges(Z, puts(['a.b.' + Z, 'c.' + Z]));
    s.addToken({ hash: 'ff'.repeat(32), zones: ['*'], write: true, admin: true, description: 'root' });
    s.close();
    const r = openStore();
    const z = r.getZone(Z)!;
    assert.equal(z.serial, NOW + 1);
    assert.equal(r.countNames(z), 2);
    assert.equal(r.getNode(z, 'b.' + Z)!.descendants, 1);
    assert.equal(r.readJournal(z, NOW)!.length, 1);
    assert.equal(r.findToken('ff'.repeat(32))!.admin, true);
    assert.deepEqual(r.listNames(z, undefined, 10).map((n) => n.owner), ['a.b.' + Z, 'c.' + Z]);
  });

  it('keeps the re-signing record across reopen, and ignores one that is not well-formed', () => {
    const s = openStore();
    s.createZone(Z);
    s.recordResignPass(Z, { checkedAt: NOW, zskTags: [12345] });
    s.close();
    const r = openStore();
    assert.deepEqual(r.resignPass(Z), { checkedAt: NOW, zskTags: [12345] });
    r.close();
    const db = new Database(join(dir, 'catalog.sqlite'));
    db.prepare("UPDATE meta SET value = '{\"checkedAt\": 1.5, \"zskTags\": [1]}' WHERE key LIKE 'resign_pass:%'").run();
    db.close();
    assert.equal(openStore().resignPass(Z), undefined);
  });

  it('reads shard files through a memory map when asked to, and only then', () => {
    const mapped = (): string[] =>
      readFileSync('/proc/self/maps', 'utf8')
        .split('\n')
        .filter((l) => l.includes(dir) && /shard-\d+\.sqlite$/.test(l))
        .map((l) => l.slice(l.indexOf(dir)));
    const w = openStore({ shards: 2 });
    w.createZone(Z);
    w.applyChanges(Z, puts(['a.' + Z, 'b.' + Z, 'c.' + Z]));
    // Pages still in the WAL are read from it; a checkpoint puts them in the shard files.
    w.checkpoint();
    assert.ok(w.getNode(w.getZone(Z)!, 'a.' + Z));
    assert.deepEqual(mapped(), [], 'no map without mmapBytes');
    const r = openStore({ readonly: true, mmapBytes: 16 * 1024 * 1024 });
    const z = r.getZone(Z)!;
    for (const o of ['a.', 'b.', 'c.']) assert.ok(r.getNode(z, o + Z), o);
    assert.ok(mapped().length > 0, 'the reader maps the shard files it read');
    r.close();
    w.close();
  });

  it('gives a read-only handle the writer commits, and refuses writes on it', () => {
    const w = openStore();
    w.createZone(Z);
    const ro = openStore({ readonly: true });
    assert.equal(ro.getZone(Z)!.serial, NOW);
    w.applyChanges(Z, puts(['x.y.' + Z]));
    assert.equal(ro.getNode(ro.getZone(Z)!, 'x.y.' + Z)!.rrsets.length, 1);
    assert.equal(ro.getZone(Z)!.serial, NOW, 'the zone list changes only on refresh');
    ro.refresh();
    assert.equal(ro.getZone(Z)!.serial, NOW + 1);
    assert.throws(() => ro.applyChanges(Z, puts(['q.' + Z])), (e: unknown) => isStoreError(e, StoreErrorCode.READONLY));
    assert.throws(() => ro.createZone('other.'), (e: unknown) => isStoreError(e, StoreErrorCode.READONLY));
    w.close();
    ro.close();
    assert.throws(() => ro.getNode(ro.getZone(Z)!, 'x.y.' + Z), (e: unknown) => isStoreError(e, StoreErrorCode.CLOSED));
  });

  it('shares one read snapshot per turn of the event loop, ended by a write, by refresh() and by the next turn', async () => {
    const w = openStore({ shards: 1 });
    w.createZone(Z);
    const ro = openStore({ readonly: true });
    const zw = w.getZone(Z)!;
    const zr = ro.getZone(Z)!;
    const a = 'a.' + Z;
    // The writer's own reads see its writes at once: writing ends its snapshot first.
    assert.equal(w.getNode(zw, a), undefined);
    w.applyChanges(Z, puts([a]));
    assert.ok(w.getNode(zw, a), 'the writer reads its own write in the same turn');
    w.applyChanges(Z, [{ op: 'delete', owner: a }]);
    assert.equal(w.getNode(zw, a), undefined);
    // A reader's snapshot holds for the rest of the turn, until news of a write (refresh) ends it.
    assert.equal(ro.getNode(zr, a), undefined);
    w.applyChanges(Z, puts([a]));
    assert.equal(ro.getNode(zr, a), undefined, 'same turn, same snapshot');
    ro.refresh();
    assert.ok(ro.getNode(zr, a), 'refresh() ends the snapshot');
    // Without refresh, the next turn reads afresh.
    w.applyChanges(Z, [{ op: 'delete', owner: a }]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(ro.getNode(zr, a), undefined, 'a new turn, a new snapshot');
    // A snapshot ended with its turn does not hold up the writer's WAL truncation.
    await new Promise((resolve) => setImmediate(resolve));
    const t0 = Date.now();
    w.checkpoint();
    assert.ok(Date.now() - t0 < 1000, `checkpoint took ${Date.now() - t0} ms`);
    const wal = join(dir, `${shardFile(0)}-wal`);
    assert.equal(existsSync(wal) ? readFileSync(wal).length : 0, 0, 'the shard WAL was truncated');
    // Reads inside the writer's own transaction (planning, replay) never open a second one.
    assert.doesNotThrow(() => w.applyChanges(Z, puts(['b.' + Z, 'c.b.' + Z])));
    assert.ok(w.getNode(zw, 'c.b.' + Z));
  });

  it('keeps a shard WAL from growing while other processes read in back-to-back turns (RESTART checkpoint)', async function () {
    this.timeout(30_000);
    const limit = 512 * 1024;
    const w = openStore({ shards: 1, walRestartBytes: limit });
    w.createZone(Z);
    const count = 2000;
    const put = (i: number, v: number): NameChange => ({ op: 'put', owner: `n${i}.${Z}`, rrsets: [tlsaSet(v)] });
    w.applyChanges(Z, Array.from({ length: count }, (_, i) => put(i, i)));
    const script = fileURLToPath(new URL('../../helpers/busy-reader.js', import.meta.url));
    const readers = [0, 1].map(() => fork(script, [dir, Z, String(count)], { stdio: 'ignore' }));
    try {
      await Promise.all(readers.map((r) => new Promise((resolve, reject) => {
        r.once('message', resolve);
        r.once('exit', (code) => reject(new Error(`reader exited with ${code}`)));
      })));
      const wal = join(dir, `${shardFile(0)}-wal`);
      let largest = 0;
      const end = Date.now() + 3000;
      for (let k = 0; Date.now() < end && k < 100_000; k++) {
        w.applyChanges(Z, Array.from({ length: 50 }, (_, i) => put((k * 50 + i) % count, k * 50 + i + count)));
        largest = Math.max(largest, statSync(wal).size);
        await new Promise((resolve) => setImmediate(resolve));
      }
      // Without the RESTART checkpoint, the WAL grows by megabytes per second here.
      assert.ok(largest < limit + 1024 * 1024, `WAL reached ${largest} bytes with a ${limit}-byte limit`);
    } finally {
      for (const r of readers) r.kill();
    }
  });

  it('sees a token changed or deleted by another connection on the next lookup (token cache)', () => {
    const w = openStore();
    const hash = 'ab'.repeat(32);
    const t = w.addToken({ hash, zones: [Z], write: true, admin: false, description: '' });
    assert.deepEqual(w.findToken(hash), t);
    const mutated = w.findToken(hash)!;
    mutated.zones.push('*');
    mutated.write = false;
    assert.deepEqual(w.findToken(hash), t, 'a caller changing a returned record does not change the cache');
    // Another process (here: another connection) narrows and then removes the token.
    const other = new Database(join(dir, 'catalog.sqlite'));
    try {
      other.prepare('UPDATE tokens SET write = 0 WHERE hash = ?').run(hash);
      assert.equal(w.findToken(hash)!.write, false);
      other.prepare('DELETE FROM tokens WHERE hash = ?').run(hash);
      assert.equal(w.findToken(hash), undefined);
    } finally {
      other.close();
    }
    const t2 = w.addToken({ hash, zones: ['*'], write: false, admin: true, description: '' });
    assert.deepEqual(w.findToken(hash), t2);
    assert.equal(w.deleteToken(t2.id), true);
    assert.equal(w.findToken(hash), undefined, 'this connection\'s own delete clears the cache');
  });

  it('spreads names over every shard by the owner hash', () => {
    const s = openStore({ shards: 8 });
    s.createZone(Z);
    const owners = Array.from({ length: 400 }, (_, i) => `h${i}.${Z}`);
    s.applyChanges(Z, puts(owners));
    s.close();
    const counts: number[] = [];
    for (let i = 0; i < 8; i++) {
      const db = new Database(join(dir, shardFile(i)), { readonly: true });
      counts.push(db.prepare('SELECT count(*) FROM nodes').pluck().get() as number);
      db.close();
    }
    assert.equal(counts.reduce((a, b) => a + b, 0), 400);
    for (const c of counts) assert.ok(c > 20 && c < 80, `uneven spread ${counts.join(',')}`);
    assert.equal(counts[shardOf('h0.' + Z, 8)]! > 0, true);
  });

  it('refuses a database with a newer schema', () => {
    openStore().close();
    const db = new Database(join(dir, 'catalog.sqlite'));
    db.prepare("UPDATE meta SET value = 999 WHERE key = 'schema_version'").run();
    db.close();
    assert.throws(() => openSqliteStore(dir), (e: unknown) => isStoreError(e, StoreErrorCode.SCHEMA_TOO_NEW) && /999/.test(e.message));
    const cat = new Database(join(dir, 'catalog.sqlite'));
    cat.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(CATALOG_MIGRATIONS.length);
    cat.close();
    const shard = new Database(join(dir, shardFile(0)));
    shard.prepare("UPDATE meta SET value = 999 WHERE key = 'schema_version'").run();
    shard.close();
    assert.throws(() => openSqliteStore(dir), (e: unknown) => isStoreError(e, StoreErrorCode.SCHEMA_TOO_NEW) && /shard/.test(e.message));
  });

  it('migrates a version-1 catalog and keeps its journal, zones and tokens', () => {
    const s = openStore({ shards: 4 });
    s.createZone(Z);
    s.applyChanges(Z, puts(['a.' + Z, 'b.' + Z]));
    s.applyChanges(Z, [{ op: 'delete', owner: 'a.' + Z }]);
    s.addToken({ hash: 'ee'.repeat(32), zones: [Z], write: false, admin: false, description: 'reader' });
    s.close();
    // Rebuild the journal tables the way schema version 1 made them (AUTOINCREMENT, two indexes,
    // a rowid journal), rows included, and mark the file as version 1.
    const db = new Database(join(dir, 'catalog.sqlite'));
    db.exec(`
      CREATE TABLE jv1 (id INTEGER PRIMARY KEY AUTOINCREMENT, zone_id INTEGER NOT NULL,
        from_serial INTEGER NOT NULL, to_serial INTEGER NOT NULL, rows INTEGER NOT NULL);
      INSERT INTO jv1 SELECT id, zone_id, from_serial, to_serial, rows FROM journal_versions;
      DROP TABLE journal_versions;
      ALTER TABLE jv1 RENAME TO journal_versions;
      CREATE INDEX journal_versions_zone ON journal_versions (zone_id);
      CREATE INDEX journal_versions_from ON journal_versions (zone_id, from_serial);
      CREATE TABLE j1 (version_id INTEGER NOT NULL, chunk INTEGER NOT NULL, rrs BLOB NOT NULL, PRIMARY KEY (version_id, chunk));
      INSERT INTO j1 SELECT version_id, chunk, rrs FROM journal;
      DROP TABLE journal;
      ALTER TABLE j1 RENAME TO journal;
      ALTER TABLE zones DROP COLUMN record_count;
      UPDATE meta SET value = 1 WHERE key = 'schema_version';
    `);
    assert.equal(db.prepare("SELECT count(*) FROM sqlite_sequence WHERE name = 'journal_versions'").pluck().get(), 1);
    db.close();
    const r = openStore();
    const z = r.getZone(Z)!;
    const steps = r.readJournal(z, NOW)!;
    assert.deepEqual(steps.map((e) => [e.fromSerial, e.toSerial, e.added.length, e.deleted.length]), [[NOW, NOW + 1, 2, 0], [NOW + 1, NOW + 2, 0, 1]]);
    assert.equal(r.readJournal(z, NOW + 1)!.length, 1);
    r.applyChanges(Z, puts(['c.' + Z]));
    assert.deepEqual(r.readJournal(z, NOW + 2)!.map((e) => e.added.map((rr) => rr.owner)), [['c.' + Z]]);
    assert.equal(r.findToken('ee'.repeat(32))!.write, false);
    r.close();
    const after = new Database(join(dir, 'catalog.sqlite'), { readonly: true });
    assert.equal(after.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), CATALOG_MIGRATIONS.length);
    const sql = (name: string): string => after.prepare("SELECT sql FROM sqlite_master WHERE name = ?").pluck().get(name) as string;
    assert.match(sql('journal'), /WITHOUT ROWID/);
    assert.doesNotMatch(sql('journal_versions'), /AUTOINCREMENT/);
    assert.equal(after.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'journal_versions_from'").pluck().get(), 0);
    after.close();
  });

  it('migrates a version-2 catalog: the writer counts each zone\'s records once, then keeps the count', () => {
    const s = openStore({ shards: 4 });
    s.createZone(Z);
    s.applyChanges(Z, puts(['a.' + Z, 'b.' + Z, 'c.d.' + Z]));
    assert.equal(s.countRecords(s.getZone(Z)!), 3);
    s.close();
    const db = new Database(join(dir, 'catalog.sqlite'));
    db.exec(`ALTER TABLE zones DROP COLUMN record_count; UPDATE meta SET value = 2 WHERE key = 'schema_version';`);
    db.close();
    const r = openStore();
    assert.equal(r.countRecords(r.getZone(Z)!), 3, 'counted from the shards at open');
    r.applyChanges(Z, [{ op: 'delete', owner: 'a.' + Z }]);
    assert.equal(r.countRecords(r.getZone(Z)!), 2);
    r.close();
    const again = openStore();
    assert.equal(again.countRecords(again.getZone(Z)!), 2, 'stored, not recounted');
    again.close();
  });

  it('refuses a read-only open of a schema the writer has not migrated', () => {
    openStore().close();
    const db = new Database(join(dir, 'catalog.sqlite'));
    db.prepare("UPDATE meta SET value = 0 WHERE key = 'schema_version'").run();
    db.close();
    assert.throws(() => openSqliteStore(dir, { readonly: true }), (e: unknown) => isStoreError(e, StoreErrorCode.SCHEMA_TOO_OLD));
  });

  describe('crash recovery through the catalog redo log', () => {
    const owners = Array.from({ length: 60 }, (_, i) => `n${i}.g${i % 5}.${Z}`);

    function crashAt(match: (p: FailPoint) => boolean): void {
      let armed = false;
      const s = openStore({ shards: 4, failpoint: (p) => {
        if (armed && match(p)) throw new Error(`injected crash at ${JSON.stringify(p)}`);
      } });
      s.createZone(Z);
      s.applyChanges(Z, puts(owners.slice(0, 30)));
      armed = true;
      assert.throws(() => s.applyChanges(Z, [...puts(owners.slice(30)), { op: 'delete', owner: owners[0]! }]), /injected crash/);
      s.close();
    }

    function checkConsistent(s: SqliteZoneStore): void {
      const z = s.getZone(Z)!;
      assert.equal(z.serial, NOW + 2);
      assert.equal(s.countNames(z), 59);
      const live = owners.slice(1);
      const listed = [];
      let after: string | undefined;
      for (let i = 0; i < 20; i++) {
        const page = s.listNames(z, after, 16);
        if (page.length === 0) break;
        listed.push(...page.map((n) => n.owner));
        after = listed[listed.length - 1];
      }
      assert.deepEqual(listed, [...live].sort());
      const expected = new Map<string, number>();
      for (const o of live) for (const a of ancestorsBelow(o, Z)) expected.set(a, (expected.get(a) ?? 0) + 1);
      for (const [ent, n] of expected) assert.equal(s.getNode(z, ent)?.descendants, n, ent);
      assert.equal(s.getNode(z, owners[0]!), undefined);
      const db = new Database(join(dir, 'catalog.sqlite'), { readonly: true });
      assert.equal(db.prepare('SELECT count(*) FROM pending_ops').pluck().get(), 0);
      db.close();
    }

    it('announces the owners a replay wrote (a write whose shard step failed sent no change event, so caches kept the old answers)', () => {
      let armed = false;
      const s = openStore({ shards: 4, failpoint: (p) => {
        if (armed && p.at === 'catalog-committed') {
          armed = false;
          throw new Error('injected disk full');
        }
      } });
      s.createZone(Z);
      s.applyChanges(Z, puts(owners.slice(0, 3)));
      const changed: string[] = [];
      s.onEvent((e) => {
        if (e.kind === 'change') changed.push(...e.names);
      });
      armed = true;
      assert.throws(() => s.applyChanges(Z, [{ op: 'delete', owner: owners[1]! }]), /injected disk full/);
      assert.equal(changed.length, 0);
      assert.equal(s.hasUnappliedChanges(), true, 'healthz reports it (server/main.ts)');
      // The next write replays the committed delete first, and says so.
      s.applyChanges(Z, puts([owners[10]!]));
      assert.ok(changed.includes(owners[1]!), JSON.stringify(changed));
      assert.equal(s.hasUnappliedChanges(), false);
      assert.equal(s.getNode(s.getZone(Z)!, owners[1]!), undefined);
    });

    it('completes a change when the process dies after the catalog commit', () => {
      crashAt((p) => p.at === 'catalog-committed');
      checkConsistent(openStore());
    });

    it('completes a change when the process dies between shard commits, exactly once', () => {
      let seen = 0;
      crashAt((p) => p.at === 'shard-committed' && ++seen === 2);
      const s = openStore();
      checkConsistent(s);
      s.close();
      checkConsistent(openStore());
    });

    it('lets a reader opened after recovery see only whole changes', () => {
      crashAt((p) => p.at === 'shard-committed');
      openStore();
      checkConsistent(openStore({ readonly: true }));
    });

    it('keeps an applied batch in the redo log only until the next commit or a clean close; replay skips it', () => {
      const pendingRows = (): number => {
        const db = new Database(join(dir, 'catalog.sqlite'), { readonly: true });
        const n = db.prepare('SELECT count(*) FROM pending_ops').pluck().get() as number;
        db.close();
        return n;
      };
      const s = openStore({ shards: 4 });
      s.createZone(Z);
      s.applyChanges(Z, puts(owners.slice(0, 30)));
      const afterFirst = pendingRows();
      assert.ok(afterFirst > 0, 'the applied batch is still logged (cleared by the next commit)');
      s.applyChanges(Z, puts(owners.slice(30)));
      assert.ok(pendingRows() > 0 && pendingRows() <= 4, 'only the latest batch is logged');
      // A "crash" here: another writer opens without the first closing, and replays the log.
      const again = openStore();
      assert.equal(pendingRows(), 0);
      const z = again.getZone(Z)!;
      assert.equal(z.serial, NOW + 2);
      assert.equal(again.countNames(z), 60);
      again.applyChanges(Z, [{ op: 'delete', owner: owners[0]! }]);
      again.close();
      assert.equal(pendingRows(), 0, 'a clean close leaves an empty redo log');
      s.close();
    });

    it('numbers batches past every shard\'s applied batch after a clean reopen (no counter row is written)', () => {
      const applied = (): number[] =>
        Array.from({ length: 4 }, (_, i) => {
          const db = new Database(join(dir, shardFile(i)), { readonly: true });
          const v = Number(db.prepare("SELECT value FROM meta WHERE key = 'applied_batch'").pluck().get());
          db.close();
          return v;
        });
      const s = openStore({ shards: 4 });
      s.createZone(Z);
      for (const o of owners.slice(0, 20)) s.applyChanges(Z, puts([o]));
      s.close();
      const before = applied();
      assert.ok(Math.max(...before) >= 20, `shards applied ${before.join(',')}`);
      const catalog = new Database(join(dir, 'catalog.sqlite'), { readonly: true });
      assert.equal(catalog.prepare('SELECT count(*) FROM pending_ops').pluck().get(), 0);
      assert.equal(catalog.prepare("SELECT count(*) FROM meta WHERE key = 'last_batch'").pluck().get(), 0);
      catalog.close();
      // Every shard must take the next writes: a reused batch number would be skipped as applied.
      const again = openStore();
      for (const o of owners.slice(20, 40)) again.applyChanges(Z, puts([o], 2));
      again.applyChanges(Z, puts(owners.slice(0, 20), 3));
      const z = again.getZone(Z)!;
      assert.equal(again.countNames(z), 40);
      for (const o of owners.slice(0, 20)) assert.deepEqual(again.getNode(z, o)?.rrsets[0]?.rdatas, tlsaSet(3).rdatas, o);
      for (const o of owners.slice(20, 40)) assert.ok(again.getNode(z, o), o);
      const after = applied();
      for (let i = 0; i < 4; i++) assert.ok(after[i]! > before[i]!, `shard ${i}: ${before[i]} → ${after[i]}`);
    });

    it('recovers in the same process before the next write', () => {
      let armed = false;
      let seen = 0;
      const s = openStore({ shards: 4, failpoint: (p) => {
        if (armed && p.at === 'shard-committed' && ++seen === 1) throw new Error('injected');
      } });
      s.createZone(Z);
      s.applyChanges(Z, puts(owners.slice(0, 30)));
      armed = true;
      assert.throws(() => s.applyChanges(Z, [...puts(owners.slice(30)), { op: 'delete', owner: owners[0]! }]), /injected/);
      // An empty change writes nothing (no serial bump) but still recovers first.
      s.applyChanges(Z, []);
      const z = s.getZone(Z)!;
      assert.equal(z.serial, NOW + 2);
      assert.equal(s.countNames(z), 59);
      for (const o of owners.slice(1)) assert.ok(s.getNode(z, o), o);
    });
  });

  it('imports 100,000 names in batches of 10,000 (timing printout)', function () {
    this.timeout(120_000);
    const s = openStore({ shards: 8 });
    s.createZone(Z);
    const batch = 10_000;
    const total = 100_000;
    let ns = 0n;
    for (let b = 0; b < total / batch; b++) {
      // Input is built outside the timed region: the figure is the store's cost, not the test's.
      const changes: NameChange[] = [];
      for (let i = b * batch; i < (b + 1) * batch; i++) changes.push({ op: 'put', owner: `h${i}.u${i % 1000}.${Z}`, rrsets: [tlsaSet(i)] });
      const t0 = process.hrtime.bigint();
      s.applyChanges(Z, changes);
      ns += process.hrtime.bigint() - t0;
    }
    const ms = Number(ns) / 1e6;
    const t1 = process.hrtime.bigint();
    s.checkpoint();
    const cms = Number(process.hrtime.bigint() - t1) / 1e6;
    console.log(`      sqlite bulk import: ${total} names in ${ms.toFixed(0)} ms = ${Math.round(total / (ms / 1000))} names/s (checkpoint ${cms.toFixed(0)} ms)`);
    const z = s.getZone(Z)!;
    assert.equal(s.countNames(z), total);
    assert.equal(s.getNode(z, `u7.${Z}`)!.descendants, 100);
    s.close();
    const t2 = process.hrtime.bigint();
    const again = openStore();
    const oms = Number(process.hrtime.bigint() - t2) / 1e6;
    console.log(`      sqlite reopen with ${total} names: ${oms.toFixed(1)} ms`);
    assert.equal(again.countNames(again.getZone(Z)!), total);
  });
});
