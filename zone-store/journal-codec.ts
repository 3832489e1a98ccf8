/**
 * Packs journal RRs into chunks for the catalog: one row per chunk of up to JOURNAL_CHUNK RRs rather
 * than one row per RR, so a bulk change of 10,000 names costs ten inserts. Format: a version byte
 * (1), then per RR: u8 op (0 delete, 1 add), owner, u16 type, u32 TTL, RDATA. Deletions come before
 * additions (RFC 1995 §4), so a step's chunks read back in order give its two lists.
 */
import { ByteReader, ByteWriter } from './byte-buffer.js';
import type { JournalEntry } from './types.js';
import { StoreError, StoreErrorCode } from './errors.js';

type JournalRr = JournalEntry['added'][number];

export const JOURNAL_CHUNK = 1000;
const VERSION = 1;
const OP_DELETE = 0;
const OP_ADD = 1;

/** Chunks for one serial step, deletions first. */
export function packJournal(deleted: readonly JournalRr[], added: readonly JournalRr[]): Buffer[] {
  const chunks: Buffer[] = [];
  let w: ByteWriter | undefined;
  let n = 0;
  let next = 0;
  const rrAt = (i: number): JournalRr => (i < deleted.length ? deleted[i]! : added[i - deleted.length]!);
  const total = deleted.length + added.length;
  const push = (op: number, rr: JournalRr): void => {
    if (w === undefined) {
      // Sized exactly for the RRs this chunk will hold, so it is neither grown nor copied. (A fixed
      // 64 KB per chunk made every single-name write allocate 64 KB outside the V8 heap, which set
      // off a full GC every ~100 ms under sequential API writes.)
      let size = 1;
      for (let i = next; i < Math.min(total, next + JOURNAL_CHUNK); i++) size += packedRrSize(rrAt(i));
      w = new ByteWriter(size);
      w.u8(VERSION);
    }
    next++;
    w.u8(op);
    w.ascii(rr.owner);
    w.u16(rr.type);
    w.u32(rr.ttl);
    w.bytes(rr.rdata);
    if (++n === JOURNAL_CHUNK) {
      chunks.push(w.finish());
      w = undefined;
      n = 0;
    }
  };
  for (const rr of deleted) push(OP_DELETE, rr);
  for (const rr of added) push(OP_ADD, rr);
  if (w !== undefined) chunks.push(w.finish());
  return chunks;
}

/** Bytes of one packed RR: op, owner (u16 length), type, TTL, RDATA (u32 length). */
function packedRrSize(rr: JournalRr): number {
  return 1 + 2 + rr.owner.length + 2 + 4 + 4 + rr.rdata.length;
}

/** Appends the RRs of one chunk to `entry`. */
export function unpackJournalChunk(blob: Buffer, entry: JournalEntry): void {
  const r = new ByteReader(blob);
  if (r.u8() !== VERSION) throw new StoreError(StoreErrorCode.CORRUPT, 'journal chunk has an unknown format version');
  while (!r.done) {
    const op = r.u8();
    const rr: JournalRr = { owner: r.ascii(), type: r.u16(), ttl: r.u32(), rdata: Buffer.from(r.bytes()) };
    (op === OP_DELETE ? entry.deleted : entry.added).push(rr);
  }
}
