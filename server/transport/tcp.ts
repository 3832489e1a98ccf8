/**
 * DNS over TCP (RFC 7766; RFC 1035 §4.2.2): a listener that admits connections within limits and
 * hands each to a StreamConnection for framing, pipelining and timeouts.
 *
 * Connection limits (RFC 7766 §6.2.3, §10): beyond `maxConnections` (or `maxConnectionsPerIp` from
 * one address) a new connection is closed at once; above three quarters of `maxConnections` the
 * server counts as loaded, new and idle connections get `loadedIdleTimeoutMs` (about a second), so
 * idle clients make room for active ones. Socket errors are counted and reported, never thrown.
 */
import net from 'node:net';
import type { Socket } from 'node:net';
import { StreamConnection } from './stream-connection.js';
import type { StreamHost } from './stream-connection.js';
import { newTcpStats } from './types.js';
import type { ListenAddress, QueryHandler, TcpStats, TransportErrorHandler } from './types.js';

export interface TcpTransportOptions {
  host: string;
  port: number;
  handler: QueryHandler;
  /** Idle timeout, re-armed by each complete message. Default 10 s. */
  idleTimeoutMs?: number;
  /** Idle timeout while more than 3/4 of maxConnections are open. Default 1 s. */
  loadedIdleTimeoutMs?: number;
  /** Default 4096. */
  maxConnections?: number;
  maxConnectionsPerIp?: number;
  /** Queued output per connection above which reading pauses. Default 256 KiB. */
  maxWriteBuffer?: number;
  /** Listen backlog (the kernel caps it at net.core.somaxconn). Default 4096. */
  backlog?: number;
  onError?: TransportErrorHandler;
}

export interface TcpTransport {
  listen(): Promise<void>;
  address(): ListenAddress;
  /** Stops accepting and destroys every open connection. */
  close(): Promise<void>;
  stats(): TcpStats;
}

export function createTcpTransport(opts: TcpTransportOptions): TcpTransport {
  const limits = {
    idle: opts.idleTimeoutMs ?? 10_000,
    loadedIdle: Math.min(opts.loadedIdleTimeoutMs ?? 1_000, opts.idleTimeoutMs ?? 10_000),
    max: opts.maxConnections ?? 4096,
    perIp: opts.maxConnectionsPerIp ?? Number.POSITIVE_INFINITY,
  };
  const connections = new Set<StreamConnection>();
  const perIp = new Map<string, number>();
  const stats = newTcpStats();
  let lastShortening = -Infinity;
  const isLoaded = (): boolean => connections.size > (limits.max * 3) / 4;

  const host: StreamHost = {
    transport: 'tcp',
    handler: opts.handler,
    stats,
    maxWriteBuffer: opts.maxWriteBuffer ?? 256 * 1024,
    onError: opts.onError ?? (() => {}),
    idleTimeoutMs: () => (isLoaded() ? limits.loadedIdle : limits.idle),
    onClosed: (conn) => {
      if (!connections.delete(conn)) return;
      stats.connectionsOpen = connections.size;
      const left = (perIp.get(conn.remoteAddress) ?? 1) - 1;
      if (left > 0) perIp.set(conn.remoteAddress, left);
      else perIp.delete(conn.remoteAddress);
    },
  };

  /** Idle connections opened before the load rose get the short timeout too (at most once a period). */
  const shortenIdle = (): void => {
    const now = Date.now();
    if (now - lastShortening < limits.loadedIdle) return;
    lastShortening = now;
    for (const c of connections) c.limitIdle(limits.loadedIdle);
  };

  const accept = (socket: Socket): void => {
    const ip = socket.remoteAddress ?? '';
    const fromIp = perIp.get(ip) ?? 0;
    if (connections.size >= limits.max || fromIp >= limits.perIp) {
      stats.connectionsRejected++;
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    perIp.set(ip, fromIp + 1);
    stats.connectionsAccepted++;
    connections.add(new StreamConnection(socket, host));
    stats.connectionsOpen = connections.size;
    if (isLoaded()) shortenIdle();
  };

  const server = net.createServer({ allowHalfOpen: false, noDelay: true }, accept);
  server.on('error', (err) => host.onError(err, 'tcp listener'));

  return {
    listen: () => listen(server, opts),
    address: () => {
      const a = server.address() as net.AddressInfo;
      return { address: a.address, port: a.port };
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        for (const c of connections) c.destroy();
        connections.clear();
        perIp.clear();
        stats.connectionsOpen = 0;
      }),
    stats: () => ({ ...stats, connectionsOpen: connections.size }),
  };
}

function listen(server: net.Server, opts: TcpTransportOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const onListenError = (err: Error): void => reject(err);
    server.once('error', onListenError);
    server.listen({ host: opts.host, port: opts.port, exclusive: false, backlog: opts.backlog ?? 4096 }, () => {
      server.off('error', onListenError);
      resolve();
    });
  });
}
