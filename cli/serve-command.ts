/**
 * `idzone serve`: the server. On a data directory that does not exist yet it creates one with
 * the demo zone and an admin token, then serves DNS (UDP+TCP) and the HTTP API, prints where, and
 * shuts down cleanly on SIGINT/SIGTERM (listeners closed, store checkpointed, lock released).
 * While it runs, `<data-dir>/server.json` (mode 0600) says where: {pid, dns, api}. Commands that
 * change keys (`idzone key rollover`) read it to go through the live server's API instead of
 * writing behind its back; it is removed on shutdown, and ignored when its pid is not alive.
 */
import { openSqliteStore } from '../zone-store/sqlite-zone-store.js';
import type { ZoneReader } from '../zone-store/types.js';
import { createLogger, isLogLevel } from '../server/log.js';
import { defaultSigningThreads, startServer, type ServeConfig } from '../server/main.js';
import { parseCommandArgsCollecting, parseHostPort, parsePositiveInt, UsageError, type OptionSpec } from './args.js';
import { ensureAdminToken, isInitialised, looseSecrets, prepareDataDir, seedDataDir, writeSecretFile } from './data-dir-init.js';
import { DEMO_DEVICE, DEMO_ZONE } from './demo-zone.js';
import { acquireWriterLock, isAlive } from './writer-lock.js';
import { checkRrlConfig, type RrlConfig } from '../server/query/rate-limit.js';
import { join } from 'node:path';
import { readFileSync, unlinkSync } from 'node:fs';

/** Where a running server says where it listens (relative to the data directory). */
export const SERVER_INFO_FILE = 'server.json';

export interface ServerInfo {
  pid: number;
  dns: { host: string; port: number };
  api: { host: string; port: number };
}

export const SERVE_OPTIONS: Record<string, OptionSpec> = {
  'data-dir': { type: 'string', env: 'IDZONE_DATA_DIR', default: './data', help: 'data directory (created with a demo zone if missing)' },
  dns: { type: 'string', env: 'IDZONE_DNS', default: '127.0.0.1:5300', help: 'DNS address, UDP and TCP' },
  api: { type: 'string', env: 'IDZONE_API', default: '127.0.0.1:8053', help: 'HTTP API address' },
  workers: { type: 'string', env: 'IDZONE_WORKERS', default: '1', help: 'DNS worker processes' },
  'cache-mb': { type: 'string', env: 'IDZONE_CACHE_MB', default: '8', help: 'answer cache size per DNS process, MiB' },
  'signature-cache-mb': { type: 'string', env: 'IDZONE_SIGNATURE_CACHE_MB', default: '8', help: 'signature cache size per process, MiB' },
  'mmap-mb': { type: 'string', env: 'IDZONE_MMAP_MB', default: '0', help: 'read up to this many MiB of each shard file through a memory map (faster point reads; the mapped pages a process touches count in its RSS)' },
  'signing-threads': { type: 'string', env: 'IDZONE_SIGNING_THREADS', default: 'auto', help: 'threads per DNS process that sign denial proofs ("auto": 1 on machines with 4 or more cores, else 0; 0: sign on the answering thread)' },
  'metrics-access': { type: 'string', env: 'IDZONE_METRICS_ACCESS', default: 'open', help: '"open" or "token": whether /metrics needs a bearer token' },
  'health-access': { type: 'string', env: 'IDZONE_HEALTH_ACCESS', default: 'open', help: '"open" or "token": whether /healthz needs a bearer token' },
  'signature-validity-days': { type: 'string', env: 'IDZONE_SIGNATURE_VALIDITY_DAYS', default: '14', help: 'RRSIG validity; signatures are replaced when a quarter of it is left' },
  'zsk-lifetime-days': { type: 'string', env: 'IDZONE_ZSK_LIFETIME_DAYS', default: '90', help: 'automatic ZSK rollover after this many days (0: never)' },
  'tcp-connections-per-client': { type: 'string', env: 'IDZONE_TCP_CONNECTIONS_PER_CLIENT', default: '128', help: 'DNS-over-TCP connections one client (an IPv4 address or an IPv6 /64) may hold open per DNS process, of 4096 in all (0: no limit of its own)' },
  'dns-cookies': { type: 'string', env: 'IDZONE_DNS_COOKIES', default: 'on', help: '"on" or "off": DNS cookies (RFC 7873, RFC 9018 server cookies; a valid one exempts a client from rate limiting). The secret is <data-dir>/cookie.secret' },
  'rrl-rate': { type: 'string', env: 'IDZONE_RRL_RATE', default: '0', help: 'response rate limiting: UDP answers per second per client prefix and response class, the rest dropped or slipped (0: off; TCP is never limited)' },
  'rrl-slip': { type: 'string', env: 'IDZONE_RRL_SLIP', default: '2', help: 'every Nth rate-limited UDP answer is sent empty with TC=1, so real clients retry over TCP (0: drop them all)' },
  'rrl-ipv4-prefix': { type: 'string', env: 'IDZONE_RRL_IPV4_PREFIX', default: '24', help: 'IPv4 prefix length that counts as one client for rate limiting' },
  'rrl-ipv6-prefix': { type: 'string', env: 'IDZONE_RRL_IPV6_PREFIX', default: '56', help: 'IPv6 prefix length that counts as one client for rate limiting' },
  'rrl-table-size': { type: 'string', env: 'IDZONE_RRL_TABLE_SIZE', default: '100000', help: 'rate-limiting buckets kept per DNS process (least recently used evicted)' },
  'rrl-exempt': { type: 'string', env: 'IDZONE_RRL_EXEMPT', default: '', help: 'comma-separated addresses or CIDR prefixes never rate-limited' },
  'log-level': { type: 'string', env: 'IDZONE_LOG_LEVEL', default: 'info', help: 'debug, info, warn or error' },
};

export function parseServeConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const { values, positionals, problems } = parseCommandArgsCollecting(argv, SERVE_OPTIONS, env);
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      if (e instanceof UsageError) problems.push(...e.problems);
      else throw e;
      return undefined;
    }
  };
  if (positionals.length > 0) problems.push(`unexpected argument(s): ${positionals.join(' ')}`);
  const dns = attempt(() => parseHostPort(String(values['dns']), '--dns'));
  const api = attempt(() => parseHostPort(String(values['api']), '--api'));
  const workers = attempt(() => parsePositiveInt(values['workers'], '--workers', 1, 64));
  const cacheMb = attempt(() => parsePositiveInt(values['cache-mb'], '--cache-mb', 0, 65536));
  const sigMb = attempt(() => parsePositiveInt(values['signature-cache-mb'], '--signature-cache-mb', 0, 65536));
  const mmapMb = attempt(() => parsePositiveInt(values['mmap-mb'], '--mmap-mb', 0, 1_048_576));
  const signingThreads = attempt(() => (String(values['signing-threads']) === 'auto' ? defaultSigningThreads() : parsePositiveInt(values['signing-threads'], '--signing-threads', 0, 64)));
  const zskDays = attempt(() => parsePositiveInt(values['zsk-lifetime-days'], '--zsk-lifetime-days', 0, 3650));
  const validityDays = attempt(() => parsePositiveInt(values['signature-validity-days'], '--signature-validity-days', 1, 366));
  const tcpPerClient = attempt(() => parsePositiveInt(values['tcp-connections-per-client'], '--tcp-connections-per-client', 0, 4096));
  const rrl = attempt(() => parseRrl(values));
  const logLevel = String(values['log-level']);
  if (!isLogLevel(logLevel)) problems.push(`--log-level: expected debug, info, warn or error, got "${logLevel}"`);
  const access = (k: string): 'open' | 'token' => {
    const v = String(values[k]);
    if (v !== 'open' && v !== 'token') problems.push(`--${k}: expected "open" or "token", got "${v}"`);
    return v === 'token' ? 'token' : 'open';
  };
  const cookies = String(values['dns-cookies']);
  if (cookies !== 'on' && cookies !== 'off') problems.push(`--dns-cookies: expected "on" or "off", got "${cookies}"`);
  const metricsAccess = access('metrics-access');
  const healthAccess = access('health-access');
  if (problems.length > 0 || !dns || !api || workers === undefined || cacheMb === undefined || sigMb === undefined || mmapMb === undefined || signingThreads === undefined || zskDays === undefined || validityDays === undefined || tcpPerClient === undefined || rrl === undefined || !isLogLevel(logLevel)) throw new UsageError(problems);
  return {
    dataDir: String(values['data-dir']),
    dns,
    api,
    workers,
    answerCacheBytes: cacheMb * 1024 * 1024,
    signatureCacheBytes: sigMb * 1024 * 1024,
    mmapBytes: mmapMb * 1024 * 1024,
    signingThreads,
    logLevel,
    metricsAccess,
    healthAccess,
    zskLifetimeSeconds: zskDays * 86400,
    signatureValiditySeconds: validityDays * 86400,
    rrl,
    dnsCookies: cookies !== 'off',
    tcpConnectionsPerClient: tcpPerClient,
  };
}

function parseRrl(values: Record<string, string | boolean | undefined>): RrlConfig {
  const problems: string[] = [];
  const int = (k: string, min: number, max: number): number => {
    try {
      return parsePositiveInt(values[k], `--${k}`, min, max);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      problems.push(...e.problems);
      return min;
    }
  };
  const exempt = String(values['rrl-exempt'])
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const cfg: RrlConfig = {
    rate: int('rrl-rate', 0, 1_000_000),
    slip: int('rrl-slip', 0, 10),
    ipv4PrefixLength: int('rrl-ipv4-prefix', 8, 32),
    ipv6PrefixLength: int('rrl-ipv6-prefix', 16, 128),
    maxBuckets: int('rrl-table-size', 1, 10_000_000),
    exempt,
  };
  if (problems.length === 0) for (const p of checkRrlConfig(cfg)) problems.push(`--rrl-exempt: ${p}`);
  if (problems.length > 0) throw new UsageError(problems);
  return cfg;
}

/** How often the server fsyncs its WAL files off the event loop (zone-store/wal-flusher.ts). */
const WAL_FLUSH_MS = 200;

export async function runServe(argv: string[]): Promise<number> {
  const cfg = parseServeConfig(argv);
  const log = createLogger(cfg.logLevel);
  const fresh = !isInitialised(cfg.dataDir);
  if (fresh) prepareDataDir(cfg.dataDir);
  const lock = acquireWriterLock(cfg.dataDir, 'idzone serve');
  const store = openSqliteStore(cfg.dataDir, {
    create: fresh,
    mmapBytes: cfg.mmapBytes,
    walFlushMs: WAL_FLUSH_MS,
    onWalFlushError: (path, err) => log('warn', 'cannot fsync a WAL file in the background; checkpoints will write it out themselves', { path, err: err.message }),
  });
  let tokenNote: string;
  if (fresh) {
    const { tokenFile } = seedDataDir(cfg.dataDir, store, log);
    tokenNote = `admin token: ${tokenFile} (new; mode 0600)`;
    log('info', 'created data directory with the demo zone', { dataDir: cfg.dataDir });
  } else {
    tokenNote = ensureAdminToken(cfg.dataDir, store, log);
  }
  for (const path of looseSecrets(cfg.dataDir)) log('warn', 'a secret is readable by other users: chmod it', { path });
  let server;
  try {
    server = await startServer(cfg, store, log);
  } catch (err) {
    store.close();
    lock.release();
    throw err;
  }
  const infoFile = join(cfg.dataDir, SERVER_INFO_FILE);
  const info: ServerInfo = { pid: process.pid, dns: server.dns, api: server.api };
  writeSecretFile(infoFile, JSON.stringify(info) + '\n');
  const dnsAt = formatHostPort(server.dns);
  const apiAt = formatHostPort(server.api);
  process.stdout.write(
    [
      `idzone serving ${store.listZones().length} zone(s) from ${cfg.dataDir}`,
      `  DNS  udp+tcp ${dnsAt}  (${cfg.workers} process${cfg.workers > 1 ? 'es' : ''})`,
      `  API  http://${apiAt}/api/v1  (OpenAPI: http://${apiAt}/api/v1/openapi.json, metrics: /metrics)`,
      `  ${tokenNote}`,
      `  ${tryHint(store, `kdig @${server.dns.host} -p ${server.dns.port}`, apiAt)}`,
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (sig: string): void => {
      if (stopping) return;
      stopping = true;
      log('info', 'shutting down', { signal: sig });
      server
        .close()
        .catch((err: unknown) => log('error', 'error while closing', { err: String(err) }))
        .finally(() => {
          removeServerInfo(infoFile);
          store.close();
          lock.release();
          resolve();
        });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

function removeServerInfo(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/**
 * The server running on `dataDir`, if any: server.json is present, its pid is alive and holds the
 * writer lock. A file left by a crashed server (dead pid, or a lock now held by someone else) is
 * ignored.
 */
export function readLiveServer(dataDir: string): ServerInfo | undefined {
  let info: unknown;
  let lockPid: number;
  try {
    info = JSON.parse(readFileSync(join(dataDir, SERVER_INFO_FILE), 'utf8'));
    lockPid = Number(readFileSync(join(dataDir, 'writer.lock'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!isServerInfo(info) || info.pid !== lockPid || !isAlive(info.pid)) return undefined;
  return info;
}

function isServerInfo(v: unknown): v is ServerInfo {
  const o = v as Partial<ServerInfo> | null;
  const hp = (a: unknown): boolean => typeof a === 'object' && a !== null && typeof (a as { host?: unknown }).host === 'string' && Number.isInteger((a as { port?: unknown }).port);
  return typeof o === 'object' && o !== null && Number.isInteger(o.pid) && hp(o.dns) && hp(o.api);
}

/** A host:port to connect to: a wildcard listen address is reached on loopback. */
export function connectAddress(a: { host: string; port: number }): string {
  const host = a.host === '0.0.0.0' ? '127.0.0.1' : a.host === '::' ? '::1' : a.host;
  return formatHostPort({ host, port: a.port });
}

export function formatHostPort(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * A first query to try: the demo device while the demo zone still holds it, else the first zone's
 * SOA, else how to create a zone (a data directory that never had the demo, or had it deleted).
 */
export function tryHint(store: ZoneReader, kdig: string, apiAt: string): string {
  const demo = store.findZone(DEMO_ZONE);
  if (demo?.name === DEMO_ZONE && store.getNode(demo, DEMO_DEVICE)?.rrsets.length) return `try: ${kdig} ${DEMO_DEVICE.replace(/\.$/, '')} TLSA +dnssec`;
  const first = store.listZones()[0];
  if (first !== undefined) return `try: ${kdig} ${first.name} SOA +dnssec`;
  return `no zones yet: POST http://${apiAt}/api/v1/zones with the admin token`;
}
