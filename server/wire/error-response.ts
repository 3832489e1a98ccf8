/**
 * The one place error replies are built (STYLE.md §Named stages): FORMERR, SERVFAIL, NOTIMP,
 * REFUSED, NOTAUTH, BADVERS. The header copies ID, opcode, RD and CD; the question is echoed when
 * it parsed (RFC 1035 §4.1.1); an OPT record is present iff the query had one (RFC 6891 §6.1.1,
 * RFC 9103 §6.3.4), advertising our payload size and version 0, echoing DO (RFC 3225 §3), and
 * carrying an Extended DNS Error when given (RFC 8914 §2). BADVERS (16) is carried as extended
 * rcode 1 in the OPT TTL with header rcode 0 (RFC 6891 §6.1.3).
 */
import { encodeEdeOption, MIN_UDP_PAYLOAD, OUR_UDP_PAYLOAD, EDNS_VERSION } from './edns.js';
import type { EdnsInfo } from './edns.js';
import { ResponseWriter } from './response-writer.js';
import type { ResponseHead } from './response-writer.js';

export interface ErrorResponseInput extends ResponseHead {
  edns?: EdnsInfo | undefined;
  /** A complete TSIG record to end the additional section with (RFC 8945 §5.2 BADKEY replies). */
  tsig?: Buffer | undefined;
}

/** An Extended DNS Error to attach (RFC 8914 §4 codes; `EdeCode` in core/rr-types). */
export interface ExtendedError {
  code: number;
  text?: string;
}

const writer = new ResponseWriter(4096);
/** A question is at most a 255-octet name plus type and class. */
const MAX_QUESTION = 255 + 4;

/** Builds a complete error response (a fresh Buffer); always fits a 512-octet datagram. */
export function buildErrorResponse(input: ErrorResponseInput, rcode: number, ede?: ExtendedError): Buffer {
  const question = input.question !== undefined && input.question.length <= MAX_QUESTION ? input.question : undefined;
  writer.begin({ id: input.id, opcode: input.opcode, rd: input.rd, cd: input.cd, question }, { aa: false, rcode }, MIN_UDP_PAYLOAD);
  // An extended rcode cannot be expressed without OPT; only BADVERS needs it, and it implies one.
  if (input.edns !== undefined || rcode > 15) {
    writer.addOpt({ udpSize: OUR_UDP_PAYLOAD, do: input.edns?.do ?? false, co: input.edns?.co === true, version: EDNS_VERSION });
    if (ede !== undefined && input.edns !== undefined) {
      const room = MIN_UDP_PAYLOAD - writer.size - 6;
      writer.addEdnsOption(encodeEdeOption(ede.code, ede.text ?? '', room));
    }
  }
  const out = writer.finish();
  // A TSIG that would take the answer past 512 octets (names expanded from pointers can be long)
  // is left out: a plain NOTAUTH says enough, and an error must never amplify.
  if (input.tsig === undefined || out.length + input.tsig.length > MIN_UDP_PAYLOAD) return out;
  // TSIG comes last (RFC 8945 §5.1), after the OPT the writer puts at the end.
  const withTsig = Buffer.concat([out, input.tsig]);
  withTsig.writeUInt16BE(withTsig.readUInt16BE(10) + 1, 10);
  return withTsig;
}

