/**
 * Writes a response message into one preallocated buffer (RFC 1035 §4.1): header, the question
 * echoed byte for byte (RFC 1035 §4.1.1; RFC 4343 and the 0x20 practice need the original case),
 * records section by section, and the OPT record last (RFC 6891 §6.1.1). A record that would pass
 * the size limit is refused with `false` and leaves the message as it was, so the caller can set
 * TC (RFC 2181 §9) without exceptions on the hot path. Space for the OPT record is reserved when
 * it is declared (call addOpt right after begin), so a full answer never crowds it out.
 * Usage: begin → addOpt (if the query had EDNS) → addRecord… → setTc? → finish.
 *
 * Compression (RFC 1035 §4.1.4) is applied to owner names only: an owner equal to the question
 * name, or ending in a label-wise suffix of it, is written as its leading labels plus a pointer into
 * the question. Names inside RDATA are written as the caller gives them (uncompressed, canonical):
 * RRSIG signer names and NSEC3 data must never be compressed (RFC 4034 §3.1.7, RFC 5155 §3.3).
 */
import { MAX_LABEL, MAX_NAME_WIRE, parseLabels } from '../../core/names.js';
import { RrClass, RrType } from '../../core/rr-types.js';
import { MAX_MESSAGE_SIZE, optRecordSize } from './edns.js';
import type { EdnsOption } from './edns.js';
import type { RecordBlock } from './record-block.js';

export const Section = { ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 2 } as const;
export type SectionId = (typeof Section)[keyof typeof Section];

/** The parts of a query a response header and question need (ParsedQuery and QueryError fit). */
export interface ResponseHead {
  id: number;
  opcode: number;
  rd: boolean;
  cd: boolean;
  /** Raw question section to echo; absent or empty for none. */
  question?: Buffer | undefined;
}

export interface ResponseFlags {
  aa: boolean;
  /** Full rcode; values above 15 put their upper bits in the OPT record (RFC 6891 §6.1.3). */
  rcode: number;
  ad?: boolean;
}

export interface OptSpec {
  udpSize: number;
  do: boolean;
  /** Compact Answers OK (RFC 9824 §5.1), echoed from the query. */
  co?: boolean;
  version?: number;
  options?: readonly EdnsOption[];
}

const HEADER = 12;

export class ResponseWriter {
  private readonly buf: Buffer;
  private limit = 0;
  private pos = HEADER;
  private section: SectionId = Section.ANSWER;
  private readonly counts = [0, 0, 0];
  private rcode = 0;
  private opt: { udpSize: number; do: boolean; co: boolean; version: number; options: EdnsOption[] } | undefined;
  private optSize = 0;
  /** Offsets (in the message) of the question name's labels, leftmost first. */
  private readonly qLabelOffsets: number[] = [];
  /** The last owner written, its (possibly compressed) wire form and its label offsets. */
  private lastOwner: string | undefined;
  private readonly ownerBuf = Buffer.allocUnsafe(MAX_NAME_WIRE + 2);
  private ownerLen = 0;
  private readonly ownerStarts: number[] = [];

  constructor(capacity = MAX_MESSAGE_SIZE) {
    this.buf = Buffer.alloc(capacity);
  }

  /** Starts a response; `maxSize` is the size limit for the whole message (OPT included). */
  begin(head: ResponseHead, flags: ResponseFlags, maxSize: number = this.buf.length): void {
    this.limit = Math.min(maxSize, this.buf.length);
    this.section = Section.ANSWER;
    this.counts.fill(0);
    this.opt = undefined;
    this.optSize = 0;
    this.rcode = flags.rcode;
    this.lastOwner = undefined;
    const buf = this.buf;
    buf.writeUInt16BE(head.id, 0);
    let f = 0x8000 | ((head.opcode & 0xf) << 11) | (flags.rcode & 0xf);
    if (flags.aa) f |= 0x0400;
    if (head.rd) f |= 0x0100;
    if (flags.ad === true) f |= 0x0020;
    if (head.cd) f |= 0x0010;
    buf.writeUInt16BE(f, 2);
    buf.fill(0, 4, HEADER);
    this.pos = HEADER;
    this.qLabelOffsets.length = 0;
    const q = head.question;
    if (q !== undefined && q.length > 0) this.writeQuestion(q);
  }

  private writeQuestion(q: Buffer): void {
    if (HEADER + q.length > this.limit) throw new RangeError('question does not fit the response size limit');
    q.copy(this.buf, HEADER);
    this.buf.writeUInt16BE(1, 4);
    this.pos = HEADER + q.length;
    // The question is uncompressed (ParsedQuery guarantees it): walk its labels for compression.
    let o = HEADER;
    while (o < this.pos && this.buf[o]! !== 0 && this.buf[o]! < 64 && o + 1 + this.buf[o]! < this.pos) {
      this.qLabelOffsets.push(o);
      o += 1 + this.buf[o]!;
    }
  }

  /** Changes the rcode after begin (header bits now, extended bits when OPT is written). */
  setRcode(rcode: number): void {
    this.rcode = rcode;
    this.buf.writeUInt16BE((this.buf.readUInt16BE(2) & 0xfff0) | (rcode & 0xf), 2);
  }

  setTc(): void {
    this.buf[2] = this.buf[2]! | 0x02;
  }

  /** Declares the OPT record and reserves its space; false if records already took that space. */
  addOpt(spec: OptSpec): boolean {
    const options = [...(spec.options ?? [])];
    const size = optRecordSize(options);
    if (this.pos + size > this.limit) return false;
    this.opt = { udpSize: spec.udpSize, do: spec.do, co: spec.co === true, version: spec.version ?? 0, options };
    this.optSize = size;
    return true;
  }

  /** Adds an option to the declared OPT record; false without OPT or when it does not fit. */
  addEdnsOption(option: EdnsOption): boolean {
    if (this.opt === undefined) return false;
    const size = 4 + option.data.length;
    if (this.pos + this.optSize + size > this.limit) return false;
    this.opt.options.push(option);
    this.optSize += size;
    return true;
  }

  /**
   * Appends one class-IN record. Sections must be filled in order (answer, authority, additional).
   * Returns false, changing nothing, when the record does not fit the limit.
   */
  addRecord(section: SectionId, owner: string, type: number, ttl: number, rdata: Buffer): boolean {
    if (section < this.section) throw new RangeError('records must be added section by section, in order');
    this.encodeOwner(owner);
    const size = this.ownerLen + 10 + rdata.length;
    if (rdata.length > 0xffff || this.pos + size + this.optSize > this.limit) return false;
    this.section = section;
    const buf = this.buf;
    let o = this.pos;
    o += this.ownerBuf.copy(buf, o, 0, this.ownerLen);
    buf.writeUInt16BE(type, o);
    buf.writeUInt16BE(RrClass.IN, o + 2);
    buf.writeUInt32BE(ttl >>> 0, o + 4);
    buf.writeUInt16BE(rdata.length, o + 8);
    buf.set(rdata, o + 10);
    this.pos = o + 10 + rdata.length;
    this.counts[section]!++;
    return true;
  }

  /**
   * Appends a block of records encoded once (record-block.ts), its compression pointers moved to
   * where the block's apex ends the question. Returns false, changing nothing, when the question
   * does not end in that apex or the block does not fit the limit.
   */
  addBlock(section: SectionId, block: RecordBlock): boolean {
    if (section < this.section) throw new RangeError('records must be added section by section, in order');
    const base = this.apexOffset(block);
    const len = block.bytes.length;
    if (base < 0 || this.pos + len + this.optSize > this.limit) return false;
    this.section = section;
    const buf = this.buf;
    const at = this.pos;
    block.bytes.copy(buf, at);
    const where = block.pointerAt;
    const target = block.pointerTarget;
    for (let i = 0; i < where.length; i++) buf.writeUInt16BE(0xc000 | (base + target[i]!), at + where[i]!);
    this.pos = at + len;
    this.counts[section]! += block.count;
    this.lastOwner = undefined;
    return true;
  }

  /** Offset in the message where the question's last `block.apexLabels` labels start, if they are the block's apex; else -1. */
  private apexOffset(block: RecordBlock): number {
    const q = this.qLabelOffsets;
    const n = block.apexLabels;
    if (n === 0) return block.pointerAt.length === 0 ? 0 : -1;
    if (q.length < n) return -1;
    const base = q[q.length - n]!;
    const buf = this.buf;
    const apex = block.apexWire;
    // Compared to the root octet: the question's labels end where the apex's do.
    for (let i = 0; i < apex.length; i++) if (foldCase(buf[base + i]!) !== foldCase(apex[i]!)) return -1;
    return base;
  }

  /** Bytes written so far plus the reserved OPT. */
  get size(): number {
    return this.pos + this.optSize;
  }

  /** Completes the message and returns a fresh copy: safe to queue on a socket. */
  finish(): Buffer {
    const view = this.finishView();
    const out = Buffer.allocUnsafe(view.length);
    view.copy(out);
    return out;
  }

  /**
   * Completes the message and returns a view into the writer's buffer, valid only until the next
   * begin(). Use it only when the bytes are consumed synchronously (hashed, copied, cached).
   */
  finishView(): Buffer {
    const buf = this.buf;
    buf.writeUInt16BE(this.counts[0]!, 6);
    buf.writeUInt16BE(this.counts[1]!, 8);
    let end = this.pos;
    let ar = this.counts[2]!;
    if (this.opt !== undefined) {
      end = this.writeOpt(end);
      ar++;
    }
    buf.writeUInt16BE(ar, 10);
    return buf.subarray(0, end);
  }

  private writeOpt(at: number): number {
    const opt = this.opt!;
    const buf = this.buf;
    buf[at] = 0;
    buf.writeUInt16BE(RrType.OPT, at + 1);
    buf.writeUInt16BE(opt.udpSize, at + 3);
    const ttl = (((this.rcode >> 4) & 0xff) << 24) | ((opt.version & 0xff) << 16) | (opt.do ? 0x8000 : 0) | (opt.co ? 0x4000 : 0);
    buf.writeUInt32BE(ttl >>> 0, at + 5);
    buf.writeUInt16BE(this.optSize - 11, at + 9);
    let o = at + 11;
    for (const option of opt.options) {
      buf.writeUInt16BE(option.code, o);
      buf.writeUInt16BE(option.data.length, o + 2);
      o += 4 + option.data.copy(buf, o + 4);
    }
    return o;
  }

  /**
   * Puts the owner's wire form, compressed against the question when they share a suffix, into
   * ownerBuf. The last owner is remembered: RRsets and their RRSIGs repeat it.
   */
  private encodeOwner(owner: string): void {
    if (owner === this.lastOwner) return;
    const starts = this.ownerStarts;
    const len = ownerToWire(owner, this.ownerBuf, starts);
    const shared = this.sharedSuffix(starts);
    if (shared === 0) this.ownerLen = len;
    else {
      const cut = starts[starts.length - shared]!;
      this.ownerBuf.writeUInt16BE(0xc000 | this.qLabelOffsets[this.qLabelOffsets.length - shared]!, cut);
      this.ownerLen = cut + 2;
    }
    this.lastOwner = owner;
  }

  /** How many rightmost labels of the owner equal (case-insensitively) those of the question name. */
  private sharedSuffix(starts: readonly number[]): number {
    const q = this.qLabelOffsets;
    let n = 0;
    while (n < starts.length && n < q.length) {
      if (!this.labelEquals(q[q.length - 1 - n]!, starts[starts.length - 1 - n]!)) break;
      n++;
    }
    return n;
  }

  /** Compares the question label at `at` with the owner label at `ownerAt`, ASCII case folded. */
  private labelEquals(at: number, ownerAt: number): boolean {
    const buf = this.buf;
    const own = this.ownerBuf;
    const len = own[ownerAt]!;
    if (buf[at] !== len) return false;
    for (let i = 1; i <= len; i++) {
      if (foldCase(buf[at + i]!) !== foldCase(own[ownerAt + i]!)) return false;
    }
    return true;
  }
}

function foldCase(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

/**
 * Writes the uncompressed wire form of a name into `out` and the offsets of its labels into
 * `starts`; returns the length. Canonical names without escapes (nearly all) are converted
 * directly; anything else goes through core/names parseLabels, which also rejects bad names.
 */
function ownerToWire(name: string, out: Buffer, starts: number[]): number {
  starts.length = 0;
  if (name === '.') {
    out[0] = 0;
    return 1;
  }
  if (name.length > MAX_NAME_WIRE - 1 || name.includes('\\') || !name.endsWith('.')) return slowOwnerToWire(name, out, starts);
  let lenAt = 0;
  let o = 1;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2e) {
      const len = o - lenAt - 1;
      if (len === 0 || len > MAX_LABEL) return slowOwnerToWire(name, out, starts);
      out[lenAt] = len;
      starts.push(lenAt);
      lenAt = o++;
    } else if (c <= 0x20 || c >= 0x7f) return slowOwnerToWire(name, out, starts);
    else out[o++] = c;
  }
  out[lenAt] = 0;
  return o;
}

function slowOwnerToWire(name: string, out: Buffer, starts: number[]): number {
  starts.length = 0;
  let o = 0;
  for (const l of parseLabels(name)) {
    starts.push(o);
    out[o++] = l.length;
    out.set(l, o);
    o += l.length;
  }
  out[o++] = 0;
  return o;
}
