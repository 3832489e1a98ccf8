/**
 * Starts a real idzone server for tests: a fresh data directory under the OS temp dir, seeded
 * like `npm start` (signed demo zone + admin token), DNS and API on 127.0.0.1 with ports the
 * kernel picks. Everything is torn down (listeners, store, lock, files) by `stop()`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { KeyService } from '../../server/dnssec/key-service.js';
import { seedDataDir, prepareDataDir } from '../../cli/data-dir-init.js';
import { acquireWriterLock } from '../../cli/writer-lock.js';
import { createLogger } from '../../server/log.js';
import { startServer, type RunningServer, type ServeConfig } from '../../server/main.js';
import { openSqliteStore, type SqliteZoneStore } from '../../zone-store/sqlite-zone-store.js';

export interface TestServer {
  dataDir: string;
  dnsPort: number;
  apiUrl: string;
  adminToken: string;
  store: SqliteZoneStore;
  server: RunningServer;
  /** Stops the server; the data directory is deleted unless `keep` is set. */
  stop(opts?: { keep?: boolean }): Promise<void>;
}

export interface TestServerOptions {
  /** Reuse a data directory a previous test server kept (no seeding). */
  dataDir?: string;
  /**
   * 'test' (default): the demo zone with its wildcard moved to the apex (`*._device.example.net`),
   * the layout the conformance suites exercise wildcard proofs with; 'demo': exactly what
   * `npm start` creates.
   */
  zone?: 'test' | 'demo';
  /** Receives every log line the server writes at level info and above (they still go to stderr at error). */
  logLines?: string[];
}

/** The test variant of the demo zone: one DANE-TA wildcard at the apex instead of under site7. */
function useApexWildcard(store: SqliteZoneStore): void {
  const data = createHash('sha256').update('idzone demo fleet ca').digest();
  store.applyChanges('_device.example.net.', [
    { op: 'delete', owner: '*.site7._device.example.net.' },
    { op: 'put', owner: '*._device.example.net.', rrsets: [{ type: 52, ttl: 60, rdatas: [Buffer.concat([Buffer.from([2, 0, 1]), data])] }] },
  ]);
}

export async function startTestServer(overrides: Partial<ServeConfig> = {}, opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'idzone-test-'));
  const stderrLog = createLogger(process.env['IDZONE_TEST_LOG'] === '1' ? 'debug' : 'error');
  const sink = opts.logLines;
  const captured = sink === undefined ? undefined : createLogger('info', { write: (line: string) => sink.push(line.trimEnd()) } as unknown as NodeJS.WritableStream);
  const log: typeof stderrLog = captured === undefined ? stderrLog : (level, msg, fields) => {
    stderrLog(level, msg, fields);
    captured(level, msg, fields);
  };
  if (opts.dataDir === undefined) prepareDataDir(dataDir);
  const lock = acquireWriterLock(dataDir, 'test');
  const store = openSqliteStore(dataDir, { create: opts.dataDir === undefined, mmapBytes: overrides.mmapBytes ?? 0 });
  let tokenFile = join(dataDir, 'admin.token');
  if (opts.dataDir === undefined) {
    const keys = new KeyService({ dataDir, store, log, clock: () => Math.floor(Date.now() / 1000) });
    tokenFile = seedDataDir(dataDir, store, log).tokenFile;
    if ((opts.zone ?? 'test') === 'test') {
      keys.loadAll();
      store.setSigner(keys.registry);
      useApexWildcard(store);
      store.setSigner(undefined);
    }
  }
  const cfg: ServeConfig = {
    dataDir,
    dns: { host: '127.0.0.1', port: 0 },
    api: { host: '127.0.0.1', port: 0 },
    workers: 1,
    answerCacheBytes: 8 * 1024 * 1024,
    signatureCacheBytes: 8 * 1024 * 1024,
    mmapBytes: 0,
    logLevel: 'error',
    metricsAccess: 'open',
    healthAccess: 'open',
    zskLifetimeSeconds: 0,
    signatureValiditySeconds: 14 * 86400,
    // Denial proofs over UDP get their signature from a signing thread, so every delv and noble
    // check of a denial exercises that path; `npm start`'s default on a 2-core machine (inline
    // signing) is covered by demo-zone.test.ts and by tests that pass signingThreads: 0.
    signingThreads: 1,
    ...overrides,
  };
  let server: RunningServer;
  try {
    server = await startServer(cfg, store, log);
  } catch (err) {
    // Leave nothing behind: store, lock and (for a fresh one) the directory.
    store.close();
    lock.release();
    if (opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    dataDir,
    dnsPort: server.dns.port,
    apiUrl: `http://127.0.0.1:${server.api.port}`,
    adminToken: readFileSync(tokenFile, 'utf8').trim(),
    store,
    server,
    stop: async (o) => {
      await server.close();
      store.close();
      lock.release();
      if (o?.keep !== true) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The Debian DNS tools (kdig, delv) against a test server, run asynchronously: the server under
 * test shares this process's event loop, so a synchronous child would starve it. A missing tool
 * fails loudly (npm test's pretest installs them). Implemented once, in dns-tools.ts.
 */
export { runToolAsync as runTool, writeTrustAnchorAsync as writeTrustAnchor, delvAsync as delv } from './dns-tools.js';
