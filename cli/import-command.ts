/**
 * `idzone import`: bulk-loads identity records into an existing zone from a DNS master file
 * (RFC 1035 §5, read by core/zone-file.ts) or from NDJSON, one API-shaped object per line
 * (`{"name", "ttl", "tlsa": [...], "sshfp": [...]}`, validated by the API's own parseIdentityBody).
 *
 * The file is streamed line by line; names are grouped into batches (10,000 names by default) and
 * each batch is one `applyChanges` call, i.e. one atomic transaction and one serial: a process
 * killed mid-import leaves whole batches only. Bad lines never stop the import: each is reported
 * as `line N: reason` and the rest is committed.
 *
 * An import adds records, it never removes any: each name's put is the union of what the store
 * already holds at that name and what the file says (for an RRset present in both, the file's TTL
 * wins). This is also what makes it safe for a name whose records are split across two batches,
 * since the second put re-reads the first. Records of one RRset that disagree on the TTL take the
 * first one seen, as BIND does (RFC 2181 §5.2 forbids differing TTLs within an RRset).
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { isDiskFull } from '../api/commit.js';
import { parseIdentityBody } from '../api/identity-input.js';
import { parseName } from '../core/names.js';
import { makeRrset } from '../core/rrset.js';
import type { RrsetData } from '../core/rrset.js';
import { parseZoneFile } from '../core/zone-file.js';
import type { NamePut, ZoneInfo, ZoneWriter } from '../zone-store/types.js';
import { createProgressBar, formatCount } from './progress.js';
import type { ProgressBar } from './progress.js';

export type ImportFormat = 'ndjson' | 'zone';

/** What an import needs of the store; a ZoneWriter satisfies it. */
export type ImportStore = Pick<ZoneWriter, 'getZone' | 'getNode' | 'applyChanges'>;

export interface ImportOptions {
  store: ImportStore;
  zone: string;
  file: string;
  /** Default: NDJSON when the first non-blank character of the file is `{`, else zone file. */
  format?: ImportFormat;
  /** Names per transaction (default 10,000). */
  batchSize?: number;
  /** Progress bar on the progress stream (default: when stderr is a TTY). */
  progress?: boolean;
  /** Where the progress bar goes (default process.stderr). */
  progressStream?: NodeJS.WritableStream;
  /** Where to write formatImportReport(report) at the end; when omitted nothing is written. */
  out?: NodeJS.WritableStream;
}

export interface ImportReport {
  zone: string;
  format: ImportFormat;
  /** Names written (a name whose records span two batches counts in each). */
  accepted: number;
  /** Resource records accepted. */
  records: number;
  /** Every rejected line, in file order. */
  rejected: { line: number; reason: string }[];
  /** Records left out on purpose: apex SOA/NS, signer-generated types. */
  skipped: number;
  /** Committed transactions. */
  batches: number;
  /** Zone serial after the import (unchanged when nothing was written). */
  serial: number;
  seconds: number;
  /** Names per second. */
  rate: number;
}

export const ImportErrorCode = {
  ZONE_NOT_FOUND: 'ERR_IMPORT_ZONE_NOT_FOUND',
  /** A batch failed before its commit: nothing of it was stored. */
  BATCH_FAILED: 'ERR_IMPORT_BATCH_FAILED',
  /** A batch failed after its catalog commit: it is committed, and completed at the next open. */
  BATCH_NOT_COMPLETED: 'ERR_IMPORT_BATCH_NOT_COMPLETED',
} as const;
export type ImportErrorCode = (typeof ImportErrorCode)[keyof typeof ImportErrorCode];

/** A fault that stops the import; batches committed before it stay committed. */
export class ImportError extends Error {
  readonly code: ImportErrorCode;
  /** Batches committed when it stopped (counting one committed but not completed), their names, and the zone serial. */
  readonly batches: number | undefined;
  readonly names: number | undefined;
  readonly serial: number | undefined;
  constructor(code: ImportErrorCode, message: string, options?: { cause: unknown; batches?: number; names?: number; serial?: number }) {
    super(message, options === undefined ? undefined : { cause: options.cause });
    this.name = 'ImportError';
    this.code = code;
    this.batches = options?.batches;
    this.names = options?.names;
    this.serial = options?.serial;
  }
}

export const DEFAULT_BATCH_SIZE = 10000;

/** One unit of input after parsing, whatever the format. */
type ImportItem =
  | { kind: 'rrsets'; line: number; owner: string; rrsets: RrsetData[] }
  | { kind: 'error'; line: number; reason: string }
  | { kind: 'skipped'; line: number };

export async function runImport(opts: ImportOptions): Promise<ImportReport> {
  const started = performance.now();
  const zone = parseName(opts.zone);
  const info = opts.store.getZone(zone);
  if (info === undefined) throw new ImportError(ImportErrorCode.ZONE_NOT_FOUND, `zone ${zone} does not exist; create it first`);
  const format = opts.format ?? (await detectFormat(opts.file));
  const input = openLines(opts.file);
  const items = format === 'zone' ? zoneItems(input.lines, info) : ndjsonItems(input.lines, info);
  const progress = await makeProgress(opts);
  const writer = new BatchWriter(opts.store, zone, opts.batchSize ?? DEFAULT_BATCH_SIZE);
  const report: ImportReport = { zone, format, accepted: 0, records: 0, rejected: [], skipped: 0, batches: 0, serial: info.serial, seconds: 0, rate: 0 };
  try {
    for await (const item of items) {
      if (item.kind === 'error') report.rejected.push({ line: item.line, reason: item.reason });
      else if (item.kind === 'skipped') report.skipped++;
      else {
        report.records += item.rrsets.reduce((n, r) => n + r.rdatas.length, 0);
        await writer.add(item.owner, item.rrsets);
      }
      progress?.update(progressState(input, writer, report));
    }
    await writer.flush();
  } finally {
    input.close();
  }
  progress?.finish(progressState(input, writer, report));
  Object.assign(report, { accepted: writer.names, batches: writer.batches, serial: writer.serial ?? info.serial });
  report.seconds = (performance.now() - started) / 1000;
  report.rate = report.seconds > 0 ? Math.round(report.accepted / report.seconds) : report.accepted;
  opts.out?.write(formatImportReport(report));
  return report;
}

/** Rejected lines as `line N: reason`, then a one-line summary. */
export function formatImportReport(r: ImportReport): string {
  const lines = r.rejected.map((x) => `line ${x.line}: ${x.reason}`);
  const seconds = r.seconds.toFixed(r.seconds < 10 ? 2 : 1);
  lines.push(
    `imported ${formatCount(r.accepted)} names (${formatCount(r.records)} records) into ${r.zone} from ${r.format === 'zone' ? 'a zone file' : 'NDJSON'}` +
      ` in ${formatCount(r.batches)} batch${r.batches === 1 ? '' : 'es'}, serial ${r.serial};` +
      ` ${formatCount(r.rejected.length)} rejected, ${formatCount(r.skipped)} skipped; ${seconds} s, ${formatCount(r.rate)} names/s`,
  );
  return lines.join('\n') + '\n';
}

/** NDJSON when the first non-blank character (after a UTF-8 BOM) is `{`. Reads only the prefix. */
export async function detectFormat(file: string): Promise<ImportFormat> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(65536);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return 'zone';
      const text = buf.subarray(0, bytesRead).toString('latin1').replace(/^\xef\xbb\xbf/, '');
      const m = /\S/.exec(text);
      if (m !== null) return m[0] === '{' ? 'ndjson' : 'zone';
    }
  } finally {
    await fh.close();
  }
}

interface LineInput {
  lines: AsyncIterable<string>;
  bytesRead(): number;
  /** Releases the file, also when the import stops early. */
  close(): void;
}

function openLines(file: string): LineInput {
  const stream = createReadStream(file);
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  async function* lines(): AsyncGenerator<string> {
    let first = true;
    for await (const line of rl) {
      yield first ? line.replace(/^\uFEFF/, '') : line;
      first = false;
    }
  }
  return {
    lines: lines(),
    bytesRead: () => stream.bytesRead,
    close: () => {
      rl.close();
      stream.destroy();
    },
  };
}

async function* zoneItems(lines: AsyncIterable<string>, info: ZoneInfo): AsyncGenerator<ImportItem> {
  const s = info.settings;
  for await (const e of parseZoneFile(lines, { zone: info.name, defaultTtl: s.defaultTtl, maxTtl: s.maxTtl })) {
    if (e.kind === 'record') yield { kind: 'rrsets', line: e.line, owner: e.owner, rrsets: [{ type: e.type, ttl: e.ttl, rdatas: [e.rdata] }] };
    else if (e.kind === 'skipped') yield { kind: 'skipped', line: e.line };
    else yield { kind: 'error', line: e.line, reason: e.error };
  }
}

async function* ndjsonItems(lines: AsyncIterable<string>, info: ZoneInfo): AsyncGenerator<ImportItem> {
  const opts = { zone: info.name, defaultTtl: info.settings.defaultTtl, maxTtl: info.settings.maxTtl };
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      yield { kind: 'error', line, reason: `invalid JSON: ${(e as Error).message}` };
      continue;
    }
    const parsed = parseIdentityBody(body, opts);
    if (!parsed.ok) yield { kind: 'error', line, reason: parsed.violations.map((v) => `${v.pointer || '/'}: ${v.message}`).join('; ') };
    else yield { kind: 'rrsets', line, owner: parsed.owner, rrsets: parsed.rrsets };
  }
}

async function makeProgress(opts: ImportOptions): Promise<ProgressBar | undefined> {
  const stream = opts.progressStream ?? process.stderr;
  const enabled = opts.progress ?? (opts.progressStream === undefined && process.stderr.isTTY === true);
  if (!enabled) return undefined;
  const { size } = await stat(opts.file);
  return createProgressBar({ stream, totalBytes: size });
}

function progressState(input: LineInput, writer: BatchWriter, report: ImportReport): { bytes: number; names: number; rejected: number } {
  return { bytes: input.bytesRead(), names: writer.names + writer.pendingNames, rejected: report.rejected.length };
}

/**
 * Accumulates names for the current batch and commits it as one applyChanges call when it is full.
 * Each owner's RRsets are merged per type; at commit the stored node is read and merged in too.
 */
class BatchWriter {
  private batch = new Map<string, Map<number, { ttl: number; rdatas: Buffer[] }>>();
  names = 0;
  batches = 0;
  serial: number | undefined;

  constructor(
    private readonly store: ImportStore,
    private readonly zone: string,
    private readonly batchSize: number,
  ) {}

  get pendingNames(): number {
    return this.batch.size;
  }

  /** Adds RRsets at `owner`, first committing the batch when `owner` would overfill it. */
  async add(owner: string, rrsets: RrsetData[]): Promise<void> {
    if (!this.batch.has(owner) && this.batch.size >= this.batchSize) await this.flush();
    let types = this.batch.get(owner);
    if (types === undefined) this.batch.set(owner, (types = new Map()));
    for (const r of rrsets) {
      const held = types.get(r.type);
      if (held === undefined) types.set(r.type, { ttl: r.ttl, rdatas: [...r.rdatas] });
      else held.rdatas.push(...r.rdatas);
    }
  }

  async flush(): Promise<void> {
    if (this.batch.size === 0) return;
    const info = this.store.getZone(this.zone);
    if (info === undefined) throw new ImportError(ImportErrorCode.ZONE_NOT_FOUND, `zone ${this.zone} was deleted during the import`);
    const puts: NamePut[] = [];
    for (const [owner, types] of this.batch) puts.push({ op: 'put', owner, rrsets: this.mergeWithStored(info, owner, types) });
    try {
      // Signing is deferred: the server's re-signer signs imported names (see server/dnssec/resigner.ts).
      this.serial = this.store.applyChanges(this.zone, puts, { deferSigning: true }).serial;
    } catch (e) {
      throw this.batchFailure(info.serial, puts.length, e);
    }
    this.batches++;
    this.names += puts.length;
    this.batch = new Map();
    // Let timers, signals and the progress bar run between transactions.
    await yieldToLoop();
  }

  /**
   * The error for a batch whose applyChanges threw. The serial tells a failure after the catalog
   * commit from one before it: moved, the batch IS committed (the catalog's redo log holds it) and
   * the store completes it at the next open of the data directory; unmoved, nothing of it was stored.
   */
  private batchFailure(serialBefore: number, size: number, e: unknown): ImportError {
    const cause = `${(e as Error)?.message ?? String(e)}${isDiskFull(e) ? ' (the disk is full)' : ''}`;
    const earlier = (n: number, names: number): string => `${n} earlier batch${n === 1 ? '' : 'es'} (${formatCount(names)} names)`;
    const serialNow = this.store.getZone(this.zone)?.serial;
    const n = this.batches + 1;
    if (serialNow !== undefined && serialNow !== serialBefore) {
      this.batches++;
      this.names += size;
      this.serial = serialNow;
      this.batch = new Map();
      const msg =
        `batch ${n} (${formatCount(size)} names) is committed as serial ${serialNow} but was not completed: ${cause}; ` +
        `it stays committed and is completed from the store's redo log at the next open of the data directory (the next idzone command that writes, or idzone serve); ` +
        `${earlier(n - 1, this.names - size)} stay committed too; lines after batch ${n} were not imported`;
      return new ImportError(ImportErrorCode.BATCH_NOT_COMPLETED, msg, { cause: e, batches: this.batches, names: this.names, serial: serialNow });
    }
    const msg = `batch ${n} (${formatCount(size)} names) failed before its commit, so nothing of it was stored: ${cause}; ${earlier(n - 1, this.names)} stay committed; lines from batch ${n} on were not imported`;
    return new ImportError(ImportErrorCode.BATCH_FAILED, msg, { cause: e, batches: this.batches, names: this.names, serial: this.serial ?? serialBefore });
  }

  private mergeWithStored(info: ZoneInfo, owner: string, types: Map<number, { ttl: number; rdatas: Buffer[] }>): RrsetData[] {
    const merged = new Map<number, RrsetData>();
    for (const r of this.store.getNode(info, owner)?.rrsets ?? []) merged.set(r.type, { type: r.type, ttl: r.ttl, rdatas: r.rdatas });
    for (const [type, add] of types) {
      const stored = merged.get(type);
      merged.set(type, makeRrset(type, add.ttl, stored === undefined ? add.rdatas : [...stored.rdatas, ...add.rdatas]));
    }
    return [...merged.values()].sort((a, b) => a.type - b.type);
  }
}
