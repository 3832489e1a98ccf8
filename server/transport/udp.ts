/**
 * DNS over UDP (RFC 1035 §4.2.1): one datagram in, the handler's answer out to the sender. The
 * socket binds with `exclusive: false`, so node:cluster workers share one port, and asks for large
 * kernel buffers so bursts are queued rather than dropped. A handler exception or a send error is
 * reported and counted; the socket keeps serving.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import { isDeferred, type HandlerResult, type ListenAddress, type QueryContext, type QueryHandler, type TransportErrorHandler, type UdpStats } from './types.js';

export interface UdpTransportOptions {
  host: string;
  port: number;
  handler: QueryHandler;
  onError?: TransportErrorHandler;
  /** Requested SO_RCVBUF/SO_SNDBUF; the kernel may cap it (net.core.rmem_max). */
  socketBufferBytes?: number;
}

export interface UdpTransport {
  listen(): Promise<void>;
  address(): ListenAddress;
  close(): Promise<void>;
  stats(): UdpStats;
}

const DEFAULT_SOCKET_BUFFER = 4 * 1024 * 1024;

export function createUdpTransport(opts: UdpTransportOptions): UdpTransport {
  const onError = opts.onError ?? (() => {});
  const counters: UdpStats = { messages: 0, responses: 0, dropped: 0, handlerErrors: 0, sendErrors: 0 };
  const family = isIPv6(opts.host) ? 6 : 4;
  // Answers go back to rinfo.address, always an IP literal: hand literals straight to the send
  // instead of through dns.lookup, which defers every send by a process.nextTick. A host name (the
  // bind address may be one) still resolves.
  const lookup = (address: string, _f: unknown, cb: (err: Error | null, address: string, family: number) => void): void => {
    if (isIP(address) !== 0) cb(null, address, family);
    else dns.lookup(address, { family }, cb);
  };
  const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', reuseAddr: false, lookup: lookup as unknown as dgram.SocketOptions['lookup'] });
  let listening = false;

  const onSent = (err: Error | null): void => {
    if (err === null) return;
    counters.sendErrors++;
    onError(err, 'udp send');
  };

  socket.on('message', (msg, rinfo) => {
    counters.messages++;
    const ctx: QueryContext = { transport: 'udp', remoteAddress: rinfo.address, remotePort: rinfo.port };
    let result: HandlerResult;
    try {
      result = opts.handler(msg, ctx);
    } catch (err) {
      counters.handlerErrors++;
      onError(err, 'udp handler');
      return;
    }
    if (isDeferred(result)) {
      result.then(
        (b) => {
          if (b === null) counters.dropped++;
          else {
            counters.responses++;
            socket.send(b, rinfo.port, rinfo.address, onSent);
          }
        },
        (err: unknown) => {
          counters.handlerErrors++;
          onError(err, 'udp handler');
        },
      );
      return;
    }
    const out = result;
    if (out === null) {
      counters.dropped++;
      return;
    }
    if (Buffer.isBuffer(out)) {
      counters.responses++;
      socket.send(out, rinfo.port, rinfo.address, onSent);
      return;
    }
    for (const b of out as readonly Buffer[]) {
      counters.responses++;
      socket.send(b, rinfo.port, rinfo.address, onSent);
    }
  });

  return {
    listen: () => bindSocket(socket, opts, onError).then(() => void (listening = true)),
    address: () => {
      const a = socket.address();
      return { address: a.address, port: a.port };
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!listening) return resolve();
        listening = false;
        socket.close(() => resolve());
      }),
    stats: () => ({ ...counters }),
  };
}

function bindSocket(socket: dgram.Socket, opts: UdpTransportOptions, onError: TransportErrorHandler): Promise<void> {
  return new Promise((resolve, reject) => {
    const onBindError = (err: Error): void => reject(err);
    socket.once('error', onBindError);
    socket.bind({ address: opts.host, port: opts.port, exclusive: false }, () => {
      socket.off('error', onBindError);
      socket.on('error', (err) => onError(err, 'udp socket'));
      sizeBuffers(socket, opts.socketBufferBytes ?? DEFAULT_SOCKET_BUFFER, onError);
      resolve();
    });
  });
}

/** Best effort: an unprivileged process may not exceed the kernel's maximum, which is fine. */
function sizeBuffers(socket: dgram.Socket, bytes: number, onError: TransportErrorHandler): void {
  try {
    if (socket.getRecvBufferSize() < bytes) socket.setRecvBufferSize(bytes);
    if (socket.getSendBufferSize() < bytes) socket.setSendBufferSize(bytes);
  } catch (err) {
    onError(err, 'udp buffer size');
  }
}
