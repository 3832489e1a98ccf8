/**
 * Entry point of a DNS worker process (node:cluster, forked by main.ts). Opens the data
 * directory read-only, answers DNS on the shared address, applies the writer's store events
 * received over IPC and acknowledges each one (read-after-write), and answers the primary's
 * metrics requests (cluster-metrics.ts).
 */
import { Registry } from 'prom-client';
import { serveMetricsToPrimary } from './cluster-metrics.js';
import { SERVER_ADMISSION_WINDOW, SignatureCache } from '../signer/signature-cache.js';
import { openSqliteStore } from '../zone-store/sqlite-zone-store.js';
import { registerDnssecMetrics } from './dnssec/dnssec-metrics.js';
import { SigningProvider } from './dnssec/signing-provider.js';
import { DEFAULT_TCP_CONNECTIONS_PER_CLIENT, startDnsService } from './dns-service.js';
import { isEventMessage, type AckMessage, type EventMessage } from './event-fanout.js';
import { createLogger } from './log.js';
import { clock, createSigningPool, signerOptionsOf, type ServeConfig } from './main.js';
import { COOKIE_SECRET_FILE, readCookieSecret } from './cookie-secret.js';
import { join } from 'node:path';

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env['IDZONE_WORKER_CONFIG'] ?? '{}') as ServeConfig;
  const log = createLogger(cfg.logLevel, process.stderr, `[worker ${process.pid}] `);
  // Listening before the store opens: a change the primary announces from here on is either in the
  // store when it opens or arrives as a message, and none is lost while the sockets bind (the
  // primary would wait for its acknowledgement in vain). Messages before the DNS service is up
  // wait in `early` and are applied, then acknowledged, once it is.
  let apply: ((m: EventMessage) => void) | undefined;
  const early: EventMessage[] = [];
  process.on('message', (m: unknown) => {
    if (!isEventMessage(m)) return;
    if (apply === undefined) early.push(m);
    else apply(m);
  });
  const store = openSqliteStore(cfg.dataDir, { readonly: true, mmapBytes: cfg.mmapBytes });
  const registry = new Registry();
  serveMetricsToPrimary(registry);
  const sigCache = new SignatureCache({ maxBytes: cfg.signatureCacheBytes, clock, admissionWindow: SERVER_ADMISSION_WINDOW });
  const pool = createSigningPool(cfg, log);
  registerDnssecMetrics(registry, sigCache, { write: 0, resign: 0 }, pool);
  const dnssec = new SigningProvider({ dataDir: cfg.dataDir, reader: store, cache: sigCache, clock, log, signerOptions: signerOptionsOf(cfg), pool });
  const dns = await startDnsService({ reader: store, dnssec, host: cfg.dns.host, port: cfg.dns.port, cacheBytes: cfg.answerCacheBytes, registry, log, refreshOnEvents: true, rrl: cfg.rrl, tcpMaxConnectionsPerClient: cfg.tcpConnectionsPerClient ?? DEFAULT_TCP_CONNECTIONS_PER_CLIENT, cookieSecret: cfg.dnsCookies === false ? undefined : readCookieSecret(join(cfg.dataDir, COOKIE_SECRET_FILE)) });
  apply = (m) => {
    dns.applyEvent(m.event);
    const ack: AckMessage = { t: 'ack', seq: m.seq };
    process.send?.(ack);
  };
  for (const m of early.splice(0)) apply(m);
  const stop = (): void => {
    dns.close().finally(() => {
      store.close();
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', () => undefined); // the primary decides; Ctrl-C reaches both
  process.send?.({ t: 'ready', port: dns.address().port });
}

main().catch((err: unknown) => {
  process.stderr.write(`idzone worker failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
