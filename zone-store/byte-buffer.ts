/**
 * A growable big-endian byte writer and its reader, for the store's packed formats (redo-log batches
 * and journal chunks). Packing many small records into one BLOB turns thousands of row inserts per
 * bulk change into a handful, which is where the catalog's write cost goes.
 */
import { StoreError, StoreErrorCode } from './errors.js';

export class ByteWriter {
  private buf: Buffer;
  private o = 0;

  constructor(initial = 4096) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.o++] = v;
  }

  u16(v: number): void {
    this.room(2);
    this.o = this.buf.writeUInt16BE(v, this.o);
  }

  u32(v: number): void {
    this.room(4);
    this.o = this.buf.writeUInt32BE(v, this.o);
  }

  /** Bytes with a u32 length prefix. */
  bytes(b: Buffer): void {
    this.u32(b.length);
    this.room(b.length);
    this.o += b.copy(this.buf, this.o);
  }

  /** An ASCII string (canonical names are ASCII) with a u16 length prefix. */
  ascii(s: string): void {
    const n = s.length;
    this.u16(n);
    this.room(n);
    // Owner names are short: a loop beats Buffer#write's call into C++ (each char's low byte, as latin1).
    const buf = this.buf;
    const o = this.o;
    for (let i = 0; i < n; i++) buf[o + i] = s.charCodeAt(i);
    this.o = o + n;
  }

  get length(): number {
    return this.o;
  }

  /** The written bytes, in a right-sized buffer (the writer's own when it was sized exactly). */
  finish(): Buffer {
    if (this.o === this.buf.length) return this.buf;
    return Buffer.from(this.buf.subarray(0, this.o));
  }

  private room(n: number): void {
    if (this.o + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.o + n));
    this.buf.copy(next, 0, 0, this.o);
    this.buf = next;
  }
}

export class ByteReader {
  private o = 0;

  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.o >= this.buf.length;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.o++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.o);
    this.o += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.o);
    this.o += 4;
    return v;
  }

  /** A view (no copy) of u32-length-prefixed bytes. */
  bytes(): Buffer {
    const n = this.u32();
    this.need(n);
    const b = this.buf.subarray(this.o, this.o + n);
    this.o += n;
    return b;
  }

  ascii(): string {
    const n = this.u16();
    this.need(n);
    const s = this.buf.toString('latin1', this.o, this.o + n);
    this.o += n;
    return s;
  }

  private need(n: number): void {
    if (this.o + n > this.buf.length) throw new StoreError(StoreErrorCode.CORRUPT, 'packed record truncated');
  }
}
