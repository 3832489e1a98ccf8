/**
 * DNS over TCP (RFC 7766; RFC 1035 §4.2.2): a listener that admits connections within limits and
 * hands each to a StreamConnection for framing, pipelining and timeouts.
 *
 * Connection limits (RFC 7766 §6.2.3, §10): beyond `maxConnections`, or `maxConnectionsPerClient`
 * from one client (an IPv4 address, an IPv6 /64: one host's worth of addresses), a new connection
 * is closed at once, so one client cannot take every slot and shut others out of the TCP fallback
 * that TC=1 and rate-limit slips send them to; above three quarters of `maxConnections` the server
 * counts as loaded, new and idle connections get `loadedIdleTimeoutMs` (about a second), so idle
 * clients make room for active ones. Partial messages beyond a few KiB share `inputBudgetBytes`
 * (stream-connection.ts). Socket errors are counted and reported, never thrown.
 */
import net, { isIPv4, isIPv6 } from 'node:net';
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
  /** Connections one client (IPv4 address, IPv6 /64) may hold. Default: no limit beyond maxConnections. */
  maxConnectionsPerClient?: number;
  /** Octets of partial input all connections together may hold beyond SMALL_INPUT each. Default 32 MiB. */
  inputBudgetBytes?: number;
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
    perClient: opts.maxConnectionsPerClient ?? Number.POSITIVE_INFINITY,
    inputBudget: opts.inputBudgetBytes ?? 32 * 1024 * 1024,
  };
  const connections = new Set<StreamConnection>();
  /** Open connections per client key (clientKey), and each connection's key. */
  const perClient = new Map<string, number>();
  const keys = new WeakMap<StreamConnection, string>();
  let inputHeld = 0;
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
      const key = keys.get(conn) ?? '';
      const left = (perClient.get(key) ?? 1) - 1;
      if (left > 0) perClient.set(key, left);
      else perClient.delete(key);
    },
    holdInput: (delta) => {
      inputHeld += delta;
      return inputHeld <= limits.inputBudget;
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
    const key = clientKey(socket.remoteAddress ?? '');
    const fromClient = perClient.get(key) ?? 0;
    if (connections.size >= limits.max || fromClient >= limits.perClient) {
      stats.connectionsRejected++;
      if (fromClient >= limits.perClient) stats.connectionsRejectedPerClient++;
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    perClient.set(key, fromClient + 1);
    stats.connectionsAccepted++;
    const conn = new StreamConnection(socket, host);
    keys.set(conn, key);
    connections.add(conn);
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
        perClient.clear();
        stats.connectionsOpen = 0;
      }),
    stats: () => ({ ...stats, connectionsOpen: connections.size, inputHeldBytes: Math.max(0, inputHeld) }),
  };
}

/**
 * What counts as one client for maxConnectionsPerClient: an IPv4 address (also when IPv4-mapped),
 * or the /64 of an IPv6 address, the block one host or one home network is given (with its zone
 * index for a scoped address: fe80::/64 on two interfaces are two networks).
 */
export function clientKey(address: string): string {
  if (isIPv4(address)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [bare0 = '', scope] = address.split('%');
  const bare = bare0.toLowerCase();
  const [head = '', tail] = bare.split('::');
  const groups = head === '' ? [] : head.split(':');
  if (tail !== undefined) {
    const rest = tail === '' ? [] : tail.split(':');
    while (groups.length + rest.length < 8) groups.push('0');
    groups.push(...rest);
  }
  // A link-local /64 is a different network on each interface: the zone index stays in the key.
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':') + '::/64' + (scope !== undefined ? `%${scope}` : '');
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
