/**
 * The one place answers become bytes. A plan is encoded in full (up to 65535 octets) so the
 * answer cache can hold it whatever the client's UDP size; the bytes sent are that message, or,
 * when it exceeds the client's limit over UDP, an empty answer with TC=1 so the client retries
 * over TCP (RFC 1035 §4.2.1, RFC 2181 §9; RFC 4035 §3.1.1 forbids dropping RRSIGs silently).
 * Cached answers are patched per query: ID, RD/CD bits and the question bytes (original case).
 */
import type { ParsedQuery, QueryError } from '../wire/decode-query.js';
import { MAX_MESSAGE_SIZE, OUR_UDP_PAYLOAD, encodeEdeOption, responseSizeLimit, type EdnsOption } from '../wire/edns.js';
import { withOptOption } from '../wire/opt-option.js';
import { buildErrorResponse } from '../wire/error-response.js';
import { ResponseWriter, Section, type SectionId } from '../wire/response-writer.js';
import type { AnswerPlan, PlanRecord } from './answer-plan.js';
import { encodeRecordBlock, type RecordBlock } from '../wire/record-block.js';

type Transport = 'udp' | 'tcp' | 'tls';

export interface EncodeBuffers {
  writer: ResponseWriter;
}

export function createEncodeBuffers(): EncodeBuffers {
  return { writer: new ResponseWriter(MAX_MESSAGE_SIZE) };
}

export interface Encoded {
  bytes: Buffer;
  truncated: boolean;
  /** The complete message (a private copy), for the answer cache. */
  full: Buffer | undefined;
}

export function encodePlan(b: EncodeBuffers, q: ParsedQuery, plan: AnswerPlan, transport: Transport): Encoded {
  const w = b.writer;
  w.begin(q, { aa: plan.aa, rcode: plan.rcode }, MAX_MESSAGE_SIZE);
  if (q.edns !== undefined) {
    const options = plan.ede !== undefined ? [encodeEdeOption(plan.ede.code, plan.ede.text)] : [];
    w.addOpt({ udpSize: OUR_UDP_PAYLOAD, do: q.edns.do, co: q.edns.co === true, options });
  }
  const fits = addAll(w, Section.ANSWER, plan.answer) && addAll(w, Section.AUTHORITY, plan.authority) && addAll(w, Section.ADDITIONAL, plan.additional);
  if (!fits) {
    // Larger than any DNS message: cannot happen with identity RRsets, but never send half.
    return { bytes: truncatedResponse(b, q, plan.aa, plan.rcode), truncated: true, full: undefined };
  }
  const full = w.finish();
  if (full.length <= responseSizeLimit(transport, q.edns)) return { bytes: full, truncated: false, full };
  return { bytes: truncatedResponse(b, q, plan.aa, plan.rcode), truncated: true, full };
}

/** Records (owners at or below `apex`) encoded once, to be copied into many answers by encodeFromBlocks. */
export function encodeBlock(apex: string, records: readonly PlanRecord[]): RecordBlock {
  return encodeRecordBlock(apex, records);
}

/**
 * A signed NXDOMAIN from its template (nxdomain-templates.ts): the same message encodePlan makes
 * from the full plan, `head`, `middle` and `tail` in that order in the authority section.
 * Undefined when the question does not end in the blocks' apex (then plan and encode it in full).
 */
export function encodeFromBlocks(b: EncodeBuffers, q: ParsedQuery, rcode: number, head: RecordBlock, middle: readonly PlanRecord[], tail: RecordBlock, transport: Transport): Buffer | undefined {
  const w = b.writer;
  w.begin(q, { aa: true, rcode }, MAX_MESSAGE_SIZE);
  if (q.edns !== undefined) w.addOpt({ udpSize: OUR_UDP_PAYLOAD, do: q.edns.do, co: q.edns.co === true });
  if (!w.addBlock(Section.AUTHORITY, head) || !addAll(w, Section.AUTHORITY, middle) || !w.addBlock(Section.AUTHORITY, tail)) return undefined;
  const full = w.finish();
  return full.length <= responseSizeLimit(transport, q.edns) ? full : truncatedResponse(b, q, true, rcode);
}

function addAll(w: ResponseWriter, section: SectionId, records: readonly PlanRecord[]): boolean {
  for (const r of records) if (!w.addRecord(section, r.owner, r.type, r.ttl, r.rdata)) return false;
  return true;
}

/** Header, question and OPT only, with TC=1. */
function truncatedResponse(b: EncodeBuffers, q: ParsedQuery, aa: boolean, rcode: number): Buffer {
  const w = b.writer;
  w.begin(q, { aa, rcode }, MAX_MESSAGE_SIZE);
  if (q.edns !== undefined) w.addOpt({ udpSize: OUR_UDP_PAYLOAD, do: q.edns.do, co: q.edns.co === true });
  w.setTc();
  return w.finish();
}

/**
 * What a rate-limited client gets instead of its answer now and then (rate-limit.ts "slip"): no
 * records, TC=1, so a real client retries over TCP; no AA and NOERROR, so nothing is told.
 */
export function encodeSlip(b: EncodeBuffers, q: ParsedQuery): Buffer {
  return truncatedResponse(b, q, false, 0);
}

/**
 * `bytes` with this client's COOKIE option added to its OPT (never cached: it differs per client).
 * If that takes a UDP answer past the client's size, it goes out truncated (TC=1) instead.
 */
export function withCookie(b: EncodeBuffers, q: ParsedQuery, transport: Transport, bytes: Buffer, cookie: EdnsOption): Buffer {
  const out = withOptOption(bytes, cookie);
  if (out.length <= responseSizeLimit(transport, q.edns)) return out;
  return withOptOption(truncatedResponse(b, q, (bytes[2]! & 0x04) !== 0, bytes[3]! & 0x0f), cookie);
}

/** A cached answer made fit for this query: a copy with its ID, RD/CD and question case. */
export function patchCached(b: EncodeBuffers, cached: Buffer, q: ParsedQuery, transport: Transport): Buffer {
  if (cached.length > responseSizeLimit(transport, q.edns)) {
    return truncatedResponse(b, q, (cached[2]! & 0x04) !== 0, cached[3]! & 0x0f);
  }
  const out = Buffer.allocUnsafe(cached.length);
  cached.copy(out);
  out.writeUInt16BE(q.id, 0);
  out[2] = (out[2]! & ~0x01) | (q.rd ? 0x01 : 0);
  out[3] = (out[3]! & ~0x10) | (q.cd ? 0x10 : 0);
  // Same name up to case, so the same length: the compression pointers stay valid.
  q.question.copy(out, 12);
  return out;
}

export function encodeError(_b: EncodeBuffers, head: ParsedQuery | QueryError, rcode: number, ede: { code: number; text: string } | undefined): Buffer {
  return buildErrorResponse(head, rcode, ede);
}
