/**
 * Test clients for the transport tests: a REFUSED-everything handler built from server/wire, and
 * small UDP/TCP clients with deadlines, so no test can hang.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { decodeQuery } from '../../../server/wire/decode-query.js';
import { buildErrorResponse } from '../../../server/wire/error-response.js';
import { Rcode } from '../../../core/rr-types.js';
import type { QueryHandler } from '../../../server/transport/types.js';

/** Answers every query REFUSED and every malformed message with its error rcode. */
export const refuseAll: QueryHandler = (msg) => {
  const r = decodeQuery(msg);
  if (r.kind === 'drop') return null;
  if (r.kind === 'error') return buildErrorResponse(r, r.rcode);
  return buildErrorResponse(r.query, Rcode.REFUSED);
};

export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

export function udpExchange(port: number, msg: Buffer, ms = 2000): Promise<Buffer> {
  const socket = dgram.createSocket('udp4');
  const answer = new Promise<Buffer>((resolve, reject) => {
    socket.once('message', (m) => resolve(m));
    socket.once('error', reject);
    socket.send(msg, port, '127.0.0.1');
  });
  return withDeadline(answer, ms, 'udp exchange').finally(() => socket.close());
}

export function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

/** A TCP client that collects length-framed messages and notices when the server closes. */
export class TcpClient {
  readonly messages: Buffer[] = [];
  readonly closed: Promise<void>;
  closedAt = 0;
  private buf = Buffer.alloc(0);
  private waiters: { count: number; resolve: () => void }[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedAt = Date.now();
        resolve();
      }),
    );
  }

  static connect(port: number, ms = 5000): Promise<TcpClient> {
    const socket = net.connect({ host: '127.0.0.1', port });
    const ready = new Promise<TcpClient>((resolve, reject) => {
      socket.once('connect', () => resolve(new TcpClient(socket)));
      socket.once('error', reject);
    });
    return withDeadline(ready, ms, 'tcp connect');
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves when `count` messages have arrived in total. */
  waitFor(count: number, ms = 5000): Promise<Buffer[]> {
    const done = new Promise<void>((resolve) => {
      if (this.messages.length >= count) resolve();
      else this.waiters.push({ count, resolve });
    });
    return withDeadline(done, ms, `waiting for ${count} messages (have ${this.messages.length})`).then(() => this.messages);
  }

  waitClosed(ms: number): Promise<void> {
    return withDeadline(this.closed, ms, 'waiting for the server to close');
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 2 && this.buf.length - 2 >= this.buf.readUInt16BE(0)) {
      const len = this.buf.readUInt16BE(0);
      this.messages.push(this.buf.subarray(2, 2 + len));
      this.buf = this.buf.subarray(2 + len);
    }
    this.waiters = this.waiters.filter((w) => {
      if (this.messages.length < w.count) return true;
      w.resolve();
      return false;
    });
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
