/**
 * The parsing half of NDJSON imports (api/import-parser.ts, api/import-thread.ts): the inline sink
 * and the thread sink judge the same bytes the same way — batches, line numbers of rejected lines,
 * a later line replacing an earlier one in a batch, lines split across chunks, CRLF — and batches
 * survive packing for the trip between threads unchanged.
 */
import { strict as assert } from 'node:assert';
import { ImportParser, MAX_LINE_VIOLATIONS, MAX_REPORT_BYTES, packPuts, unpackPuts, type ImportParseOptions } from '../../../api/import-parser.js';
import { createImportSink, InlineImportSink, MAX_IMPORT_THREADS, ThreadImportSink, type ImportSink } from '../../../api/import-thread.js';
import type { NamePut } from '../../../zone-store/types.js';

const ZONE = '_device.example.net.';
const OPTS: ImportParseOptions = { zone: ZONE, defaultTtl: 60, maxTtl: 3600, maxLineBytes: 4096, batchSize: 3, maxReportedRejections: 10 };
const HEX = 'ab'.repeat(32);

function body(): Buffer {
  const lines = [
    JSON.stringify({ name: 'a', tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX }] }),
    '{not json',
    JSON.stringify({ name: 'b', ttl: 120, sshfp: [{ algorithm: 4, type: 2, fingerprint: HEX }] }),
    JSON.stringify({ name: 'a', tlsa: [{ usage: 2, selector: 0, matchingType: 1, data: HEX }] }),
    '',
    JSON.stringify({ name: 'x.example.org.', tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX }] }),
    JSON.stringify({ name: 'c', cname: 'elsewhere.' }),
    JSON.stringify({ user: 'alice', tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX }], sshfp: [{ algorithm: 4, type: 2, fingerprint: HEX }] }),
    JSON.stringify({ name: 'd', tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX }] }),
    JSON.stringify({ name: 'e', tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX }] }),
  ];
  return Buffer.from(lines.join('\r\n'));
}

async function run(sink: ImportSink, chunkSize: number): Promise<{ batches: NamePut[][]; summary: Awaited<ReturnType<ImportSink['end']>> }> {
  const b = body();
  const batches: NamePut[][] = [];
  try {
    for (let i = 0; i < b.length; i += chunkSize) {
      sink.push(b.subarray(i, i + chunkSize));
      await sink.settle();
      batches.push(...sink.takeBatches());
    }
    const summary = await sink.end();
    batches.push(...sink.takeBatches());
    return { batches, summary };
  } finally {
    sink.close();
  }
}

function owners(batches: NamePut[][]): string[][] {
  return batches.map((b) => b.map((p) => p.owner));
}

describe('api/import-parser', function () {
  this.timeout(20_000);

  it('batches accepted names, numbers rejected lines, lets a later line replace an earlier one', async () => {
    const { batches, summary } = await run(new InlineImportSink(OPTS), 7);
    assert.equal(summary.accepted, 6);
    assert.deepEqual(summary.rejected.map((r) => r.line), [2, 6, 7]);
    assert.equal(summary.rejectedCount, 3);
    const [first, second] = owners(batches);
    // Line 4 replaces line 1's `a` inside the first batch (a, b, then the user name closes it).
    assert.equal(first!.length, 3);
    assert.deepEqual(first!.slice(0, 2), [`a.${ZONE}`, `b.${ZONE}`]);
    assert.deepEqual(second, [`d.${ZONE}`, `e.${ZONE}`]);
    const a = batches[0]!.find((p) => p.owner === `a.${ZONE}`)!;
    assert.equal(a.rrsets[0]!.rdatas[0]![0], 2, 'the later line (usage 2) won');
  });

  it('the thread sink gives exactly what the inline sink gives, whatever the chunking', async () => {
    const inline = await run(new InlineImportSink(OPTS), 1 << 20);
    for (const size of [1, 13, 4096]) {
      const threaded = await run(new ThreadImportSink(OPTS), size);
      assert.deepEqual(threaded.summary, inline.summary, `chunks of ${size}`);
      assert.deepEqual(threaded.batches, inline.batches, `chunks of ${size}`);
    }
  });

  it(`gives at most ${MAX_IMPORT_THREADS} imports a thread at once; the rest parse inline`, () => {
    const sinks = Array.from({ length: MAX_IMPORT_THREADS + 1 }, () => createImportSink(OPTS, undefined));
    assert.deepEqual(
      sinks.map((x) => x instanceof ThreadImportSink),
      [...Array.from({ length: MAX_IMPORT_THREADS }, () => true), false],
    );
    assert.ok(createImportSink(OPTS, 1000) instanceof InlineImportSink, 'a small body is parsed inline');
    sinks[0]!.close();
    const again = createImportSink(OPTS, undefined);
    assert.ok(again instanceof ThreadImportSink, 'a closed import frees its thread slot');
    for (const x of [...sinks, again]) x.close();
  });

  it('bounds the listed rejections but keeps the count exact', () => {
    const p = new ImportParser({ ...OPTS, maxReportedRejections: 2 });
    p.push(Buffer.from('x\ny\nz\n'));
    p.end();
    assert.equal(p.rejectedCount, 3);
    assert.deepEqual(p.rejected.map((r) => r.line), [1, 2]);
  });

  it('bounds the report in bytes too: lines of many violations stop being listed near maxReportBytes', () => {
    const budget = 256 * 1024;
    assert.ok(MAX_REPORT_BYTES >= budget);
    const p = new ImportParser({ ...OPTS, maxLineBytes: 65536, maxReportedRejections: 1_000_000, maxReportBytes: budget });
    // Each line: 30 TLSA entries with usage 4 and odd hex, ~60 violations, 20 listed plus a count.
    const entries = Array.from({ length: 30 }, () => ({ usage: 4, selector: 1, matchingType: 1, data: 'abc' }));
    const line = Buffer.from(`${JSON.stringify({ name: 'n', tlsa: entries })}\n`);
    const lines = 400;
    for (let i = 0; i < lines; i++) p.push(line);
    p.end();
    assert.equal(p.rejectedCount, lines);
    assert.ok(p.rejected.length < lines, `all ${lines} lines listed`);
    assert.ok(p.rejected.every((r) => r.errors.length <= MAX_LINE_VIOLATIONS + 1));
    const size = JSON.stringify(p.rejected).length;
    assert.ok(size <= budget && size > budget / 2, `report of ${size} characters`);
  });

  it('keeps an open batch bounded when lines repeat names, and keeps first places with the latest records', () => {
    const p = new ImportParser({ ...OPTS, maxLineBytes: 65536, batchSize: 10_000 });
    const tlsa = (k: number): object[] => Array.from({ length: 64 }, (_, i) => ({ usage: 3, selector: 1, matchingType: 2, data: (i + k).toString(16).padStart(128, '0') }));
    // ~11.5 KB a line; 6,000 lines (70 MB) naming only 'a' and 'b' leave the batch open throughout.
    const line = (name: string, k: number): Buffer => Buffer.from(`${JSON.stringify({ name, tlsa: tlsa(k) })}\n`);
    let largest = 0;
    for (let k = 0; k < 3000; k++) {
      p.push(line('a', k));
      p.push(line('b', k + 1));
      largest = Math.max(largest, p.openBatchBytes);
    }
    assert.ok(largest < 4 * 1024 * 1024, `the open batch grew to ${largest} bytes`);
    p.push(line('c', 7));
    p.push(line('a', 5));
    p.end();
    const [batch, ...rest] = p.takeBatches();
    assert.equal(rest.length, 0);
    assert.deepEqual(batch!.map((x) => x.owner), [`a.${ZONE}`, `b.${ZONE}`, `c.${ZONE}`]);
    const first = (owner: string): string => batch!.find((x) => x.owner === owner)!.rrsets[0]!.rdatas[0]!.toString('hex');
    assert.equal(first(`a.${ZONE}`), `030102${(5).toString(16).padStart(128, '0')}`, 'the last line for a name wins');
    assert.equal(first(`b.${ZONE}`), `030102${(3000).toString(16).padStart(128, '0')}`);
    assert.equal(p.accepted, 6002);
  });

  it('packPuts/unpackPuts round-trip several RRsets and RDATA per name', () => {
    const puts: NamePut[] = [
      { op: 'put', owner: `\\(odd\\).${ZONE}`, rrsets: [{ type: 52, ttl: 60, rdatas: [Buffer.from('0301' + HEX, 'hex'), Buffer.from('0300' + HEX, 'hex')] }, { type: 44, ttl: 3600, rdatas: [Buffer.from('0402' + HEX, 'hex')] }] },
      { op: 'put', owner: `n.${ZONE}`, rrsets: [] },
    ];
    assert.deepEqual(unpackPuts(packPuts(puts)), puts);
  });
});
