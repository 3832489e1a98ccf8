/**
 * Bounds-checked reading of domain names from a received message (RFC 1035 §3.1, §4.1.4).
 * Defensive rules, each of which turns a hostile message into a WireError instead of a loop or an
 * out-of-bounds read: labels never run past the end of the message; label types 0b01 and 0b10
 * (RFC 6891 §5 deprecated extended labels) are refused; a name is at most 255 octets on the wire
 * (RFC 1035 §2.3.4); a compression pointer must point strictly backwards, to the start of a label
 * (or pointer) already read in this message, and every further pointer of the same name must point
 * before the previous one, so following pointers always terminates within the message length.
 */
import { MAX_NAME_WIRE } from '../../core/names.js';
import { WireError } from './wire-error.js';

/**
 * Reads names of one message. Label starts seen so far are marked in a table stamped with a
 * generation number, so starting a new message costs O(1) instead of clearing 64 KiB.
 */
export class NameReader {
  /** Indexed by offset; a pointer has 14 bits, so offsets past 0x3fff can never be targets. */
  private readonly marks = new Uint32Array(0x4000);
  private generation = 0;
  private msg: Buffer = Buffer.alloc(0);

  /** Starts a new message: forgets every label start of the previous one. */
  reset(msg: Buffer): void {
    this.msg = msg;
    this.generation++;
    if (this.generation === 0xffffffff) {
      this.marks.fill(0);
      this.generation = 1;
    }
  }

  /**
   * Reads the name at `offset`, up to `end` (exclusive; names inside RDATA must stay inside it).
   * Pushes the offset of each label's length octet to `labels` when given (offsets, not views:
   * a Buffer view costs more than the whole name check).
   * Returns the offset just after the name as it sits in the message (after its first pointer).
   */
  read(offset: number, end: number, labels?: number[]): number {
    const msg = this.msg;
    let pos = offset;
    let after = -1;
    let limit = offset;
    let wire = 1;
    let bound = end;
    for (;;) {
      if (pos >= bound) throw new WireError('name runs past the end of its section');
      const b = msg[pos]!;
      const kind = b & 0xc0;
      if (kind === 0) {
        if (pos < 0x4000) this.marks[pos] = this.generation;
        if (b === 0) return after < 0 ? pos + 1 : after;
        if (pos + 1 + b > bound) throw new WireError('label runs past the end of its section');
        wire += b + 1;
        if (wire > MAX_NAME_WIRE) throw new WireError('name longer than 255 octets');
        labels?.push(pos);
        pos += 1 + b;
        continue;
      }
      if (kind !== 0xc0) throw new WireError('extended label type (0b01 or 0b10) is not supported');
      if (pos + 2 > bound) throw new WireError('compression pointer runs past the end');
      const target = ((b & 0x3f) << 8) | msg[pos + 1]!;
      if (after < 0) {
        after = pos + 2;
        if (pos < 0x4000) this.marks[pos] = this.generation;
        limit = pos;
      }
      if (target >= limit) throw new WireError('compression pointer does not point backwards (loop or forward pointer)');
      if (this.marks[target] !== this.generation) throw new WireError('compression pointer does not point to a label start');
      limit = target;
      pos = target;
      // After a jump the name continues in earlier data, bounded by the message, not the RDATA.
      bound = msg.length;
    }
  }
}

const scratch = Buffer.allocUnsafe(4 * MAX_NAME_WIRE);

/**
 * The canonical name (core/names.ts form: lowercase, `\.`, `\\` and `\DDD` escapes, trailing dot)
 * of labels at the given offsets of `msg`. Same result as nameFromWireLabels, built in one scratch
 * buffer and decoded once, because this runs for every query.
 */
export function canonicalNameAt(msg: Buffer, labels: readonly number[]): string {
  if (labels.length === 0) return '.';
  let o = 0;
  for (const at of labels) {
    const end = at + 1 + msg[at]!;
    for (let i = at + 1; i < end; i++) o = putCanonicalByte(msg[i]!, o);
    scratch[o++] = 0x2e;
  }
  return scratch.toString('latin1', 0, o);
}

function putCanonicalByte(b: number, o: number): number {
  if (b >= 0x41 && b <= 0x5a) scratch[o++] = b + 32;
  else if (b === 0x2e || b === 0x5c) {
    scratch[o++] = 0x5c;
    scratch[o++] = b;
  } else if (b > 0x20 && b < 0x7f) scratch[o++] = b;
  else {
    scratch[o++] = 0x5c;
    scratch[o++] = 0x30 + Math.floor(b / 100);
    scratch[o++] = 0x30 + (Math.floor(b / 10) % 10);
    scratch[o++] = 0x30 + (b % 10);
  }
  return o;
}
