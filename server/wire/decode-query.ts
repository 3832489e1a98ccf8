/**
 * Staged decode of an incoming DNS message (RFC 1035 §4.1) into a query, an error to answer, or
 * nothing. Stages, each with one outcome on failure:
 *   1. header: shorter than 12 octets or QR=1 → drop (never answer a response, RFC 1035 §4.1.1);
 *   2. sections: every name and record of all four sections is bounds-checked (counts are checked
 *      against the bytes present first, so 0xFFFF counts fail at once) → FORMERR;
 *   3. OPT: more than one, not at the root, or outside the additional section → FORMERR
 *      (RFC 6891 §6.1.1); EDNS version above 0 → BADVERS (RFC 6891 §6.1.3);
 *   4. opcode other than QUERY(0)/NOTIFY(4) → NOTIMP (RFC 8906 §3.1.4); for those opcodes a
 *      malformed body is NOTIMP too, since their format is not ours to judge;
 *   5. QDCOUNT ≠ 1 → FORMERR.
 * It never throws. Query-type and class policy (NXNAME, ANY, CH) is left to the resolver.
 * Views: `question`, EDNS option data and the labels refer to the caller's message buffer; the
 * caller must copy them if it keeps them after the message buffer is reused.
 */
import { Opcode, Rcode, RrType } from '../../core/rr-types.js';
import type { EdnsInfo, EdnsOption } from './edns.js';
import { canonicalNameAt, NameReader } from './name-reader.js';
import { WireError } from './wire-error.js';

export interface ParsedQuery {
  id: number;
  opcode: number;
  rd: boolean;
  cd: boolean;
  /** Canonical name (lowercase, absolute). */
  qname: string;
  qnameLabels: number;
  qtype: number;
  qclass: number;
  /** The question section as received (original case), uncompressed: echo it byte for byte. */
  question: Buffer;
  edns?: EdnsInfo | undefined;
  /** Serial of the SOA in the authority section of an IXFR query (RFC 1995 §3). */
  ixfrSerial?: number | undefined;
  messageSize: number;
}

/** What an error response needs; the shape buildErrorResponse takes. */
export interface QueryError {
  kind: 'error';
  rcode: number;
  id: number;
  opcode: number;
  rd: boolean;
  cd: boolean;
  question?: Buffer;
  edns?: EdnsInfo;
  /** A TSIG record for the reply (BADKEY, unsigned): the last record of its additional section. */
  tsig?: Buffer;
  /** The message had no question (QDCOUNT 0): with a DNS cookie, a client learning a server cookie. */
  noQuestion?: true;
  /** Why, for logs and tests; never sent. */
  reason: string;
}

export type DecodeResult =
  | { kind: 'drop'; reason: string }
  | QueryError
  | { kind: 'query'; query: ParsedQuery };

const HEADER = 12;
const MIN_QUESTION = 5; // root name + type + class
const MIN_RR = 11; // root name + type + class + ttl + rdlength

interface Header {
  id: number;
  opcode: number;
  rd: boolean;
  cd: boolean;
  qd: number;
  an: number;
  ns: number;
  ar: number;
}

/** What the section walk found; filled in as it goes so a failure keeps what parsed before it. */
interface Sections {
  question?: Buffer;
  /** Offsets of the question name's label length octets. */
  labels: number[];
  qtype: number;
  qclass: number;
  edns?: EdnsInfo;
  optCount: number;
  optProblem?: string;
  ixfrSerial?: number;
  /** TSIG records seen, where the first was, and whether the last record read was one. */
  tsigCount: number;
  tsig?: { owner: number; labels: number[]; nameEnd: number; section: SectionName };
  lastWasTsig: boolean;
}

const reader = new NameReader();

export function decodeQuery(msg: Buffer): DecodeResult {
  if (msg.length < HEADER) return { kind: 'drop', reason: 'message shorter than a header' };
  const flags = msg.readUInt16BE(2);
  if ((flags & 0x8000) !== 0) return { kind: 'drop', reason: 'QR=1: a response, not a query' };
  const head = readHeader(msg, flags);
  const known = head.opcode === Opcode.QUERY || head.opcode === Opcode.NOTIFY;
  const s: Sections = { labels: [], qtype: 0, qclass: 0, optCount: 0, tsigCount: 0, lastWasTsig: false };
  try {
    readSections(msg, head, s);
  } catch (e) {
    const reason = e instanceof WireError ? e.message : `internal: ${String(e)}`;
    if (!known) return fail(head, s, Rcode.NOTIMP, `opcode ${head.opcode} not implemented`);
    return fail(head, s, Rcode.FORMERR, reason);
  }
  return judge(msg, head, s, known);
}

function readHeader(msg: Buffer, flags: number): Header {
  return {
    id: msg.readUInt16BE(0),
    opcode: (flags >> 11) & 0xf,
    rd: (flags & 0x0100) !== 0,
    cd: (flags & 0x0010) !== 0,
    qd: msg.readUInt16BE(4),
    an: msg.readUInt16BE(6),
    ns: msg.readUInt16BE(8),
    ar: msg.readUInt16BE(10),
  };
}

/** Stages 3–5 on a message whose sections all parsed. */
function judge(msg: Buffer, head: Header, s: Sections, known: boolean): DecodeResult {
  if (s.optProblem !== undefined) return fail(head, s, known ? Rcode.FORMERR : Rcode.NOTIMP, s.optProblem);
  if (s.edns !== undefined && s.edns.version > 0) return fail(head, s, Rcode.BADVERS, `EDNS version ${s.edns.version} not supported`);
  if (!known) return fail(head, s, Rcode.NOTIMP, `opcode ${head.opcode} not implemented`);
  if (head.qd !== 1 || s.question === undefined) return fail(head, s, Rcode.FORMERR, `QDCOUNT is ${head.qd}, not 1`);
  if (s.tsig !== undefined) return judgeTsig(msg, head, s);
  const query: ParsedQuery = {
    id: head.id,
    opcode: head.opcode,
    rd: head.rd,
    cd: head.cd,
    qname: canonicalNameAt(msg, s.labels),
    qnameLabels: s.labels.length,
    qtype: s.qtype,
    qclass: s.qclass,
    question: s.question,
    // Always present (possibly undefined) so every ParsedQuery has one shape for the JIT.
    edns: s.edns,
    ixfrSerial: s.qtype === RrType.IXFR ? s.ixfrSerial : undefined,
    messageSize: msg.length,
  };
  return { kind: 'query', query };
}

/**
 * RFC 8945 §5.2: idzone has no TSIG keys, so a signed query is NOTAUTH with an unsigned TSIG
 * record saying BADKEY (§5.2.2; its MAC empty, time and fudge copied). A TSIG that is not the
 * last record of the additional section, or one of several, is FORMERR (§5.1).
 */
function judgeTsig(msg: Buffer, head: Header, s: Sections): QueryError {
  const t = s.tsig!;
  if (s.tsigCount > 1 || t.section !== 'additional' || !s.lastWasTsig) return fail(head, s, Rcode.FORMERR, 'TSIG is not the last record of the additional section');
  const rdStart = t.nameEnd + 10;
  const rdEnd = rdStart + msg.readUInt16BE(t.nameEnd + 8);
  const algLabels: number[] = [];
  let pos: number;
  try {
    pos = reader.read(rdStart, rdEnd, algLabels);
  } catch (e) {
    return fail(head, s, Rcode.FORMERR, `TSIG algorithm name: ${(e as Error).message}`);
  }
  // Time signed (6), fudge (2), MAC size (2), MAC, original ID (2), error (2), other length (2).
  if (pos + 10 > rdEnd) return fail(head, s, Rcode.FORMERR, 'TSIG RDATA too short');
  const time = msg.subarray(pos, pos + 8);
  const macSize = msg.readUInt16BE(pos + 8);
  pos += 10 + macSize;
  if (pos + 6 > rdEnd) return fail(head, s, Rcode.FORMERR, 'TSIG RDATA too short');
  const originalId = msg.readUInt16BE(pos);
  const keyName = nameWire(msg, t.labels);
  const algorithm = nameWire(msg, algLabels);
  const rdata = Buffer.alloc(algorithm.length + 8 + 2 + 2 + 2 + 2);
  let o = algorithm.copy(rdata, 0);
  o += time.copy(rdata, o); // time signed and fudge, as received
  o = rdata.writeUInt16BE(0, o); // MAC size: unsigned reply
  o = rdata.writeUInt16BE(originalId, o);
  o = rdata.writeUInt16BE(TSIG_BADKEY, o);
  rdata.writeUInt16BE(0, o); // other length
  const rr = Buffer.alloc(keyName.length + 10);
  keyName.copy(rr, 0);
  rr.writeUInt16BE(RrType.TSIG, keyName.length);
  rr.writeUInt16BE(255, keyName.length + 2); // class ANY
  rr.writeUInt32BE(0, keyName.length + 4);
  rr.writeUInt16BE(rdata.length, keyName.length + 8);
  const out = fail(head, s, Rcode.NOTAUTH, 'TSIG with a key this server does not have');
  out.tsig = Buffer.concat([rr, rdata]);
  return out;
}

/** TSIG error BADKEY (RFC 8945 §6). */
const TSIG_BADKEY = 17;

/** The uncompressed wire form of a name read with its label offsets. */
function nameWire(msg: Buffer, labels: readonly number[]): Buffer {
  let size = 1;
  for (const at of labels) size += msg[at]! + 1;
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (const at of labels) o += msg.copy(out, o, at, at + 1 + msg[at]!);
  out[o] = 0;
  return out;
}

function fail(head: Header, s: Sections, rcode: number, reason: string): QueryError {
  const out: QueryError = { kind: 'error', rcode, id: head.id, opcode: head.opcode, rd: head.rd, cd: head.cd, reason };
  // Echo the question only when there was exactly one and it parsed (RFC 1035 §4.1.2).
  if (head.qd === 1 && s.question !== undefined) out.question = s.question;
  if (head.qd === 0) out.noQuestion = true;
  if (s.edns !== undefined) out.edns = s.edns;
  return out;
}

function readSections(msg: Buffer, head: Header, s: Sections): void {
  const rrs = head.an + head.ns + head.ar;
  if (head.qd * MIN_QUESTION + rrs * MIN_RR > msg.length - HEADER) {
    throw new WireError('section counts need more octets than the message holds');
  }
  reader.reset(msg);
  let pos = HEADER;
  for (let i = 0; i < head.qd; i++) pos = readQuestion(msg, pos, s, i === 0);
  for (let i = 0; i < head.an; i++) pos = readRecord(msg, pos, s, 'answer');
  for (let i = 0; i < head.ns; i++) pos = readRecord(msg, pos, s, 'authority');
  for (let i = 0; i < head.ar; i++) pos = readRecord(msg, pos, s, 'additional');
}

function readQuestion(msg: Buffer, pos: number, s: Sections, first: boolean): number {
  const labels: number[] = [];
  const nameEnd = reader.read(pos, msg.length, labels);
  if (nameEnd + 4 > msg.length) throw new WireError('question runs past the end of the message');
  if (first) {
    s.labels = labels;
    s.qtype = msg.readUInt16BE(nameEnd);
    s.qclass = msg.readUInt16BE(nameEnd + 2);
    s.question = questionBytes(msg, pos, nameEnd, labels);
  }
  return nameEnd + 4;
}

/** The raw question; rebuilt without the pointer when the name was compressed. */
function questionBytes(msg: Buffer, pos: number, nameEnd: number, labels: readonly number[]): Buffer {
  let wire = 1;
  for (const at of labels) wire += msg[at]! + 1;
  if (nameEnd - pos === wire) return msg.subarray(pos, nameEnd + 4);
  const out = Buffer.allocUnsafe(wire + 4);
  let o = 0;
  for (const at of labels) o += msg.copy(out, o, at, at + 1 + msg[at]!);
  out[o++] = 0;
  msg.copy(out, o, nameEnd, nameEnd + 4);
  return out;
}

type SectionName = 'answer' | 'authority' | 'additional';

function readRecord(msg: Buffer, pos: number, s: Sections, section: SectionName): number {
  const nameEnd = reader.read(pos, msg.length);
  if (nameEnd + 10 > msg.length) throw new WireError('record header runs past the end of the message');
  const type = msg.readUInt16BE(nameEnd);
  const rdlength = msg.readUInt16BE(nameEnd + 8);
  const rdStart = nameEnd + 10;
  const rdEnd = rdStart + rdlength;
  if (rdEnd > msg.length) throw new WireError('RDATA runs past the end of the message');
  s.lastWasTsig = type === RrType.TSIG;
  if (type === RrType.TSIG) {
    s.tsigCount++;
    if (s.tsig === undefined) {
      const labels: number[] = [];
      reader.read(pos, msg.length, labels);
      s.tsig = { owner: pos, labels, nameEnd, section };
    }
  }
  if (type === RrType.OPT) readOpt(msg, pos, nameEnd, s, section);
  else if (type === RrType.SOA && section === 'authority' && s.ixfrSerial === undefined) {
    s.ixfrSerial = readSoaSerial(msg, rdStart, rdEnd);
  }
  return rdEnd;
}

function readOpt(msg: Buffer, owner: number, nameEnd: number, s: Sections, section: SectionName): void {
  s.optCount++;
  if (s.optCount > 1) s.optProblem ??= 'more than one OPT record';
  if (section !== 'additional') s.optProblem ??= `OPT record in the ${section} section`;
  if (nameEnd !== owner + 1 || msg[owner] !== 0) s.optProblem ??= 'OPT owner is not the root';
  if (s.edns !== undefined) return;
  const ttl = msg.readUInt32BE(nameEnd + 4);
  const rdStart = nameEnd + 10;
  // Recorded before its options are read, so a FORMERR for a bad option still carries an OPT.
  const edns: EdnsInfo = { udpSize: msg.readUInt16BE(nameEnd + 2), version: (ttl >>> 16) & 0xff, do: (ttl & 0x8000) !== 0, co: (ttl & 0x4000) !== 0, options: [] };
  s.edns = edns;
  readOptions(msg, rdStart, rdStart + msg.readUInt16BE(nameEnd + 8), edns.options);
}

function readOptions(msg: Buffer, start: number, end: number, out: EdnsOption[]): void {
  let pos = start;
  while (pos < end) {
    if (pos + 4 > end) throw new WireError('EDNS option header runs past the OPT RDATA');
    const len = msg.readUInt16BE(pos + 2);
    if (pos + 4 + len > end) throw new WireError('EDNS option data runs past the OPT RDATA');
    out.push({ code: msg.readUInt16BE(pos), data: msg.subarray(pos + 4, pos + 4 + len) });
    pos += 4 + len;
  }
}

/** SOA RDATA (RFC 1035 §3.3.13): two names, then five 32-bit fields; SERIAL is the first. */
function readSoaSerial(msg: Buffer, start: number, end: number): number {
  let pos = reader.read(start, end);
  pos = reader.read(pos, end);
  if (end - pos !== 20) throw new WireError('SOA RDATA has the wrong length');
  return msg.readUInt32BE(pos);
}
