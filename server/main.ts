/**
 * The composition root: config → store → signer → caches → transports → API → signals.
 *
 * Single process (workers ≤ 1): one store handle serves the writer (API) and the DNS reader;
 * store events reach the DNS caches synchronously, so read-after-write holds trivially.
 *
 * Cluster (workers > 1): the primary is the only writer (API, key service, re-signing) and N
 * node:cluster workers answer DNS on the same address (UDP handles are shared by the primary;
 * TCP connections are distributed round-robin). Workers open the shards read-only (WAL lets them
 * read while the writer commits) and receive every store event over IPC; the API answers 2xx
 * only after every worker acknowledged (event-fanout.ts). Worker metrics are aggregated into the
 * primary's /metrics (cluster-metrics.ts).
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { ClusterRegistry } from './cluster-metrics.js';
import { createApiConfig } from '../api/api-config.js';
import { createApiServer } from '../api/api-server.js';
import { SERVER_ADMISSION_WINDOW, SignatureCache } from '../signer/signature-cache.js';
import { SigningPool } from '../signer/signing-pool.js';
import type { SqliteZoneStore } from '../zone-store/sqlite-zone-store.js';
import { countingSigner, registerDnssecMetrics, type SignatureCounts } from './dnssec/dnssec-metrics.js';
import { KeyService } from './dnssec/key-service.js';
import { Resigner } from './dnssec/resigner.js';
import { RolloverService } from './dnssec/rollover-service.js';
import { SigningProvider } from './dnssec/signing-provider.js';
import { DEFAULT_TCP_CONNECTIONS_PER_CLIENT, startDnsService, type DnsService } from './dns-service.js';
import { EventFanout } from './event-fanout.js';
import { loadOrCreateCookieSecret } from './cookie-secret.js';
import type { LogFn, LogLevel } from './log.js';
import type { RrlConfig } from './query/rate-limit.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface ServeConfig {
  dataDir: string;
  dns: HostPort;
  api: HostPort;
  workers: number;
  answerCacheBytes: number;
  signatureCacheBytes: number;
  /** Bytes of each shard file read through a memory map, in every DNS process (0: none). */
  mmapBytes: number;
  /** Signing threads per DNS process for denial proofs (0: sign on the answering thread). */
  signingThreads?: number;
  logLevel: LogLevel;
  metricsAccess: 'open' | 'token';
  healthAccess: 'open' | 'token';
  /** Automatic ZSK rollover after this many seconds (0: never). */
  zskLifetimeSeconds: number;
  /** RRSIG validity (expiration − inception, before jitter). */
  signatureValiditySeconds: number;
  /** Response rate limiting of UDP answers in every DNS process (absent or rate 0: off). */
  rrl?: RrlConfig;
  /** DNS cookies (RFC 7873, RFC 9018), on unless false; the secret is `<data-dir>/cookie.secret`. */
  dnsCookies?: boolean;
  /** DNS-over-TCP connections one client (IPv4 address, IPv6 /64) may hold per DNS process; 0: no limit. Default 128. */
  tcpConnectionsPerClient?: number;
}

/**
 * `--signing-threads auto`: one signing thread per DNS process on machines with 4 or more cores.
 * A thread costs ~17 MB of RSS (its isolate ~10 MB, OpenSSL's per-thread state ~7 MB, measured),
 * which on a 2-core machine would take a 1-worker server past its 150 MB budget; there it is
 * opt-in (`--signing-threads 1`), see the README's design notes for what it buys.
 */
export function defaultSigningThreads(): number {
  return availableParallelism() >= 4 ? 1 : 0;
}

/** The signing pool of one DNS process, or undefined when configured with no threads. */
export function createSigningPool(cfg: Pick<ServeConfig, 'signingThreads'>, log: LogFn): SigningPool | undefined {
  const threads = cfg.signingThreads ?? defaultSigningThreads();
  if (threads <= 0) return undefined;
  return new SigningPool({ threads, onError: (message) => log('error', message) });
}

/** Signer options every signing process of a server uses. */
export function signerOptionsOf(cfg: Pick<ServeConfig, 'signatureValiditySeconds'>): { validity: { validitySeconds: number } } {
  return { validity: { validitySeconds: cfg.signatureValiditySeconds } };
}

export interface RunningServer {
  dns: HostPort;
  api: HostPort;
  keys: KeyService;
  rollovers: RolloverService;
  resigner: Resigner;
  close(): Promise<void>;
}

/** The worker entry (compiled next to this file). */
export const WORKER_ENTRY = fileURLToPath(new URL('./worker-main.js', import.meta.url));

export const clock = (): number => Math.floor(Date.now() / 1000);

export async function startServer(cfg: ServeConfig, store: SqliteZoneStore, log: LogFn): Promise<RunningServer> {
  const sigCache = new SignatureCache({ maxBytes: cfg.signatureCacheBytes, clock, admissionWindow: SERVER_ADMISSION_WINDOW });
  const keys = new KeyService({ dataDir: cfg.dataDir, store, log, clock, cache: sigCache, signerOptions: signerOptionsOf(cfg) });
  keys.loadAll();
  const sigCounts: SignatureCounts = { write: 0, resign: 0 };
  store.setSigner(countingSigner(keys.registry, sigCounts));
  store.onEvent((e) => {
    if (e.kind === 'keys' || e.kind === 'zones') {
      const z = e.kind === 'keys' ? store.getZone(e.zone) : undefined;
      if (z !== undefined) keys.loadZone(z);
      else if (e.kind === 'zones') keys.loadAll();
    }
  });
  const resigner = new Resigner({ store, signerFor: (z) => keys.registry.get(z), clock, log, onSigned: (n) => (sigCounts.resign += n) });
  const rollovers = new RolloverService({ dataDir: cfg.dataDir, store, keys, clock, log, resigner, resignSynchronously: false });
  resigner.start();
  store.onEvent((e) => {
    if (e.kind === 'change' && e.unsigned === true) resigner.request(e.zone, true);
  });
  // First check a few seconds after start (a lifetime may have ended while the server was down), then every 10 minutes.
  const autoRoll = rollovers.startAutomaticZsk(cfg.zskLifetimeSeconds);
  // Made before any worker starts, so every DNS process reads the same secret.
  const cookieSecret = cfg.dnsCookies === false ? undefined : loadOrCreateCookieSecret(cfg.dataDir);
  const apiConfig = createApiConfig({ metricsAccess: cfg.metricsAccess, healthAccess: cfg.healthAccess });
  if (!apiConfig.ok) throw new Error(`API configuration: ${apiConfig.errors.join('; ')}`);

  let dns: HostPort;
  let stopDns: () => Promise<void>;
  let propagate: () => Promise<void>;
  let registry: Registry;
  if (cfg.workers <= 1) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'idzone_process_' });
    const pool = createSigningPool(cfg, log);
    registerDnssecMetrics(registry, sigCache, sigCounts, pool);
    const provider = new SigningProvider({ dataDir: cfg.dataDir, reader: store, cache: sigCache, clock, log, signerOptions: signerOptionsOf(cfg), pool });
    let service: DnsService;
    try {
      service = await startDnsService({
        reader: store, dnssec: provider, host: cfg.dns.host, port: cfg.dns.port, cacheBytes: cfg.answerCacheBytes, registry, log, refreshOnEvents: false, rrl: cfg.rrl, cookieSecret, tcpMaxConnectionsPerClient: cfg.tcpConnectionsPerClient ?? DEFAULT_TCP_CONNECTIONS_PER_CLIENT,
      });
    } catch (err) {
      // A port in use: stop what keeps the process alive (signing threads, re-signer, rollover
      // timer), so `serve` exits and its supervisor sees the failure.
      await pool?.close();
      resigner.stop();
      autoRoll.stop();
      throw err;
    }
    store.onEvent((e) => service.applyEvent(e));
    dns = service.address();
    stopDns = async () => {
      await service.close();
      await pool?.close();
    };
    propagate = () => Promise.resolve();
  } else {
    const fanout = new EventFanout(log);
    store.onEvent((e) => fanout.publish(e));
    let workerList: Worker[] = [];
    registry = new ClusterRegistry(() => workerList);
    collectDefaultMetrics({ register: registry, prefix: 'idzone_process_' });
    registerDnssecMetrics(registry, sigCache, sigCounts);
    let workers: WorkerSet;
    try {
      workers = await forkWorkers(cfg, fanout, log);
    } catch (err) {
      resigner.stop();
      autoRoll.stop();
      throw err;
    }
    workerList = workers.list;
    dns = { host: cfg.dns.host, port: workers.port };
    stopDns = () => stopWorkers(workers.list);
    propagate = () => fanout.waitForAll();
  }

  const apiLog = (level: 'info' | 'warn' | 'error', msg: string, fields?: object): void => log(level, msg, fields as Record<string, unknown> | undefined);
  const health = (): string[] => {
    const problems: string[] = [];
    if (store.hasUnappliedChanges()) problems.push('a committed change is not yet applied to the shards (a shard write failed: disk full?); the next write retries it');
    for (const z of store.listZones()) {
      if (z.settings.signed && keys.registry.get(z.name) === undefined) problems.push(`zone ${z.name} cannot sign (its keys do not load): DO=1 queries get SERVFAIL and writes are refused`);
    }
    return problems;
  };
  const api = createApiServer({ store, registry, keys, rollovers, propagate: () => propagate(), config: apiConfig.config, log: apiLog, health });
  let apiAddr: HostPort;
  try {
    const a = await api.listen(cfg.api.host, cfg.api.port);
    apiAddr = { host: a.address, port: a.port };
  } catch (err) {
    await stopDns();
    resigner.stop();
    autoRoll.stop();
    throw err;
  }
  return {
    dns,
    api: apiAddr,
    keys,
    rollovers,
    resigner,
    close: async () => {
      resigner.stop();
      autoRoll.stop();
      await api.close();
      await stopDns();
    },
  };
}

interface WorkerSet {
  list: Worker[];
  port: number;
}

interface ReadyMessage {
  t: 'ready';
  port: number;
}

function isReady(m: unknown): m is ReadyMessage {
  return typeof m === 'object' && m !== null && (m as { t?: unknown }).t === 'ready';
}

async function forkWorkers(cfg: ServeConfig, fanout: EventFanout, log: LogFn): Promise<WorkerSet> {
  cluster.setupPrimary({ exec: WORKER_ENTRY, args: [], silent: false });
  const list: Worker[] = [];
  let port = cfg.dns.port;
  let stopping = false;
  const env = (p: number): Record<string, string> => ({ IDZONE_WORKER_CONFIG: JSON.stringify({ ...cfg, dns: { host: cfg.dns.host, port: p } }) });
  const spawn = (p: number): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const w = cluster.fork(env(p));
      fanout.addWorker(w);
      const onExit = (code: number): void => reject(new Error(`DNS worker exited during start-up (code ${code})`));
      w.once('exit', onExit);
      w.on('message', (m: unknown) => {
        if (!isReady(m)) return;
        w.off('exit', onExit);
        port = m.port;
        w.on('exit', (code, signal) => {
          if (stopping || (w as Worker & { idzoneStopping?: boolean }).idzoneStopping) return;
          log('error', 'DNS worker died; starting a replacement', { worker: w.id, code, signal });
          const i = list.indexOf(w);
          spawn(cfg.dns.port).then(
            (n) => (i >= 0 ? list.splice(i, 1, n) : list.push(n)),
            (err: unknown) => log('error', 'could not replace DNS worker', { err: String(err) }),
          );
        });
        resolve(w);
      });
    });
  // Every worker asks for the configured address: the primary keys shared UDP handles by it, so
  // with port 0 they all share the one socket the first request created (and TCP follows the
  // port UDP got). Workers start one after another so that first request is unambiguous.
  for (let i = 0; i < cfg.workers; i++) list.push(await spawn(cfg.dns.port));
  process.once('exit', () => {
    stopping = true;
  });
  return { list, port };
}

async function stopWorkers(list: Worker[]): Promise<void> {
  await Promise.all(
    list.map(
      (w) =>
        new Promise<void>((resolve) => {
          (w as Worker & { idzoneStopping?: boolean }).idzoneStopping = true;
          if (w.isDead()) return resolve();
          const t = setTimeout(() => {
            w.process.kill('SIGKILL');
            resolve();
          }, 3000);
          w.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          w.process.kill('SIGTERM');
        }),
    ),
  );
}
