/**
 * A shard with one damaged page: reads of that page fail with the shard file's name, and the process
 * lives on. Ending the turn's read snapshot (a COMMIT from setImmediate) failed too, and that throw
 * ended the process on every query touching the page (a review's garbled leaf page: with one worker,
 * DNS and the API went down together; with two, each such query killed a worker).
 */
import assert from 'node:assert/strict';
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RrType } from '../../../core/rr-types.js';
import { CATALOG_FILE, isStoreError, openSqliteStore, shardFile, shardOf, StoreErrorCode } from '../../../zone-store/index.js';

const ZONE = '_device.example.net.';
const PAGE = 4096;

describe('zone-store: a damaged shard page', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'idzone-damaged-'));
    const store = openSqliteStore(dir, { shards: 2 });
    store.createZone(ZONE, { signed: false });
    const rdata = Buffer.concat([Buffer.from([3, 1, 1]), Buffer.alloc(32, 7)]);
    const changes = Array.from({ length: 3000 }, (_, i) => ({ op: 'put' as const, owner: `d${i}.${ZONE}`, rrsets: [{ type: RrType.TLSA, ttl: 60, rdatas: [rdata] }] }));
    store.applyChanges(ZONE, changes);
    store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fails the reads of that page naming the file, keeps serving the rest, and never throws from the event loop', async () => {
    const victim = `d1234.${ZONE}`;
    const file = join(dir, shardFile(shardOf(victim, 2)));
    const bytes = readFileSync(file);
    // Every page holding the owner (its row, and any index entry): garbled past the page header.
    const pages = new Set<number>();
    for (let at = bytes.indexOf(victim); at >= 0; at = bytes.indexOf(victim, at + 1)) pages.add(Math.floor(at / PAGE));
    assert.ok(pages.size > 0, 'the owner is stored in its shard file');
    const fd = openSync(file, 'r+');
    for (const page of pages) writeSync(fd, Buffer.alloc(PAGE - 200, 0xa5), 0, PAGE - 200, page * PAGE + 100);
    closeSync(fd);

    const store = openSqliteStore(dir);
    try {
      const zone = store.getZone(ZONE)!;
      let failures = 0;
      for (let round = 0; round < 3; round++) {
        try {
          store.getNode(zone, victim);
        } catch (e) {
          failures++;
          assert.ok((e as Error).message.includes(file), (e as Error).message);
        }
        // The turn ends: the shared read snapshot is released from setImmediate.
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.equal(failures, 3);
      // Names in the other shard are still read.
      const other = Array.from({ length: 50 }, (_, i) => `d${i}.${ZONE}`).find((n) => shardOf(n, 2) !== shardOf(victim, 2))!;
      assert.equal(store.getNode(zone, other)?.owner, other);
    } finally {
      store.close();
    }
  });

  describe('files gone or emptied', () => {
    const copy = (): string => {
      const d = mkdtempSync(join(tmpdir(), 'idzone-damaged-copy-'));
      cpSync(dir, d, { recursive: true });
      return d;
    };

    it('a missing catalog beside shards that hold rows is refused, not taken for a new directory', () => {
      const d = copy();
      try {
        rmSync(join(d, CATALOG_FILE));
        rmSync(join(d, `${CATALOG_FILE}-wal`), { force: true });
        assert.throws(() => openSqliteStore(d), (e: unknown) => isStoreError(e, StoreErrorCode.CORRUPT) && /catalog\.sqlite is missing, but .*shard-0\d\.sqlite holds data/.test((e as Error).message));
      } finally {
        rmSync(d, { recursive: true, force: true });
      }
    });

    it('a missing catalog beside zone keys is refused; a creation cut short (empty shards, no keys) is reused', () => {
      const d = mkdtempSync(join(tmpdir(), 'idzone-damaged-keys-'));
      try {
        openSqliteStore(d, { shards: 2 }).close();
        rmSync(join(d, CATALOG_FILE));
        // Shards with a schema and no rows, no keys: what a creation interrupted before the rename leaves.
        openSqliteStore(d, { shards: 2 }).close();
        rmSync(join(d, CATALOG_FILE));
        mkdirSync(join(d, 'keys', 'z.example'), { recursive: true });
        assert.throws(() => openSqliteStore(d), /catalog\.sqlite is missing, but .*keys holds data/);
      } finally {
        rmSync(d, { recursive: true, force: true });
      }
    });

    it('a file that is not a database any more is named in the error (SQLite names no file)', () => {
      const d = copy();
      try {
        for (const name of [shardFile(0), CATALOG_FILE]) {
          const file = join(d, name);
          for (const f of [`${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
          const fd = openSync(file, 'r+');
          writeSync(fd, Buffer.alloc(100, 0x5a), 0, 100, 0);
          closeSync(fd);
          assert.throws(() => openSqliteStore(d), (e: unknown) => (e as Error).message.startsWith(`${file}: `), name);
        }
      } finally {
        rmSync(d, { recursive: true, force: true });
      }
    });

    it("a shard copied in from another data directory is refused (its names were served and re-signed with this directory's keys)", () => {
      const a = copy();
      const b = mkdtempSync(join(tmpdir(), 'idzone-damaged-other-'));
      try {
        openSqliteStore(a).close();
        const other = openSqliteStore(b, { shards: 2 });
        other.createZone('_device.example.org.', { signed: false });
        other.close();
        for (const f of [shardFile(1), `${shardFile(1)}-wal`, `${shardFile(1)}-shm`]) rmSync(join(a, f), { force: true });
        cpSync(join(b, shardFile(1)), join(a, shardFile(1)));
        assert.throws(() => openSqliteStore(a), (e: unknown) => isStoreError(e, StoreErrorCode.CORRUPT) && /shard-01\.sqlite belongs to another data directory/.test((e as Error).message));
        assert.throws(() => openSqliteStore(a, { readonly: true }), /belongs to another data directory/);
      } finally {
        rmSync(a, { recursive: true, force: true });
        rmSync(b, { recursive: true, force: true });
      }
    });

    it('a shard truncated to 0 bytes is refused, naming it, not opened as an empty shard', () => {
      const d = copy();
      try {
        const victim = join(d, shardFile(1));
        for (const f of [`${victim}-wal`, `${victim}-shm`]) rmSync(f, { force: true });
        truncateSync(victim, 0);
        assert.throws(() => openSqliteStore(d), (e: unknown) => isStoreError(e, StoreErrorCode.CORRUPT) && (e as Error).message.includes(victim));
      } finally {
        rmSync(d, { recursive: true, force: true });
      }
    });
  });
});
