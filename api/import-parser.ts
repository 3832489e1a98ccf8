/**
 * The parsing half of an NDJSON import: bytes in, batches of validated puts and a bounded list of
 * rejected lines out. It runs on the request's thread for small bodies and on a thread of its own
 * for large ones (import-worker.ts), so both paths judge every line with the same code. A later
 * line for a name replaces an earlier one within the same batch; a batch is closed once it holds
 * `batchSize` names.
 *
 * Batches cross threads packed in one buffer (packPuts/unpackPuts): per name `owner length (u16) |
 * owner (UTF-8) | RRset count (u8)`, per RRset `type (u16) | TTL (u32) | RDATA count (u16)`, per
 * RDATA `length (u16) | bytes`. The RDATA stays canonical wire, as parseIdentityBody made it.
 */
import type { Violation } from '../core/identity-rdata.js';
import type { NamePut } from '../zone-store/types.js';
import { LineSplitter } from './body-reader.js';
import { parseIdentityBody } from './identity-input.js';
import { jsonErrorOffset } from './json-error-offset.js';

export interface ImportParseOptions {
  zone: string;
  defaultTtl: number;
  maxTtl: number;
  maxLineBytes: number;
  batchSize: number;
  maxReportedRejections: number;
}

export interface RejectedLine {
  line: number;
  errors: Violation[];
}

export class ImportParser {
  accepted = 0;
  rejectedCount = 0;
  readonly rejected: RejectedLine[] = [];
  private batch = new Map<string, NamePut>();
  private ready: NamePut[][] = [];
  private readonly splitter: LineSplitter;

  constructor(private readonly opts: ImportParseOptions) {
    this.splitter = new LineSplitter(opts.maxLineBytes, (line, text, problem) => this.takeLine(line, text, problem));
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  /** The body is complete: the last line and the open batch are closed. */
  end(): void {
    this.splitter.end();
    this.closeBatch();
  }

  /** Closed batches, oldest first (removed). */
  takeBatches(): NamePut[][] {
    const out = this.ready;
    this.ready = [];
    return out;
  }

  private takeLine(line: number, text: string | undefined, problem: string | undefined): void {
    if (text === undefined) return this.reject(line, [{ pointer: '', message: problem ?? 'unreadable line' }]);
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return this.reject(line, [{ pointer: '', message: `invalid JSON at column ${jsonErrorOffset(text) + 1}: ${(e as Error).message}` }]);
    }
    const parsed = parseIdentityBody(value, { zone: this.opts.zone, defaultTtl: this.opts.defaultTtl, maxTtl: this.opts.maxTtl });
    if (!parsed.ok) return this.reject(line, parsed.violations);
    this.batch.set(parsed.owner, { op: 'put', owner: parsed.owner, rrsets: parsed.rrsets });
    this.accepted++;
    if (this.batch.size >= this.opts.batchSize) this.closeBatch();
  }

  private reject(line: number, errors: Violation[]): void {
    this.rejectedCount++;
    // The count stays exact; the listed lines are bounded so a file of garbage cannot exhaust memory.
    if (this.rejected.length < this.opts.maxReportedRejections) this.rejected.push({ line, errors });
  }

  private closeBatch(): void {
    if (this.batch.size === 0) return;
    this.ready.push([...this.batch.values()]);
    this.batch = new Map();
  }
}

/** Packs puts into one buffer (see the file comment). */
export function packPuts(puts: readonly NamePut[]): Buffer {
  let size = 0;
  for (const p of puts) {
    size += 3 + Buffer.byteLength(p.owner, 'utf8');
    for (const r of p.rrsets) {
      size += 8;
      for (const d of r.rdatas) size += 2 + d.length;
    }
  }
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (const p of puts) {
    const len = out.write(p.owner, o + 2, 'utf8');
    out.writeUInt16LE(len, o);
    o += 2 + len;
    out[o++] = p.rrsets.length;
    for (const r of p.rrsets) {
      o = out.writeUInt16LE(r.type, o);
      o = out.writeUInt32LE(r.ttl, o);
      o = out.writeUInt16LE(r.rdatas.length, o);
      for (const d of r.rdatas) {
        o = out.writeUInt16LE(d.length, o);
        o += d.copy(out, o);
      }
    }
  }
  return out;
}

/** The puts packPuts packed; RDATA are views into `buf`. */
export function unpackPuts(buf: Buffer): NamePut[] {
  const puts: NamePut[] = [];
  let o = 0;
  while (o < buf.length) {
    const len = buf.readUInt16LE(o);
    const owner = buf.toString('utf8', o + 2, o + 2 + len);
    o += 2 + len;
    const count = buf[o++]!;
    const rrsets: NamePut['rrsets'] = [];
    for (let i = 0; i < count; i++) {
      const type = buf.readUInt16LE(o);
      const ttl = buf.readUInt32LE(o + 2);
      const n = buf.readUInt16LE(o + 6);
      o += 8;
      const rdatas: Buffer[] = [];
      for (let j = 0; j < n; j++) {
        const dl = buf.readUInt16LE(o);
        rdatas.push(buf.subarray(o + 2, o + 2 + dl));
        o += 2 + dl;
      }
      rrsets.push({ type, ttl, rdatas });
    }
    puts.push({ op: 'put', owner, rrsets });
  }
  return puts;
}
