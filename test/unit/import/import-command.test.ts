/**
 * cli/import-command.ts against the in-memory store: batches as single atomic applyChanges calls,
 * rejected lines reported by number while the rest is committed, merging with stored data and across
 * batches, NDJSON through the API's parser, format detection, progress output and failure reports.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { DEFAULT_BATCH_SIZE, ImportError, detectFormat, formatImportReport, runImport } from '../../../cli/import-command.js';
import type { ImportOptions, ImportReport, ImportStore } from '../../../cli/import-command.js';
import { formatProgressLine } from '../../../cli/progress.js';
import { RrType } from '../../../core/rr-types.js';
import { createMemoryStore } from '../../../zone-store/memory-zone-store.js';
import type { MemoryZoneStore } from '../../../zone-store/memory-zone-store.js';
import type { NameChange } from '../../../zone-store/types.js';
import { HEX32, HEX64, SSHFP_HEX, scratchDir } from './fixtures.js';

const ZONE = '_device.example.com.';

function sink(): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

function newStore(): MemoryZoneStore {
  const store = createMemoryStore({ now: () => 1_700_000_000 });
  store.createZone(ZONE);
  return store;
}

/** Counts applyChanges calls and the names in each. */
function countingStore(store: MemoryZoneStore): { store: ImportStore; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    store: {
      getZone: (n) => store.getZone(n),
      getNode: (z, o) => store.getNode(z, o),
      applyChanges: (zone: string, changes: NameChange[]) => {
        calls.push(changes.length);
        return store.applyChanges(zone, changes);
      },
    },
  };
}

function rdataHex(store: MemoryZoneStore, owner: string, type: number): string[] {
  const node = store.getNode(store.getZone(ZONE)!, owner);
  return (node?.rrsets.find((r) => r.type === type)?.rdatas ?? []).map((b) => b.toString('hex'));
}

async function importText(store: ImportStore, text: string, extra: Partial<ImportOptions> = {}): Promise<{ report: ImportReport; out: string }> {
  const dir = scratchDir();
  try {
    const out = sink();
    const file = dir.write('input', text);
    const report = await runImport({ store, zone: ZONE, file, out: out.stream, progress: false, ...extra });
    return { report, out: out.text() };
  } finally {
    dir.cleanup();
  }
}

describe('cli/import-command', () => {
  it('commits valid records in batches of batchSize names, one applyChanges each, and reports every bad line', async () => {
    const mem = newStore();
    const { store, calls } = countingStore(mem);
    const lines = [`$ORIGIN ${ZONE}`, '@ 3600 IN SOA ns1.example.com. h.example.com. 1 2 3 4 5', '@ 3600 IN NS ns1.example.com.'];
    for (let i = 0; i < 25; i++) {
      lines.push(`d${i} 300 IN TLSA 3 1 1 ${HEX32}`, `   300 IN SSHFP 4 2 ${SSHFP_HEX}`);
      if (i % 10 === 3) lines.push(`bad${i} 300 IN TLSA 4 1 1 ${HEX32}`);
    }
    lines.push('cname 300 IN CNAME d1');
    const serialBefore = mem.getZone(ZONE)!.serial;
    const { report, out } = await importText(store, lines.join('\n') + '\n', { batchSize: 10 });
    assert.deepEqual(calls, [10, 10, 5]);
    assert.equal(report.batches, 3);
    assert.equal(report.accepted, 25);
    assert.equal(report.records, 50);
    assert.equal(report.skipped, 2);
    assert.equal(report.serial, mem.getZone(ZONE)!.serial);
    assert.equal(report.serial, serialBefore + 3);
    assert.equal(report.format, 'zone');
    assert.deepEqual(report.rejected.map((r) => r.line), [12, 33, 54, 57]);
    assert.match(report.rejected[0]!.reason, /TLSA usage 4 is not one of 0, 1, 2, 3/);
    assert.equal(report.rejected[3]!.reason, 'type CNAME is not accepted: idzone stores only TLSA and SSHFP');
    assert.equal(mem.countNames(mem.getZone(ZONE)!), 25);
    assert.deepEqual(rdataHex(mem, `d24.${ZONE}`, RrType.SSHFP), ['0402' + SSHFP_HEX]);
    assert.equal(mem.getNode(mem.getZone(ZONE)!, `bad3.${ZONE}`), undefined);
    assert.match(out, /^line 12: TLSA usage 4 is not one of 0, 1, 2, 3\n/);
    assert.match(out, /\nline 57: type CNAME is not accepted/);
    assert.match(out, /imported 25 names \(50 records\) into _device\.example\.com\. from a zone file in 3 batches, serial \d+; 4 rejected, 2 skipped;/);
  });

  it('keeps the records of an owner that reappears in a later batch, and merges with what the store held', async () => {
    const mem = newStore();
    mem.applyChanges(ZONE, [{ op: 'put', owner: `old.${ZONE}`, rrsets: [{ type: RrType.SSHFP, ttl: 60, rdatas: [Buffer.from('0402' + SSHFP_HEX, 'hex')] }] }]);
    const text = [
      `a 60 TLSA 3 1 1 ${HEX32}`,
      `b 60 TLSA 3 1 1 ${HEX32}`,
      `c 60 TLSA 3 1 1 ${HEX32}`, // batch 2 starts here
      `a 60 TLSA 3 1 2 ${HEX64}`,
      `old 120 TLSA 3 1 1 ${HEX32}`, // batch 3
      `a 60 TLSA 3 1 1 ${HEX32}`, // duplicate of line 1: de-duplicated (RFC 4034 §6.3)
    ].join('\n');
    const { report } = await importText(mem, text, { batchSize: 2 });
    assert.equal(report.batches, 3);
    assert.deepEqual(rdataHex(mem, `a.${ZONE}`, RrType.TLSA), ['030101' + HEX32, '030102' + HEX64]);
    assert.deepEqual(rdataHex(mem, `old.${ZONE}`, RrType.SSHFP), ['0402' + SSHFP_HEX]);
    assert.deepEqual(rdataHex(mem, `old.${ZONE}`, RrType.TLSA), ['030101' + HEX32]);
  });

  it('gives an RRset the TTL of its first record, as BIND does (RFC 2181 §5.2)', async () => {
    const mem = newStore();
    await importText(mem, `a 60 TLSA 3 1 1 ${HEX32}\na 90 TLSA 3 1 2 ${HEX64}\n`);
    const rrset = mem.getNode(mem.getZone(ZONE)!, `a.${ZONE}`)!.rrsets[0]!;
    assert.equal(rrset.ttl, 60);
    assert.equal(rrset.rdatas.length, 2);
  });

  it('imports NDJSON through the API body parser, auto-detected, reporting invalid lines', async () => {
    const mem = newStore();
    const good = { name: 'sensor7', ttl: 120, tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX32 }], sshfp: [{ algorithm: 4, type: 2, fingerprint: SSHFP_HEX }] };
    const text = [
      '',
      JSON.stringify(good),
      '{"name": "broken", ',
      JSON.stringify({ name: 'x', tlsa: [{ usage: 4, selector: 1, matchingType: 1, data: HEX32 }] }),
      JSON.stringify({ name: 'y', cname: 'elsewhere' }),
      JSON.stringify({ name: `z.${ZONE}`, sshfp: [{ algorithm: 1, type: 1, fingerprint: 'aa'.repeat(20) }] }),
      JSON.stringify({ name: 'host.example.org.', sshfp: [{ algorithm: 1, type: 1, fingerprint: 'aa'.repeat(20) }] }),
    ].join('\n');
    const { report, out } = await importText(mem, text);
    assert.equal(report.format, 'ndjson');
    assert.equal(report.accepted, 2);
    assert.equal(report.records, 3);
    assert.deepEqual(report.rejected.map((r) => r.line), [3, 4, 5, 7]);
    assert.match(report.rejected[0]!.reason, /^invalid JSON: /);
    assert.match(report.rejected[1]!.reason, /^\/tlsa\/0\/usage: /);
    assert.match(report.rejected[2]!.reason, /CNAME/);
    assert.match(report.rejected[3]!.reason, /outside zone/);
    assert.equal(mem.getNode(mem.getZone(ZONE)!, `sensor7.${ZONE}`)!.rrsets.length, 2);
    assert.deepEqual(rdataHex(mem, `z.${ZONE}`, RrType.SSHFP), ['0101' + 'aa'.repeat(20)]);
    assert.match(out, /from NDJSON in 1 batch,/);
  });

  it('detects the format from the first non-blank character, after a UTF-8 BOM', async () => {
    const dir = scratchDir();
    try {
      assert.equal(await detectFormat(dir.write('a', '\ufeff\n\n  {"name":"a"}\n')), 'ndjson');
      assert.equal(await detectFormat(dir.write('b', '; comment\n{ not json }\n')), 'zone');
      assert.equal(await detectFormat(dir.write('c', `${' '.repeat(70000)}\n{}`)), 'ndjson');
      assert.equal(await detectFormat(dir.write('d', '')), 'zone');
    } finally {
      dir.cleanup();
    }
  });

  it('draws a throttled progress bar on the progress stream and ends its line', async () => {
    const mem = newStore();
    const progress = sink();
    const lines = Array.from({ length: 300 }, (_, i) => `n${i} 60 TLSA 3 1 1 ${HEX32}`);
    await importText(mem, lines.join('\n'), { progress: true, progressStream: progress.stream, batchSize: 100 });
    const text = progress.text();
    assert.ok(text.startsWith('\r\x1b[K['), JSON.stringify(text.slice(0, 20)));
    assert.match(text, /\[#{30}\] 100%  300 names  [\d,]+\/s  0 rejected\n$/);
    // 300 lines read in well under a second: the throttle allows only a few redraws.
    assert.ok(text.split('\r').length - 1 <= 12, `${text.split('\r').length - 1} redraws`);
  });

  it('formats the progress line', () => {
    assert.equal(formatProgressLine({ bytes: 50, names: 120000, rejected: 3 }, 100, 3, 10), '[#####-----]  50%  120,000 names  40,000/s  3 rejected');
  });

  it('refuses an unknown zone before reading, and a failing batch names what stayed committed', async () => {
    const mem = newStore();
    await assert.rejects(importText(mem, 'x 60 TLSA 3 1 1 00', { zone: 'nope.example.' }), (e: unknown) => e instanceof ImportError && e.code === 'ERR_IMPORT_ZONE_NOT_FOUND');
    let calls = 0;
    const failing: ImportStore = {
      getZone: (n) => mem.getZone(n),
      getNode: (z, o) => mem.getNode(z, o),
      applyChanges: (zone, changes) => {
        if (++calls === 2) throw new Error('disk full');
        return mem.applyChanges(zone, changes);
      },
    };
    const lines = Array.from({ length: 5 }, (_, i) => `n${i} 60 TLSA 3 1 1 ${HEX32}`).join('\n');
    await assert.rejects(importText(failing, lines, { batchSize: 2 }), (e: unknown) => {
      assert.ok(e instanceof ImportError);
      assert.equal(e.code, 'ERR_IMPORT_BATCH_FAILED');
      assert.match(e.message, /batch 2 \(2 names\) failed before its commit, so nothing of it was stored: disk full; 1 earlier batch \(2 names\) stay committed/);
      return true;
    });
    assert.equal(mem.countNames(mem.getZone(ZONE)!), 2);
  });

  it('prints every rejected line in the report, then the summary', () => {
    const text = formatImportReport({
      zone: ZONE, format: 'zone', accepted: 1, records: 2, rejected: [{ line: 4, reason: 'r1' }, { line: 9, reason: 'r2' }], skipped: 0, batches: 1, serial: 7, seconds: 0.5, rate: 2,
    });
    assert.equal(text, `line 4: r1\nline 9: r2\nimported 1 names (2 records) into ${ZONE} from a zone file in 1 batch, serial 7; 2 rejected, 0 skipped; 0.50 s, 2 names/s\n`);
  });

  it('uses batches of 10,000 names by default', () => {
    assert.equal(DEFAULT_BATCH_SIZE, 10000);
  });
});
