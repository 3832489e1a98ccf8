/**
 * Request bodies read defensively: the media type is checked before a byte is read (415), the size is
 * enforced while streaming (413 as soon as the limit is passed, whatever Content-Length claimed, so a
 * 20 MB body is never held), UTF-8 must be well formed (RFC 8259 §8.1), and a JSON syntax error is
 * reported with its byte position, line and column (the message of V8's JSON.parse does not always
 * carry one). NDJSON is split by LineSplitter without ever holding more than one line.
 */
import type { IncomingMessage } from 'node:http';
import { ApiErrorCode, makeProblem, type Problem } from './errors.js';
import { jsonErrorOffset } from './json-error-offset.js';

export type BodyResult = { ok: true; value: unknown } | { ok: false; problem: Problem; close: boolean };

/** The bare media type of the request (parameters and case dropped), or '' when absent. */
export function mediaTypeOf(req: IncomingMessage): string {
  const raw = req.headers['content-type'] ?? '';
  return raw.split(';')[0]!.trim().toLowerCase();
}

/** A 415 problem unless the request's media type is one of `accepted`. */
export function checkMediaType(req: IncomingMessage, accepted: readonly string[]): Problem | undefined {
  const got = mediaTypeOf(req);
  if (accepted.includes(got)) return undefined;
  const said = got === '' ? 'no Content-Type' : `Content-Type ${got}`;
  return makeProblem(ApiErrorCode.MEDIA_TYPE, `this resource takes ${accepted.join(' or ')}, the request has ${said}`);
}

export function tooLargeProblem(maxBytes: number): Problem {
  return makeProblem(ApiErrorCode.BODY_TOO_LARGE, `the body exceeds the limit of ${maxBytes} bytes; split the change into smaller requests or use the NDJSON import`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads and parses a JSON body of at most `maxBytes`; stops reading at the limit. */
export function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve({ ok: false, problem: tooLargeProblem(maxBytes), close: true });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (r: BodyResult): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onAbort);
      resolve(r);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        req.pause();
        settle({ ok: false, problem: tooLargeProblem(maxBytes), close: true });
      } else chunks.push(chunk);
    };
    const onEnd = (): void => settle(parseJsonBytes(Buffer.concat(chunks, size)));
    const onAbort = (): void => settle({ ok: false, problem: makeProblem(ApiErrorCode.BAD_JSON, 'the request body ended before it was complete'), close: true });
    req.on('data', onData).on('end', onEnd).on('error', onAbort).on('close', onAbort);
  });
}

/** Decodes UTF-8 strictly and parses JSON, locating a syntax error by byte offset, line and column. */
export function parseJsonBytes(bytes: Buffer): BodyResult {
  if (bytes.length === 0) return { ok: false, problem: makeProblem(ApiErrorCode.BAD_JSON, 'the body is empty; a JSON document is required'), close: false };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, problem: makeProblem(ApiErrorCode.BAD_JSON, 'the body is not valid UTF-8 (RFC 8259 §8.1)'), close: false };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, problem: badJsonProblem(text, (e as Error).message), close: false };
  }
}

export function badJsonProblem(text: string, parserMessage: string): Problem {
  const offset = jsonErrorOffset(text);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  const detail = `invalid JSON at position ${offset} (line ${line}, column ${column}): ${parserMessage}`;
  return makeProblem(ApiErrorCode.BAD_JSON, detail, [{ pointer: '', message: detail }]);
}

/**
 * Splits a byte stream into lines without holding more than `maxLineBytes` of any one line: a longer
 * line is reported as too long and skipped up to its newline. Lines are numbered from 1; a trailing
 * `\r` is dropped (CRLF files).
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private overlong = false;
  private lineNo = 0;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: number, text: string | undefined, problem: string | undefined) => void,
  ) {}

  push(chunk: Buffer): void {
    let pos = 0;
    for (let nl = chunk.indexOf(10, pos); nl !== -1; nl = chunk.indexOf(10, pos)) {
      // A whole line inside this chunk is decoded where it lies: no copy, no subarray view.
      if (this.pendingBytes === 0 && !this.overlong && nl - pos <= this.maxLineBytes) this.emitRange(chunk, pos, nl);
      else {
        this.append(chunk.subarray(pos, nl));
        this.emit();
      }
      pos = nl + 1;
    }
    if (pos < chunk.length) this.append(chunk.subarray(pos));
  }

  /** Flushes a last line without a final newline. */
  end(): void {
    if (this.pendingBytes > 0 || this.overlong) this.emit();
  }

  private append(piece: Buffer): void {
    if (this.overlong) return;
    if (this.pendingBytes + piece.length > this.maxLineBytes) {
      this.overlong = true;
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    // Copy: the chunk's memory may be reused by the stream once this call returns.
    if (piece.length > 0) this.pending.push(Buffer.from(piece));
    this.pendingBytes += piece.length;
  }

  private emit(): void {
    this.lineNo++;
    if (this.overlong) {
      this.overlong = false;
      this.onLine(this.lineNo, undefined, `line longer than ${this.maxLineBytes} bytes`);
      return;
    }
    const bytes = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.decode(bytes, 0, bytes.length);
  }

  /** A complete line that lies in `chunk` from `start` to `end` (the newline excluded). */
  private emitRange(chunk: Buffer, start: number, end: number): void {
    this.lineNo++;
    this.decode(chunk, start, end);
  }

  private decode(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === 13) end--;
    let text: string | undefined;
    // ASCII (what NDJSON files almost always are) reads the same as latin1 and needs no UTF-8 checks.
    if (isAscii(buf, start, end)) text = buf.toString('latin1', start, end);
    else {
      try {
        text = utf8.decode(buf.subarray(start, end));
      } catch {
        text = undefined;
      }
    }
    if (text === undefined) this.onLine(this.lineNo, undefined, 'line is not valid UTF-8');
    else this.onLine(this.lineNo, text, undefined);
  }
}

/** True when bytes start … end-1 are all below 0x80. */
function isAscii(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  for (; i < end; i++) if (buf[i]! >= 0x80) return false;
  return true;
}
