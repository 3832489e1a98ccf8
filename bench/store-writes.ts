/**
 * Where a single-name write spends its time inside the store, with no HTTP in the way: what the
 * API's sequential PUT and DELETE pay per request on top of node:http. In-process, on a fresh data
 * directory with one signed zone (KSK + ZSK, P-256), N single-name `applyChanges` calls per phase:
 * new names, replaced names, deleted names. Each call is split at the store's own crash-test hooks
 * (failpoints) into: signing (the NodeSigner, timed around the store's call), plan + catalog commit
 * (the rest up to "catalog-committed"), and the shard commit(s). Two floors are measured in the same
 * run for comparison: one raw P-256 signature with node:crypto, and one minimal SQLite commit (WAL,
 * synchronous=NORMAL, one small row) on the same disk.
 *
 *   node dist/bench/store-writes.js [--names 3000] [--out bench/out]
 */
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, sign } from 'node:crypto';
import Database from 'better-sqlite3';
import { openSqliteStore, type FailPoint } from '../zone-store/index.js';
import type { NodeSigner } from '../zone-store/types.js';
import { openDatabase } from '../zone-store/sqlite-open.js';
import { KeyService } from '../server/dnssec/key-service.js';
import { RrType } from '../core/rr-types.js';
import { benchEnvironment, formatTable, percentiles, progress, writeJsonReport } from './bench-report.js';

const ZONE = '_device.writes.bench.example.';

interface PhaseReport {
  phase: string;
  names: number;
  totalUs: number;
  medianUs: number;
  p99Us: number;
  signUs: number;
  catalogUs: number;
  shardsUs: number;
}

function main(): void {
  const { values } = parseArgs({ options: { names: { type: 'string', default: '3000' }, out: { type: 'string', default: 'bench/out' } } });
  const names = Number(values.names);
  if (!Number.isInteger(names) || names < 1 || names > 1_000_000) throw new Error('--names must be an integer in 1..1000000');
  const env = benchEnvironment('store-writes');
  const dir = mkdtempSync(join(tmpdir(), 'idzone-store-writes-'));
  try {
    const floors = { p256SignUs: rawSignUs(), sqliteCommitUs: rawCommitUs(dir) };
    const phases = runPhases(dir, names);
    const rows = [['phase', 'µs per write', 'median', 'p99', 'signing', 'plan + catalog commit', 'shard commit']];
    for (const p of phases) rows.push([p.phase, p.totalUs.toFixed(0), p.medianUs.toFixed(0), p.p99Us.toFixed(0), p.signUs.toFixed(0), p.catalogUs.toFixed(0), p.shardsUs.toFixed(0)]);
    process.stdout.write(formatTable(`single-name writes in the store, ${names} names per phase (no HTTP)`, rows));
    process.stdout.write(formatTable('floors measured in the same run', [
      ['operation', 'µs'],
      ['one P-256 signature (node:crypto)', floors.p256SignUs.toFixed(1)],
      ['one minimal SQLite commit (WAL, synchronous=NORMAL)', floors.sqliteCommitUs.toFixed(1)],
    ]));
    const file = writeJsonReport(values.out, 'store-writes', { env, names, floors, phases });
    progress(`report written to ${file}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runPhases(dir: string, names: number): PhaseReport[] {
  let mark = 0n;
  let catalogAt = 0n;
  let lastShardAt = 0n;
  const store = openSqliteStore(join(dir, 'data'), {
    failpoint: (p: FailPoint) => {
      if (p.at === 'catalog-committed') catalogAt = process.hrtime.bigint();
      else lastShardAt = process.hrtime.bigint();
    },
  });
  try {
    const keys = new KeyService({ dataDir: join(dir, 'data'), store, log: () => {}, clock: () => Math.floor(Date.now() / 1000) });
    let signNs = 0n;
    const timed: NodeSigner = {
      signNode: (zone, owner, rrsets, descendants, previous) => {
        const t = process.hrtime.bigint();
        try {
          return keys.registry.signNode(zone, owner, rrsets, descendants, previous);
        } finally {
          signNs += process.hrtime.bigint() - t;
        }
      },
    };
    store.setSigner(timed);
    keys.createZoneKeys(store.createZone(ZONE));
    const tlsa = (i: number, v: number): Buffer => Buffer.from(`030101${(i * 7919 + v).toString(16).padStart(64, '0')}`, 'hex');
    const owner = (i: number): string => `dev${String(i).padStart(7, '0')}.${ZONE}`;
    const phase = (label: string, write: (i: number) => void): PhaseReport => {
      progress(`${label}: ${names} single-name writes`);
      const each: number[] = [];
      let sign = 0n;
      let catalog = 0n;
      let shards = 0n;
      for (let i = 0; i < names; i++) {
        signNs = 0n;
        mark = process.hrtime.bigint();
        catalogAt = mark;
        lastShardAt = mark;
        write(i);
        const end = process.hrtime.bigint();
        each.push(Number(end - mark) / 1e3);
        sign += signNs;
        catalog += catalogAt - mark - signNs;
        shards += lastShardAt > catalogAt ? lastShardAt - catalogAt : 0n;
      }
      const p = percentiles(each)!;
      const per = (ns: bigint): number => Number(ns) / 1e3 / names;
      return { phase: label, names, totalUs: each.reduce((a, b) => a + b, 0) / names, medianUs: p.median, p99Us: p.p99, signUs: per(sign), catalogUs: per(catalog), shardsUs: per(shards) };
    };
    return [
      phase('PUT new name', (i) => store.applyChanges(ZONE, [{ op: 'put', owner: owner(i), rrsets: [{ type: RrType.TLSA, ttl: 60, rdatas: [tlsa(i, 1)] }] }])),
      phase('PUT replace', (i) => store.applyChanges(ZONE, [{ op: 'put', owner: owner(i), rrsets: [{ type: RrType.TLSA, ttl: 60, rdatas: [tlsa(i, 2)] }] }])),
      phase('DELETE', (i) => store.applyChanges(ZONE, [{ op: 'delete', owner: owner(i) }])),
    ];
  } finally {
    store.close();
  }
}

function rawSignUs(): number {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.alloc(180, 7);
  const n = 5000;
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return Number(process.hrtime.bigint() - t) / 1e3 / n;
}

/** One small row per commit through the same open path (pragmas) as every idzone database. */
function rawCommitUs(dir: string): number {
  const db: Database.Database = openDatabase(join(dir, 'floor.sqlite'), false);
  try {
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)');
    const ins = db.prepare<[Buffer]>('INSERT INTO t (v) VALUES (?)');
    const tx = db.transaction((v: Buffer) => ins.run(v));
    const n = 5000;
    const v = Buffer.alloc(200);
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) tx.immediate(v);
    return Number(process.hrtime.bigint() - t) / 1e3 / n;
  } finally {
    db.close();
  }
}

main();
