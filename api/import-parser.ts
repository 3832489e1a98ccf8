/**
 * The parsing half of an NDJSON import: bytes in, batches of validated puts and a bounded list of
 * rejected lines out. It runs on the request's thread for small bodies and on a thread of its own
 * for large ones (import-worker.ts), so both paths judge every line with the same code. A later
 * line for a name replaces an earlier one within the same batch; a batch is closed once it holds
 * `batchSize` names.
 *
 * Batches cross threads packed in one buffer (packPuts/unpackPuts): per name `owner length (u16) |
 * owner (UTF-8) | RRset count (u8)`, per RRset `type (u16) | TTL (u32) | RDATA count (u16)`, per
 * RDATA `length (u16) | bytes`. The RDATA stays canonical wire, as parseIdentityBody made it. Each
 * accepted line is packed as soon as it is judged (PackedBatch), so a batch of thousands of names is
 * one growing buffer rather than thousands of objects that live long enough to be copied by every
 * scavenge.
 */
import type { Violation } from '../core/identity-rdata.js';
import type { RrsetData } from '../core/rrset.js';
import type { NamePut } from '../zone-store/types.js';
import { LineSplitter } from './body-reader.js';
import { parseIdentityBody } from './identity-input.js';
import { capViolations } from './json-fields.js';
import { jsonErrorOffset } from './json-error-offset.js';

/** Violations listed per rejected line; the rest are counted in one more. */
export const MAX_LINE_VIOLATIONS = 20;
/**
 * About how much of an import report the listed lines may take: past it, rejected lines are counted
 * (`rejectedCount`) but not listed. A reviewer's 13 MB upload of lines with thousands of unknown
 * fields each made a 145 MB report before these bounds, and 130 MB parsed on the request's thread
 * ran the server out of heap.
 */
export const MAX_REPORT_BYTES = 16 * 1024 * 1024;

export interface ImportParseOptions {
  zone: string;
  defaultTtl: number;
  maxTtl: number;
  maxLineBytes: number;
  batchSize: number;
  maxReportedRejections: number;
  /** About how many bytes the listed lines may take (default MAX_REPORT_BYTES). */
  maxReportBytes?: number;
}

export interface RejectedLine {
  line: number;
  errors: Violation[];
}

export class ImportParser {
  accepted = 0;
  rejectedCount = 0;
  readonly rejected: RejectedLine[] = [];
  /** About what the listed lines take in the report's JSON (UTF-16 units, close to bytes). */
  private reportBytes = 0;
  private batch = new PackedBatch();
  private ready: PackedPuts[] = [];
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

  /** Closed batches, packed, oldest first (removed). Each buffer is the batch's own: transferable. */
  takePackedBatches(): PackedPuts[] {
    const out = this.ready;
    this.ready = [];
    return out;
  }

  /** Bytes the open batch's buffer holds: bounded by about twice its live records (plus 1 MiB). */
  get openBatchBytes(): number {
    return this.batch.capacity;
  }

  /** Closed batches, oldest first (removed). */
  takeBatches(): NamePut[][] {
    return this.takePackedBatches().map((b) => unpackPuts(Buffer.from(b.buf, 0, b.length)));
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
    this.batch.add(parsed.owner, parsed.rrsets);
    this.accepted++;
    if (this.batch.size >= this.opts.batchSize) this.closeBatch();
  }

  private reject(line: number, errors: Violation[]): void {
    this.rejectedCount++;
    // The count stays exact; the listed lines are bounded in number and in bytes, and each lists at
    // most MAX_LINE_VIOLATIONS, so a file of garbage cannot grow the report faster than a bound.
    const budget = this.opts.maxReportBytes ?? MAX_REPORT_BYTES;
    if (this.rejected.length >= this.opts.maxReportedRejections || this.reportBytes >= budget) return;
    const listed = capViolations(errors, MAX_LINE_VIOLATIONS);
    let bytes = 24;
    for (const v of listed) bytes += 32 + v.pointer.length + v.message.length;
    this.reportBytes += bytes;
    if (this.reportBytes <= budget) this.rejected.push({ line, errors: listed });
  }

  private closeBatch(): void {
    if (this.batch.size === 0) return;
    const packed = this.batch.finish();
    this.ready.push(packed);
    // The next batch starts with room for one like this one, so it rarely grows.
    this.batch = new PackedBatch(packed.length + (packed.length >> 3));
  }
}

/** A packed batch: `length` bytes of `buf` hold `count` puts. */
export interface PackedPuts {
  buf: ArrayBuffer;
  length: number;
  count: number;
}

/**
 * Bytes of replaced records a batch may hold before it is compacted: at least this, and at least
 * as many as its live records take. A batch closes only at `batchSize` distinct names, so a body
 * that repeats a few names would otherwise grow one open batch by every line it sends.
 */
const COMPACT_MIN_DEAD_BYTES = 1024 * 1024;

/**
 * The open batch, packed as names are added. A name added again keeps its place (that of its first
 * line, as a Map keeps it) and takes the later line's records: the earlier record is left unused in
 * the buffer until the batch is compacted (too many replaced bytes) or finished, and both copy the
 * live records out in order. Without repeats the buffer is the batch.
 */
class PackedBatch {
  private buf: Buffer;
  private used = 0;
  private readonly slots = new Map<string, number>();
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  /** Bytes of records a later line for the same name replaced. */
  private dead = 0;

  constructor(capacity = 64 * 1024) {
    this.buf = Buffer.from(new ArrayBuffer(capacity));
  }

  get size(): number {
    return this.slots.size;
  }

  add(owner: string, rrsets: readonly RrsetData[]): void {
    this.room(maxPutSize(owner, rrsets));
    const start = this.used;
    this.used = writePut(this.buf, start, owner, rrsets);
    const slot = this.slots.get(owner);
    if (slot === undefined) {
      this.slots.set(owner, this.starts.length);
      this.starts.push(start);
      this.ends.push(this.used);
    } else {
      this.dead += this.ends[slot]! - this.starts[slot]!;
      this.starts[slot] = start;
      this.ends[slot] = this.used;
      if (this.dead > Math.max(COMPACT_MIN_DEAD_BYTES, this.used - this.dead)) this.buf = this.live(2);
    }
  }

  /** Bytes the batch's buffer holds (live records, replaced ones, and room to grow). */
  get capacity(): number {
    return this.buf.length;
  }

  finish(): PackedPuts {
    const count = this.starts.length;
    if (this.dead > 0) this.buf = this.live(1);
    return { buf: this.buf.buffer as ArrayBuffer, length: this.used, count };
  }

  /** A new buffer of `room` times the live records, holding them in slot order (first place kept). */
  private live(room: number): Buffer {
    const length = this.used - this.dead;
    const out = Buffer.from(new ArrayBuffer(Math.max(length * room, room === 1 ? 0 : 64 * 1024)));
    let o = 0;
    for (let i = 0; i < this.starts.length; i++) {
      const start = this.starts[i]!;
      const end = this.ends[i]!;
      o += this.buf.copy(out, o, start, end);
      this.starts[i] = o - (end - start);
      this.ends[i] = o;
    }
    this.used = o;
    this.dead = 0;
    return out;
  }

  private room(n: number): void {
    if (this.used + n <= this.buf.length) return;
    const next = Buffer.from(new ArrayBuffer(Math.max(this.buf.length * 2, this.used + n)));
    this.buf.copy(next, 0, 0, this.used);
    this.buf = next;
  }
}

/** At most the bytes writePut takes (an owner's UTF-8 is at most 3 bytes per UTF-16 unit). */
function maxPutSize(owner: string, rrsets: readonly RrsetData[]): number {
  let size = 3 + 3 * owner.length;
  for (const r of rrsets) {
    size += 8;
    for (const d of r.rdatas) size += 2 + d.length;
  }
  return size;
}

/** Writes one put at `o` (see the file comment); returns the offset after it. */
function writePut(out: Buffer, o: number, owner: string, rrsets: readonly RrsetData[]): number {
  const len = writeOwner(out, o + 2, owner);
  out.writeUInt16LE(len, o);
  o += 2 + len;
  out[o++] = rrsets.length;
  for (const r of rrsets) {
    o = out.writeUInt16LE(r.type, o);
    o = out.writeUInt32LE(r.ttl, o);
    o = out.writeUInt16LE(r.rdatas.length, o);
    for (const d of r.rdatas) {
      o = out.writeUInt16LE(d.length, o);
      o += d.copy(out, o);
    }
  }
  return o;
}

/** An owner's UTF-8 at `o`: ASCII (every canonical name without raw non-ASCII) byte by byte. */
function writeOwner(out: Buffer, o: number, owner: string): number {
  const n = owner.length;
  for (let i = 0; i < n; i++) {
    const c = owner.charCodeAt(i);
    if (c >= 0x80) return out.write(owner, o, 'utf8');
    out[o + i] = c;
  }
  return n;
}

/** Packs puts into one buffer (see the file comment), repeats and all. */
export function packPuts(puts: readonly NamePut[]): Buffer {
  let size = 0;
  for (const p of puts) size += maxPutSize(p.owner, p.rrsets);
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (const p of puts) o = writePut(out, o, p.owner, p.rrsets);
  return out.subarray(0, o);
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
