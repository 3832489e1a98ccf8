/**
 * The background WAL fsync (zone-store/wal-flusher.ts): it syncs what exists, skips files that do
 * not (yet) exist without a word, reports any other failure once per file, stops when told, and a
 * writer store started with it runs and closes normally.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWalFlusher } from '../../../zone-store/wal-flusher.js';
import { openSqliteStore } from '../../../zone-store/index.js';
import { tlsaSet } from './contract.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('zone-store WAL flusher', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idzone-walflush-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('skips missing WAL files silently and reports another failure once per file', async () => {
    writeFileSync(join(dir, 'a.sqlite-wal'), 'x');
    writeFileSync(join(dir, 'plain'), 'not a directory');
    const errors: string[] = [];
    const f = startWalFlusher([join(dir, 'a.sqlite'), join(dir, 'missing.sqlite'), join(dir, 'plain', 'b.sqlite')], 10, (path, err) => {
      errors.push(`${path} ${(err as NodeJS.ErrnoException).code}`);
    });
    await sleep(120);
    f.stop();
    assert.deepEqual(errors, [`${join(dir, 'plain', 'b.sqlite')}-wal ENOTDIR`]);
  });

  it('stops: no round starts after stop()', async () => {
    const errors: string[] = [];
    const f = startWalFlusher([join(dir, 'plain', 'b.sqlite')], 10, (p) => errors.push(p));
    writeFileSync(join(dir, 'plain'), 'x');
    f.stop();
    await sleep(60);
    assert.deepEqual(errors, []);
  });

  it('runs beside a writer store and stops with it', async () => {
    const store = openSqliteStore(join(dir, 'data'), { walFlushMs: 5, onWalFlushError: (p, e) => assert.fail(`${p}: ${e.message}`) });
    const Z = '_device.example.net.';
    store.createZone(Z);
    for (let i = 0; i < 50; i++) {
      store.applyChanges(Z, [{ op: 'put', owner: `d${i}.${Z}`, rrsets: [tlsaSet(i + 1)] }]);
      if (i % 10 === 0) await sleep(6);
    }
    store.close();
    await sleep(30);
    const again = openSqliteStore(join(dir, 'data'), { readonly: true });
    assert.equal(again.countNames(again.getZone(Z)!), 50);
    again.close();
  });
});
