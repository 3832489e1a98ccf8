/**
 * One process's DNS service: the query pipeline over a zone reader, its answer cache, and UDP and
 * TCP listeners on one address. It learns of store commits through `applyEvent` (in-process
 * listener in single-process mode, IPC from the writer in cluster mode) and drops what the change
 * made stale before the writer's API answers (see event-fanout.ts).
 */
import { Gauge, type Registry } from 'prom-client';
import { registerLabeledTotalCounter, registerTotalCounter } from './total-counter.js';
import type { StoreEvent, ZoneReader } from '../zone-store/types.js';
import type { LogFn } from './log.js';
import { AnswerCache } from './query/answer-cache.js';
import { createQueryHandler } from './query/pipeline.js';
import { ProbeCache } from './query/probe-cache.js';
import { NxdomainTemplates } from './query/nxdomain-templates.js';
import { createQueryMetrics } from './query/query-metrics.js';
import { ResponseRateLimiter, type RrlConfig } from './query/rate-limit.js';
import { ServerCookies } from './query/cookies.js';
import type { DnssecProvider } from './query/zone-signing.js';
import { createTcpTransport, type TcpTransport } from './transport/tcp.js';
import type { QueryHandler } from './transport/types.js';
import { createUdpTransport, type UdpTransport } from './transport/udp.js';

/** Default for `idzone serve --tcp-connections-per-client`: 1/32 of the 4096 connections a process takes. */
export const DEFAULT_TCP_CONNECTIONS_PER_CLIENT = 128;

export interface DnsServiceOptions {
  reader: ZoneReader;
  dnssec: DnssecProvider;
  host: string;
  port: number;
  cacheBytes: number;
  registry: Registry;
  log: LogFn;
  tcpIdleTimeoutMs?: number;
  tcpMaxConnections?: number;
  /** Connections one client (IPv4 address, IPv6 /64) may hold; 0 or absent: no limit of its own. */
  tcpMaxConnectionsPerClient?: number;
  /** True when the reader is a separate read-only handle that must reload the catalog on events. */
  refreshOnEvents: boolean;
  /** Response rate limiting of UDP answers; absent or rate 0: off. */
  rrl?: RrlConfig | undefined;
  /** Secret for DNS server cookies (RFC 9018); absent: COOKIE options are ignored. */
  cookieSecret?: Buffer | undefined;
}

/** While answers are being rate-limited, one log line per this period says how many. */
const RRL_LOG_PERIOD_MS = 10_000;

export interface DnsService {
  readonly handler: QueryHandler;
  readonly cache: AnswerCache;
  address(): { host: string; port: number };
  applyEvent(e: StoreEvent): void;
  close(): Promise<void>;
}

export async function startDnsService(opts: DnsServiceOptions): Promise<DnsService> {
  const cache = new AnswerCache(opts.cacheBytes);
  const metrics = createQueryMetrics(opts.registry, () => cache.stats);
  const probes = new ProbeCache();
  const nxdomainTemplates = new NxdomainTemplates();
  const rrl = opts.rrl !== undefined && opts.rrl.rate > 0 ? new ResponseRateLimiter(opts.rrl) : undefined;
  const cookies = opts.cookieSecret === undefined ? undefined : new ServerCookies(opts.cookieSecret);
  const handler = createQueryHandler({ reader: opts.reader, dnssec: opts.dnssec, cache, probes, nxdomainTemplates, metrics, log: opts.log, ...(rrl !== undefined ? { rrl } : {}), ...(cookies !== undefined ? { cookies } : {}) });
  const stopRrlLog = rrl === undefined ? () => undefined : logRateLimiting(rrl, opts.log);
  const onError = (err: unknown, where: string): void => opts.log('warn', 'transport error', { where, err: String(err) });
  const { udp, tcp, port } = await listenBoth(opts, handler, onError);
  registerTcpMetrics(opts.registry, tcp);
  return {
    handler,
    cache,
    address: () => ({ host: opts.host, port }),
    applyEvent: (e) => applyEvent(opts, { cache, probes, nxdomainTemplates }, e),
    close: async () => {
      stopRrlLog();
      await Promise.all([udp.close(), tcp.close()]);
    },
  };
}

/** The TCP listener's connection counts, read at scrape time (the transport keeps plain numbers). */
function registerTcpMetrics(registry: Registry, tcp: TcpTransport): void {
  new Gauge({
    name: 'idzone_dns_tcp_connections',
    help: 'DNS-over-TCP connections open',
    registers: [registry],
    collect() {
      this.set(tcp.stats().connectionsOpen);
    },
  });
  registerTotalCounter(registry, 'idzone_dns_tcp_accepted_total', 'DNS-over-TCP connections accepted', () => tcp.stats().connectionsAccepted);
  registerLabeledTotalCounter(registry, 'idzone_dns_tcp_refused_total', 'DNS-over-TCP connections closed at accept: all 4096 taken (limit), or the client already holds --tcp-connections-per-client (per-client)', 'reason', () => {
    const s = tcp.stats();
    return { limit: s.connectionsRejected - s.connectionsRejectedPerClient, 'per-client': s.connectionsRejectedPerClient };
  });
  registerLabeledTotalCounter(registry, 'idzone_dns_tcp_closed_total', 'DNS-over-TCP connections closed by the server: idle timeout, a zero-length message, or a partial message over the shared input budget', 'reason', () => {
    const s = tcp.stats();
    return { idle: s.closedByIdleTimeout, 'zero-length': s.closedByZeroLength, 'input-budget': s.closedByInputBudget };
  });
}

/** A warning per period in which answers were limited (an attack, or a limit set too low). */
function logRateLimiting(rrl: ResponseRateLimiter, log: LogFn): () => void {
  let seen = { slipped: 0, dropped: 0 };
  const timer = setInterval(() => {
    const s = rrl.stats;
    const slipped = s.slipped - seen.slipped;
    const dropped = s.dropped - seen.dropped;
    seen = s;
    if (slipped + dropped > 0) log('warn', 'response rate limiting held back UDP answers', { seconds: RRL_LOG_PERIOD_MS / 1000, dropped, slipped, buckets: s.buckets });
  }, RRL_LOG_PERIOD_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** Attempts at finding a port free for both UDP and TCP when the configured port is 0. */
const PORT_ZERO_ATTEMPTS = 8;

/**
 * UDP and TCP on one address. With port 0 the kernel picks UDP's port and TCP must then get the
 * same number, which another socket may hold: retry with a fresh UDP port a few times.
 */
async function listenBoth(opts: DnsServiceOptions, handler: QueryHandler, onError: (err: unknown, where: string) => void): Promise<{ udp: UdpTransport; tcp: TcpTransport; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const udp = createUdpTransport({ host: opts.host, port: opts.port, handler, onError });
    await udp.listen();
    const port = udp.address().port;
    const tcpOpts: Parameters<typeof createTcpTransport>[0] = { host: opts.host, port, handler, onError };
    if (opts.tcpIdleTimeoutMs !== undefined) tcpOpts.idleTimeoutMs = opts.tcpIdleTimeoutMs;
    if (opts.tcpMaxConnections !== undefined) tcpOpts.maxConnections = opts.tcpMaxConnections;
    if (opts.tcpMaxConnectionsPerClient !== undefined && opts.tcpMaxConnectionsPerClient > 0) tcpOpts.maxConnectionsPerClient = opts.tcpMaxConnectionsPerClient;
    const tcp = createTcpTransport(tcpOpts);
    try {
      await tcp.listen();
      return { udp, tcp, port };
    } catch (err) {
      await udp.close();
      const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (opts.port !== 0 || !inUse || attempt >= PORT_ZERO_ATTEMPTS) throw err;
    }
  }
}

/** What the query path remembers between queries, dropped as the store changes. */
interface QueryCaches {
  cache: AnswerCache;
  probes: ProbeCache;
  nxdomainTemplates: NxdomainTemplates;
}

function applyEvent(opts: DnsServiceOptions, { cache, probes, nxdomainTemplates }: QueryCaches, e: StoreEvent): void {
  // Zones that existed before the event too: a deleted zone's signing state must go as well.
  const before = e.kind === 'zones' ? opts.reader.listZones().map((z) => z.name) : [];
  if (opts.refreshOnEvents) opts.reader.refresh();
  switch (e.kind) {
    case 'change':
    case 'resigned':
      probes.onZoneEvent(e.zone);
      nxdomainTemplates.onZoneEvent(e.zone);
      cache.onChange(e.zone, e.names);
      return;
    case 'keys':
      opts.dnssec.invalidate(e.zone);
      probes.onZoneEvent(e.zone);
      nxdomainTemplates.onZoneEvent(e.zone);
      cache.onZoneReset(e.zone);
      return;
    case 'zones':
      for (const name of new Set([...before, ...opts.reader.listZones().map((z) => z.name)])) opts.dnssec.invalidate(name);
      probes.clear();
      nxdomainTemplates.clear();
      cache.clear();
      return;
  }
}
