/**
 * Records encoded once and copied into many answers (ResponseWriter.addBlock): the part of a proof
 * that is the same for every question under one zone, such as the SOA, the closest encloser's
 * NSEC3 and the wildcard cover of an NXDOMAIN, with their RRSIGs. Owner names are compressed the
 * way ResponseWriter compresses them against a question, here against the zone apex alone; each
 * pointer is recorded by where it sits in the block and which apex octet it names, so a copy is
 * relocated to wherever the apex sits in that message's question. RDATA is never touched (RRSIG
 * signer names and NSEC3 data stay uncompressed, RFC 4034 §3.1.7, RFC 5155 §3.3).
 */
import { nameToWire } from '../../core/names.js';
import { ResponseWriter, Section } from './response-writer.js';

export interface RecordBlock {
  /** The records' wire form, back to back. */
  bytes: Buffer;
  /** How many records `bytes` holds. */
  count: number;
  /** The apex the owners were compressed against, uncompressed wire form (its case as given). */
  apexWire: Buffer;
  /** Labels of the apex (0 for the root). */
  apexLabels: number;
  /** Offsets in `bytes` of compression pointers. */
  pointerAt: number[];
  /** For each pointer, the offset in `apexWire` of the label it points to. */
  pointerTarget: number[];
}

export interface BlockRecord {
  owner: string;
  type: number;
  ttl: number;
  rdata: Buffer;
}

/**
 * Encodes `records` (every owner at or below `apex`) as a block. Throws when they do not fit one
 * message, which the records of one proof always do.
 */
export function encodeRecordBlock(apex: string, records: readonly BlockRecord[]): RecordBlock {
  const apexWire = nameToWire(apex);
  // A question of the apex itself: the writer then compresses each owner against the apex.
  const question = Buffer.alloc(apexWire.length + 4);
  apexWire.copy(question);
  const w = scratchWriter();
  w.begin({ id: 0, opcode: 0, rd: false, cd: false, question }, { aa: false, rcode: 0 });
  for (const r of records) {
    if (!w.addRecord(Section.ANSWER, r.owner, r.type, r.ttl, r.rdata)) throw new RangeError('records do not fit one message');
  }
  const start = 12 + question.length;
  const bytes = Buffer.from(w.finishView().subarray(start));
  const pointerAt: number[] = [];
  const pointerTarget: number[] = [];
  let o = 0;
  for (let i = 0; i < records.length; i++) {
    // Owner: labels, then the root octet or a pointer into the apex of the question above.
    for (;;) {
      const len = bytes[o]!;
      if (len === 0) {
        o += 1;
        break;
      }
      if ((len & 0xc0) === 0xc0) {
        pointerAt.push(o);
        pointerTarget.push((bytes.readUInt16BE(o) & 0x3fff) - 12);
        o += 2;
        break;
      }
      o += 1 + len;
    }
    o += 10 + bytes.readUInt16BE(o + 8);
  }
  if (o !== bytes.length) throw new Error('record block: walked past its records');
  return { bytes, count: records.length, apexWire, apexLabels: countLabels(apexWire), pointerAt, pointerTarget };
}

/**
 * One writer for every block, used synchronously: blocks are made when a template is (re)built,
 * which a flood spread over many enclosers does often, and a writer is a 64 KiB buffer.
 */
let scratch: ResponseWriter | undefined;
function scratchWriter(): ResponseWriter {
  scratch ??= new ResponseWriter();
  return scratch;
}

function countLabels(wire: Buffer): number {
  let n = 0;
  for (let o = 0; wire[o]! !== 0; o += 1 + wire[o]!) n++;
  return n;
}
