/**
 * Adds one EDNS option to the OPT record of an encoded message (our own, well formed), for what
 * differs per client and must not go into cached answers: the DNS cookie (query/cookies.ts).
 * Finds the OPT by walking the message's records, and returns a new buffer (the input is kept).
 */
import { RrType } from '../../core/rr-types.js';
import type { EdnsOption } from './edns.js';

/** Where the OPT record's RDLENGTH and RDATA end are, or undefined when the message has no OPT. */
function findOpt(msg: Buffer): { rdlenAt: number; end: number } | undefined {
  let pos = 12;
  const skipName = (): void => {
    for (;;) {
      const len = msg[pos]!;
      if ((len & 0xc0) === 0xc0) {
        pos += 2;
        return;
      }
      pos += 1 + len;
      if (len === 0) return;
    }
  };
  for (let i = msg.readUInt16BE(4); i > 0; i--) {
    skipName();
    pos += 4;
  }
  const records = msg.readUInt16BE(6) + msg.readUInt16BE(8) + msg.readUInt16BE(10);
  for (let i = 0; i < records; i++) {
    skipName();
    const type = msg.readUInt16BE(pos);
    const rdlen = msg.readUInt16BE(pos + 8);
    if (type === RrType.OPT) return { rdlenAt: pos + 8, end: pos + 10 + rdlen };
    pos += 10 + rdlen;
  }
  return undefined;
}

/** `msg` with `option` appended to its OPT RDATA; `msg` itself when it has no OPT. */
export function withOptOption(msg: Buffer, option: EdnsOption): Buffer {
  const opt = findOpt(msg);
  if (opt === undefined) return msg;
  const add = 4 + option.data.length;
  const out = Buffer.allocUnsafe(msg.length + add);
  msg.copy(out, 0, 0, opt.end);
  out.writeUInt16BE(option.code, opt.end);
  out.writeUInt16BE(option.data.length, opt.end + 2);
  option.data.copy(out, opt.end + 4);
  msg.copy(out, opt.end + add, opt.end);
  out.writeUInt16BE(msg.readUInt16BE(opt.rdlenAt) + add, opt.rdlenAt);
  return out;
}
