/**
 * cli/export-command.ts: the apex SOA and NS first, every name through listNames pages, output that
 * BIND's named-checkzone accepts and that re-imports into an identical zone (export → import round
 * trip), RFC 3597 form for anything else, and back-pressure on a slow output.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { PassThrough, Writable } from 'node:stream';
import { ExportError, apexLines, rrsetLines, runExport } from '../../../cli/export-command.js';
import type { ExportStore } from '../../../cli/export-command.js';
import { runImport } from '../../../cli/import-command.js';
import { RrType } from '../../../core/rr-types.js';
import { createMemoryStore } from '../../../zone-store/memory-zone-store.js';
import { openSqliteStore } from '../../../zone-store/sqlite-zone-store.js';
import { join } from 'node:path';
import type { MemoryZoneStore } from '../../../zone-store/memory-zone-store.js';
import type { NameChange, StoredNode, ZoneInfo } from '../../../zone-store/types.js';
import { HEX32, HEX64, SSHFP_HEX, scratchDir, spkiHex } from './fixtures.js';

const ZONE = '_device.example.com.';
const hex = (h: string): Buffer => Buffer.from(h, 'hex');

function newStore(): MemoryZoneStore {
  const store = createMemoryStore({ now: () => 1_700_000_000 });
  store.createZone(ZONE, { ns: ['ns1.example.net.', 'ns2.example.org.'], mname: 'ns1.example.net.', rname: 'hostmaster.example.com.' });
  return store;
}

function populate(store: MemoryZoneStore): void {
  const changes: NameChange[] = [
    { op: 'put', owner: `sensor7.${ZONE}`, rrsets: [{ type: RrType.TLSA, ttl: 60, rdatas: [hex('030101' + HEX32), hex('030102' + HEX64), hex('030100' + spkiHex())] }] },
    { op: 'put', owner: `host.${ZONE}`, rrsets: [{ type: RrType.SSHFP, ttl: 300, rdatas: [hex('0402' + SSHFP_HEX), hex('0101' + 'aa'.repeat(20))] }, { type: RrType.TLSA, ttl: 300, rdatas: [hex('020002' + HEX64)] }] },
    { op: 'put', owner: `*.wild.${ZONE}`, rrsets: [{ type: RrType.TLSA, ttl: 120, rdatas: [hex('020001' + HEX32)] }] },
    { op: 'put', owner: `a\\.b.deep.er.${ZONE}`, rrsets: [{ type: RrType.TLSA, ttl: 60, rdatas: [hex('030101' + HEX32)] }] },
  ];
  for (let i = 0; i < 20; i++) changes.push({ op: 'put', owner: `d${i}.${ZONE}`, rrsets: [{ type: RrType.SSHFP, ttl: 60, rdatas: [hex('0402' + SSHFP_HEX)] }] });
  store.applyChanges(ZONE, changes);
}

function collect(): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
  return { stream, text: () => text };
}

async function exportText(store: ExportStore, pageSize?: number): Promise<string> {
  const out = collect();
  await runExport({ store, zone: ZONE, out: out.stream, ...(pageSize === undefined ? {} : { pageSize }) });
  return out.text();
}

function allNodes(store: MemoryZoneStore): { owner: string; rrsets: { type: number; ttl: number; rdatas: string[] }[] }[] {
  const info = store.getZone(ZONE)!;
  return store.listNames(info, undefined, 10000).map((n) => ({ owner: n.owner, rrsets: n.rrsets.map((r) => ({ type: r.type, ttl: r.ttl, rdatas: r.rdatas.map((b) => b.toString('hex')) })) }));
}

describe('cli/export-command', () => {
  it('starts with the apex SOA built from the settings and serial, then the NS set', async () => {
    const store = newStore();
    populate(store);
    const info = store.getZone(ZONE)!;
    const s = info.settings;
    const lines = (await exportText(store)).split('\n');
    assert.equal(lines[0], `${ZONE} ${s.soaTtl} IN SOA ns1.example.net. hostmaster.example.com. ${info.serial} ${s.soaRefresh} ${s.soaRetry} ${s.soaExpire} ${s.negativeTtl}`);
    assert.equal(lines[1], `${ZONE} ${s.nsTtl} IN NS ns1.example.net.`);
    assert.equal(lines[2], `${ZONE} ${s.nsTtl} IN NS ns2.example.org.`);
    assert.deepEqual(apexLines(info), lines.slice(0, 3).map((l) => l + '\n'));
  });

  it('writes output that named-checkzone accepts', async () => {
    const store = newStore();
    populate(store);
    const dir = scratchDir();
    try {
      const file = dir.write('export.zone', await exportText(store));
      const out = execFileSync('named-checkzone', ['-i', 'local', ZONE, file], { encoding: 'utf8' });
      assert.match(out, /loaded serial \d+\nOK/);
    } finally {
      dir.cleanup();
    }
  });

  it('round-trips: export, import into an empty zone, same names and RRsets, same export', async () => {
    const a = newStore();
    populate(a);
    const first = await exportText(a, 7);
    const b = newStore();
    const dir = scratchDir();
    try {
      const sink = new PassThrough().resume();
      const report = await runImport({ store: b, zone: ZONE, file: dir.write('z', first), out: sink, progress: false, batchSize: 5 });
      assert.deepEqual(report.rejected, []);
      assert.equal(report.skipped, 3, 'SOA and two NS');
      assert.equal(report.accepted, 24);
      assert.equal(report.records, 28);
    } finally {
      dir.cleanup();
    }
    assert.deepEqual(allNodes(b), allNodes(a));
    const second = await exportText(b, 1000);
    const body = (t: string): string => t.split('\n').slice(1).join('\n');
    assert.equal(body(second), body(first));
    assert.equal(first.split('\n').length - 1, 3 + 28);
  });

  it('pages through listNames with `after` and reports names, records and consistency', async () => {
    const store = newStore();
    populate(store);
    const calls: (string | undefined)[] = [];
    const spy: ExportStore = {
      getZone: (n) => store.getZone(n),
      listNames: (z, after, limit) => {
        calls.push(after);
        return store.listNames(z, after, limit);
      },
    };
    const out = collect();
    const report = await runExport({ store: spy, zone: ZONE, out: out.stream, pageSize: 10 });
    assert.equal(calls.length, 3);
    assert.equal(calls[0], undefined);
    assert.deepEqual(report, { zone: ZONE, serial: store.getZone(ZONE)!.serial, names: 24, records: 28, consistent: true });
  });

  it('flags an export during which the serial moved', async () => {
    const store = newStore();
    populate(store);
    const moving: ExportStore = {
      getZone: (n) => store.getZone(n),
      listNames: (z, after, limit) => {
        const page = store.listNames(z, after, limit);
        store.applyChanges(ZONE, [{ op: 'delete', owner: `d0.${ZONE}` }]);
        return page;
      },
    };
    const report = await runExport({ store: moving, zone: ZONE, out: collect().stream });
    assert.equal(report.consistent, false);
  });

  it('sees a writer\'s serial bump from a read-only store (idzone export beside a running server)', async () => {
    const scratch = scratchDir();
    const writer = openSqliteStore(join(scratch.dir, 'data'), { create: true });
    try {
      writer.createZone(ZONE);
      writer.applyChanges(ZONE, Array.from({ length: 30 }, (_, i): NameChange => ({ op: 'put', owner: `n${i}.${ZONE}`, rrsets: [{ type: RrType.SSHFP, ttl: 60, rdatas: [hex('0402' + SSHFP_HEX)] }] })));
      const reader = openSqliteStore(join(scratch.dir, 'data'), { readonly: true });
      try {
        const start = reader.getZone(ZONE)!.serial;
        const racing: ExportStore = {
          getZone: (n) => reader.getZone(n),
          refresh: () => reader.refresh(),
          listNames: (z, after, limit) => {
            const page = reader.listNames(z, after, limit);
            writer.applyChanges(ZONE, [{ op: 'delete', owner: `n${Math.floor(Math.random() * 30)}.${ZONE}` }]);
            return page;
          },
        };
        const report = await runExport({ store: racing, zone: ZONE, out: collect().stream, pageSize: 10 });
        assert.equal(report.consistent, false);
        assert.equal(report.serial, start);
        assert.ok(report.endSerial !== undefined && report.endSerial > start);
      } finally {
        reader.close();
      }
    } finally {
      writer.close();
      scratch.cleanup();
    }
  });

  it('writes other types in RFC 3597 generic form', () => {
    assert.deepEqual(rrsetLines(`x.${ZONE}`, { type: 99, ttl: 5, rdatas: [hex('0a0b'), Buffer.alloc(0)] }), [`x.${ZONE} 5 IN TYPE99 \\# 2 0A0B\n`, `x.${ZONE} 5 IN TYPE99 \\# 0\n`]);
    assert.deepEqual(rrsetLines(`x.${ZONE}`, { type: RrType.SSHFP, ttl: 5, rdatas: [hex('0402' + SSHFP_HEX)] }), [`x.${ZONE} 5 IN SSHFP 4 2 ${SSHFP_HEX.toUpperCase()}\n`]);
  });

  it('waits for drain on a slow output instead of buffering the zone', async () => {
    const store = newStore();
    populate(store);
    let written = '';
    let pendingMax = 0;
    const slow = new Writable({
      highWaterMark: 64,
      write(chunk: Buffer, _enc, cb) {
        written += chunk.toString('utf8');
        pendingMax = Math.max(pendingMax, slow.writableLength);
        setImmediate(cb);
      },
    });
    const report = await runExport({ store, zone: ZONE, out: slow, pageSize: 2 });
    assert.equal(written.split('\n').length - 1, 3 + report.records);
    assert.ok(pendingMax < 4096, `at most one page waits in the stream, saw ${pendingMax} bytes`);
  });

  it('refuses an unknown zone', async () => {
    const store = newStore();
    await assert.rejects(runExport({ store, zone: 'other.example.', out: collect().stream }), ExportError);
  });

  it('needs only getZone and listNames of a store', async () => {
    const info: ZoneInfo = { ...newStore().getZone(ZONE)!, serial: 9 };
    const node: StoredNode = { owner: `n.${ZONE}`, rrsets: [{ type: RrType.TLSA, ttl: 60, rdatas: [hex('030101' + HEX32)], sigs: [] }], descendants: 0, nsec3Sigs: [] };
    const fake: ExportStore = { getZone: () => info, listNames: (_z, after) => (after === undefined ? [node] : []) };
    const text = await exportText(fake);
    assert.equal(text.split('\n')[3], `n.${ZONE} 60 IN TLSA 3 1 1 ${HEX32.toUpperCase()}`);
  });
});
