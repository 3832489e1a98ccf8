/**
 * One DNS-over-stream connection (TCP now, TLS later; RFC 7766, RFC 1035 §4.2.2): messages framed
 * by a two-octet length, processed as soon as each is complete (pipelining, RFC 7766 §6.2.1.1),
 * answered in processing order with the answers of one read coalesced into one write (§8).
 *
 * Limits, each bounding what one client can hold:
 * - the idle timer is re-armed only by a complete message (RFC 7766 §6.2.3), so a client that
 *   trickles bytes, or announces a length it never sends, is closed when it expires;
 * - unprocessed input is at most one read chunk plus one partial message (≤ 65537 octets), since
 *   every complete message is handled at once and reading stops while output is blocked; partial
 *   input is gathered in a buffer that grows by doubling, so trickled bytes are copied O(1) times,
 *   but never past the length the message announced;
 * - input held beyond SMALL_INPUT (a query is a few hundred octets) counts against a budget shared
 *   by every connection of the server (`inputBudget`): a connection whose partial message would
 *   take more than is left is closed, so thousands of connections announcing 64 KiB messages
 *   cannot hold hundreds of MB, and queries of ordinary size are never refused for it;
 * - when the socket's queued output passes `maxWriteBuffer`, reading and processing pause until
 *   it drains (a client that does not read its answers is eventually dropped by the idle timer);
 * - a zero-length message closes the connection.
 * When the client ends or resets the connection, unprocessed queries are dropped and nothing more
 * is sent (RFC 7766 §6.2.4).
 */
import type { Socket } from 'node:net';
import { isDeferred, type HandlerResult, type QueryContext, type QueryHandler, type TcpStats, type TransportErrorHandler, type TransportKind } from './types.js';

/** What a connection needs from its server. */
export interface StreamHost {
  readonly transport: TransportKind;
  readonly handler: QueryHandler;
  readonly stats: TcpStats;
  readonly maxWriteBuffer: number;
  readonly onError: TransportErrorHandler;
  /** Idle timeout to apply now (shorter when the server is loaded). */
  idleTimeoutMs(): number;
  onClosed(conn: StreamConnection): void;
  /** Input held by all connections beyond SMALL_INPUT each changed by `delta` octets; false: over budget. */
  holdInput(delta: number): boolean;
}

/** Input a connection may hold without drawing on the shared budget. */
export const SMALL_INPUT = 4096;

const MAX_FRAME = 65535;
/** First size of an owned input buffer: one typical query, so trickled bytes do not reallocate per byte. */
const MIN_GROWTH = 512;

export class StreamConnection {
  readonly remoteAddress: string;
  private readonly remotePort: number;
  /** Unprocessed input is buf[start, end). Owned buffers grow in place past `end`, never before it. */
  private buf: Buffer | null = null;
  private start = 0;
  private end = 0;
  private owned = false;
  private timer: NodeJS.Timeout;
  private timerMs: number;
  private done = false;
  private blocked = false;
  /** Octets of input this connection counts against the shared budget (its buffer beyond SMALL_INPUT). */
  private held = 0;

  constructor(
    private readonly socket: Socket,
    private readonly host: StreamHost,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.timerMs = host.idleTimeoutMs();
    this.timer = setTimeout(() => this.onIdle(), this.timerMs);
    this.timer.unref();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('end', () => this.stop());
    socket.on('error', (err) => this.onSocketError(err));
    socket.on('close', () => this.onClose());
  }

  /** Shortens the idle timer to at most `ms` from now (used when the server becomes loaded). */
  limitIdle(ms: number): void {
    if (this.done || this.timerMs <= ms) return;
    this.arm(ms);
  }

  destroy(): void {
    this.stop();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.done) return;
    if (this.buf === null) {
      this.buf = chunk;
      this.start = 0;
      this.end = chunk.length;
      this.owned = false;
    } else this.append(chunk);
    this.pump();
    this.compact();
    this.account();
  }

  /** A small partial message left at the end of a large buffer (a read chunk) moves to its own buffer. */
  private compact(): void {
    const buf = this.buf;
    if (buf === null || this.done || buf.length <= SMALL_INPUT) return;
    const pending = this.end - this.start;
    const cap = pending >= 2 ? 2 + buf.readUInt16BE(this.start) : 2 + MAX_FRAME;
    const size = Math.max(pending, Math.min(MIN_GROWTH, cap));
    if (this.blocked || size > SMALL_INPUT) return;
    const own = Buffer.allocUnsafe(size);
    buf.copy(own, 0, this.start, this.end);
    this.buf = own;
    this.start = 0;
    this.end = pending;
    this.owned = true;
  }

  /** Brings the shared input budget up to date with what this connection holds; closes it when over. */
  private account(): void {
    const now = this.buf === null ? 0 : Math.max(0, this.buf.length - SMALL_INPUT);
    if (now === this.held) return;
    const ok = this.host.holdInput(now - this.held);
    this.held = now;
    if (!ok && now > 0) {
      this.host.stats.closedByInputBudget++;
      this.destroy();
    }
  }

  /**
   * Adds a chunk behind the pending bytes. The buffer grows by doubling, so a client sending one
   * byte per packet costs O(1) copying per byte, not a copy of everything pending per packet.
   * Bytes already handed to the handler are never overwritten: growth allocates a new buffer.
   */
  private append(chunk: Buffer): void {
    const buf = this.buf!;
    if (this.owned && buf.length - this.end >= chunk.length) {
      chunk.copy(buf, this.end);
      this.end += chunk.length;
      return;
    }
    const pending = this.end - this.start;
    // Doubling stops at the announced message (length prefix included) when the prefix is here.
    const cap = pending >= 2 ? 2 + buf.readUInt16BE(this.start) : 2 + MAX_FRAME;
    const grown = Buffer.allocUnsafe(Math.max(pending + chunk.length, Math.min(Math.max(2 * pending, MIN_GROWTH), cap)));
    buf.copy(grown, 0, this.start, this.end);
    chunk.copy(grown, pending);
    this.buf = grown;
    this.start = 0;
    this.end = pending + chunk.length;
    this.owned = true;
  }

  private onDrain(): void {
    if (!this.blocked || this.done) return;
    this.blocked = false;
    this.socket.resume();
    this.pump();
    if (!this.done) {
      this.compact();
      this.account();
    }
  }

  /** Handles complete messages in batches until input runs out or output backs up. */
  private pump(): void {
    while (!this.done && !this.blocked && this.buf !== null) {
      const frames = this.takeBatch();
      if (frames.length > 0) this.write(frames);
      if (this.done) return;
      if (this.socket.writableLength > this.host.maxWriteBuffer) {
        this.blocked = true;
        this.socket.pause();
        return;
      }
      if (!this.hasCompleteMessage()) return;
    }
  }

  /** Handles messages until the input has no complete one or the batch reaches maxWriteBuffer. */
  private takeBatch(): Buffer[] {
    const frames: Buffer[] = [];
    let bytes = 0;
    const input = this.buf!;
    while (this.end - this.start >= 2 && bytes <= this.host.maxWriteBuffer) {
      const len = input.readUInt16BE(this.start);
      if (len === 0) {
        // No DNS message is empty: the stream is broken from here on. What came before it was
        // well framed and is answered first (in this batch), then the connection is closed.
        this.host.stats.closedByZeroLength++;
        if (frames.length > 0) this.write(frames);
        this.stop();
        this.socket.end();
        return [];
      }
      if (this.end - this.start - 2 < len) break;
      const msg = input.subarray(this.start + 2, this.start + 2 + len);
      this.start += 2 + len;
      this.arm(this.host.idleTimeoutMs());
      bytes += this.answer(msg, frames);
      if (this.done) return [];
    }
    if (this.start >= this.end) this.buf = null;
    return frames;
  }

  private hasCompleteMessage(): boolean {
    const pending = this.end - this.start;
    return this.buf !== null && pending >= 2 && pending - 2 >= this.buf.readUInt16BE(this.start);
  }

  /** Runs the handler on one message; pushes its answers and returns their framed size. */
  private answer(msg: Buffer, frames: Buffer[]): number {
    const stats = this.host.stats;
    stats.messages++;
    const ctx: QueryContext = {
      transport: this.host.transport,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      idleTimeoutMs: this.timerMs,
    };
    let result: HandlerResult;
    try {
      result = this.host.handler(msg, ctx);
    } catch (err) {
      stats.handlerErrors++;
      this.host.onError(err, `${this.host.transport} handler`);
      return 0;
    }
    if (isDeferred(result)) {
      // Answers may leave out of order on a stream (RFC 7766 §7); the client matches them by ID.
      result.then(
        (b) => {
          if (b === null) stats.dropped++;
          else if (!this.done && !this.socket.destroyed && b.length > 0 && b.length <= MAX_FRAME) {
            stats.responses++;
            this.write([b]);
          }
        },
        (err: unknown) => {
          stats.handlerErrors++;
          this.host.onError(err, `${this.host.transport} handler`);
        },
      );
      return 0;
    }
    const out = result;
    if (out === null) {
      stats.dropped++;
      return 0;
    }
    let bytes = 0;
    for (const b of Buffer.isBuffer(out) ? [out] : (out as readonly Buffer[])) {
      if (b.length === 0 || b.length > MAX_FRAME) {
        stats.oversizeResponses++;
        this.host.onError(new RangeError(`response of ${b.length} octets cannot be framed`), `${this.host.transport} framing`);
        continue;
      }
      stats.responses++;
      frames.push(b);
      bytes += 2 + b.length;
    }
    return bytes;
  }

  /** One write for the whole batch: length prefixes and messages copied into a single buffer. */
  private write(frames: readonly Buffer[]): void {
    let total = 0;
    for (const f of frames) total += 2 + f.length;
    const out = Buffer.allocUnsafe(total);
    let o = 0;
    for (const f of frames) {
      out.writeUInt16BE(f.length, o);
      o += 2 + f.copy(out, o + 2);
    }
    this.socket.write(out);
  }

  private arm(ms: number): void {
    if (ms === this.timerMs) {
      this.timer.refresh();
      return;
    }
    clearTimeout(this.timer);
    this.timerMs = ms;
    this.timer = setTimeout(() => this.onIdle(), ms);
    this.timer.unref();
  }

  private onIdle(): void {
    if (this.socket.destroyed) return;
    this.host.stats.closedByIdleTimeout++;
    this.destroy();
  }

  /** Stops processing: queued input is dropped and nothing more is written. */
  private stop(): void {
    this.done = true;
    this.buf = null;
    this.account();
  }

  private onSocketError(err: Error): void {
    this.host.stats.socketErrors++;
    // Resets and broken pipes are ordinary client behaviour; report only the unexpected.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ECONNRESET' && code !== 'EPIPE') this.host.onError(err, `${this.host.transport} socket`);
  }

  private onClose(): void {
    this.stop();
    clearTimeout(this.timer);
    this.host.onClosed(this);
  }
}
