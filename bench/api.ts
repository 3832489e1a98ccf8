/**
 * The API benchmark (issue "HTTP API for identity records", bench/ paragraph). Starts `idzone serve`
 * on a fresh data directory (which writes `<data-dir>/admin.token`), creates a signed zone with
 * `POST /api/v1/zones`, and measures with that token, for each worker count asked for:
 *   - sequential single-name PUT, then DELETE (one keep-alive connection; target ≥ 2,000/s each),
 *     once with node:http's client and once with a lean client (RawHttpClient) whose own cost per
 *     request is far smaller, so the second pair measures the server more nearly;
 *   - the same with 32 concurrent clients (keep-alive agent, 32 sockets);
 *   - NDJSON import over `POST /api/v1/zones/{zone}/import` (target ≥ 100,000 names/s), into the
 *     signed zone and, to show what signing costs, into an unsigned zone made with
 *     `idzone zone create --unsigned` before the server starts;
 *   - read-after-write: after each PUT's 2xx, a DNS query (DO=1) at once, repeated until the new
 *     TLSA digest is in the answer; then the same for DELETE → NXDOMAIN. Median/p99 of the time
 *     from the 2xx to the visible change, and how often the very first query already saw it.
 * Every loop is bounded by a count and by --phase-seconds. Loopback only.
 *
 *   node dist/bench/api.js [--quick] [--workers 1,2] [--puts 5000] [--concurrent-puts 20000]
 *                          [--import-names 200000] [--raw 1000] [--phase-seconds 30] [--out bench/out]
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { benchEnvironment, fmt, formatTable, percentiles, progress, writeJsonReport } from './bench-report.js';
import { ApiClient, RawHttpClient, renderNdjson, waitForApi, type WriteClient } from './api-client.js';
import { deviceLine, tlsaDigest } from './fleet-data.js';
import { freePort, processTreeCpuSeconds, runIdzoneOk, spawnServer, type ServerProcess } from './server-process.js';
import { measureReadAfterWrite, type RawReport } from './read-after-write.js';

const SIGNED_ZONE = (w: number): string => `_device.w${w}.apibench.example.`;
const UNSIGNED_ZONE = '_device.unsigned.apibench.example.';
const CONCURRENCY = 32;
const TARGET_WRITES_PER_S = 2000;
const TARGET_IMPORT_PER_S = 100_000;

interface Options {
  workers: number[];
  puts: number;
  concurrentPuts: number;
  importNames: number;
  raw: number;
  phaseSeconds: number;
  out: string;
  workDir: string;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      workers: { type: 'string', default: '1,2' },
      puts: { type: 'string' },
      'concurrent-puts': { type: 'string' },
      'import-names': { type: 'string' },
      raw: { type: 'string', default: '1000' },
      'phase-seconds': { type: 'string', default: '30' },
      out: { type: 'string', default: 'bench/out' },
      'work-dir': { type: 'string' },
    },
  });
  const q = values.quick;
  const int = (v: string | undefined, d: number, name: string, max: number): number => {
    const n = Number(v ?? d);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name}: 1 … ${max}`);
    return n;
  };
  const workers = values.workers.split(',').map(Number);
  if (workers.some((w) => !Number.isInteger(w) || w < 1 || w > 16)) throw new Error('--workers: comma-separated 1 … 16');
  return {
    workers,
    puts: int(values.puts, q ? 2000 : 5000, 'puts', 1_000_000),
    concurrentPuts: int(values['concurrent-puts'], q ? 5000 : 20_000, 'concurrent-puts', 1_000_000),
    importNames: int(values['import-names'], q ? 50_000 : 200_000, 'import-names', 10_000_000),
    raw: int(values.raw, 1000, 'raw', 100_000),
    phaseSeconds: int(values['phase-seconds'], 30, 'phase-seconds', 600),
    out: values.out,
    workDir: values['work-dir'] ?? join(values.out, 'work'),
  };
}

interface WriteRate {
  op: 'PUT' | 'DELETE';
  clients: number;
  /** 'node:http' (keep-alive agent) or 'lean' (RawHttpClient: one prebuilt request string). */
  client: ClientKind;
  done: number;
  failed: number;
  statuses: Record<string, number>;
  seconds: number;
  perSecond: number;
  latencyMs: ReturnType<typeof percentiles>;
  /**
   * CPU time per successful request, from /proc (server: the process tree, every thread) and from
   * process.cpuUsage() (this process: the client). Sequentially, 1 / perSecond minus both is time
   * neither side was running: the loopback hops and the wake-ups of two idle vCPUs.
   */
  serverCpuUs?: number;
  clientCpuUs?: number;
}

/**
 * Writes to the names `<prefix><i>` for each i in `indices`, spread over `clients` concurrent loops
 * (each write awaited before its loop's next), stopping early after `seconds`. Returns the rate and
 * the indices that succeeded (a DELETE phase then deletes exactly the names its PUT phase made).
 */
type ClientKind = 'node:http' | 'lean';

async function writeRate(api: WriteClient, kind: ClientKind, op: 'PUT' | 'DELETE', zone: string, indices: readonly number[], clients: number, seconds: number, prefix: string): Promise<{ rate: WriteRate; succeeded: number[] }> {
  const count = indices.length;
  const succeeded: number[] = [];
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let next = 0;
  let done = 0;
  let failed = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const loop = async (): Promise<void> => {
    while (next < count && performance.now() < deadline) {
      const i = indices[next++]!;
      const path = `/api/v1/zones/${encodeURIComponent(zone)}/names/${prefix}${i}`;
      const body = op === 'PUT' ? { ttl: 60, tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: tlsaDigest(i, prefix) }] } : undefined;
      const s = performance.now();
      const r = await api.send(op, path, body).catch((e: unknown) => ({ status: 0, body: String(e) }));
      latencies.push(performance.now() - s);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status >= 200 && r.status < 300) {
        done++;
        succeeded.push(i);
      } else failed++;
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  const elapsed = (performance.now() - t0) / 1000;
  return { rate: { op, clients, client: kind, done, failed, statuses, seconds: elapsed, perSecond: done / elapsed, latencyMs: percentiles(latencies) }, succeeded };
}

interface ImportRate {
  zone: string;
  signed: boolean;
  status: number;
  accepted: number;
  rejectedCount: number;
  seconds: number;
  perSecond: number;
  error?: string;
}

async function importRate(baseUrl: string, token: string, zone: string, signed: boolean, names: number): Promise<ImportRate> {
  const api = new ApiClient(baseUrl, token, 1);
  const body = renderNdjson(names, (k) => deviceLine(k + 1, names, zone, 'import'));
  const t0 = performance.now();
  try {
    const r = await api.importNdjson(zone, body);
    const seconds = (r.endedAt - t0) / 1000;
    const report = parseJson(r.body) as { accepted?: number; rejectedCount?: number } | undefined;
    const accepted = report?.accepted ?? 0;
    const out: ImportRate = { zone, signed, status: r.status, accepted, rejectedCount: report?.rejectedCount ?? 0, seconds, perSecond: accepted / seconds };
    if (r.status !== 200) out.error = r.body.slice(0, 500);
    return out;
  } catch (e) {
    const seconds = (performance.now() - t0) / 1000;
    return { zone, signed, status: 0, accepted: 0, rejectedCount: 0, seconds, perSecond: 0, error: String(e) };
  } finally {
    api.close();
  }
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

interface WorkerReport {
  workers: number;
  zone: string;
  zoneCreate: { status: number; ms: number };
  writes: WriteRate[];
  imports: ImportRate[];
  readAfterWrite: RawReport;
}

interface Running {
  server: ServerProcess;
  baseUrl: string;
  apiPort: number;
  dnsPort: number;
}

async function startServer(dataDir: string, workers: number): Promise<Running> {
  const dnsPort = await freePort();
  const apiPort = await freePort();
  const server = spawnServer({ dataDir, dnsPort, apiPort, workers, extraArgs: ['--log-level', 'warn'] });
  const baseUrl = `http://127.0.0.1:${apiPort}`;
  if (!(await waitForApi(baseUrl))) {
    await server.stop();
    throw new Error(`the API did not answer /healthz within 60 s:\n${server.output().slice(-3000)}`);
  }
  return { server, baseUrl, apiPort, dnsPort };
}

/** A fresh data directory as `npm start` makes it (demo zone, admin token), plus an unsigned zone. */
async function prepareDataDir(dataDir: string): Promise<string> {
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(join(dataDir, '..'), { recursive: true });
  const first = await startServer(dataDir, 1);
  await first.server.stop();
  await runIdzoneOk(['zone', 'create', '--unsigned', '--data-dir', dataDir, UNSIGNED_ZONE]);
  return readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
}

async function measureWorkers(dataDir: string, token: string, workers: number, o: Options): Promise<WorkerReport> {
  const run = await startServer(dataDir, workers);
  const api = new ApiClient(run.baseUrl, token, CONCURRENCY);
  try {
    const zone = SIGNED_ZONE(workers);
    const t0 = performance.now();
    const created = await api.send('POST', '/api/v1/zones', { name: zone });
    const zoneCreate = { status: created.status, ms: created.endedAt - t0 };
    if (created.status !== 201) throw new Error(`POST /api/v1/zones: ${created.status} ${created.body.slice(0, 500)}`);
    const writes: WriteRate[] = [];
    const phase = async (op: 'PUT' | 'DELETE', indices: readonly number[], clients: number, prefix: string, kind: ClientKind = 'node:http'): Promise<number[]> => {
      progress(`workers=${workers}: ${op} x ${indices.length}, ${clients} client(s), ${kind}`);
      // One socket for the sequential phases: a fresh client so its agent holds exactly one.
      const c: WriteClient = kind === 'lean' ? new RawHttpClient('127.0.0.1', run.apiPort, token) : clients === 1 ? new ApiClient(run.baseUrl, token, 1) : api;
      const server0 = processTreeCpuSeconds(run.server.pid);
      const client0 = process.cpuUsage();
      const { rate, succeeded } = await writeRate(c, kind, op, zone, indices, clients, o.phaseSeconds, prefix);
      const client = process.cpuUsage(client0);
      if (rate.done > 0) {
        rate.serverCpuUs = ((processTreeCpuSeconds(run.server.pid) - server0) * 1e6) / rate.done;
        rate.clientCpuUs = (client.user + client.system) / rate.done;
      }
      writes.push(rate);
      if (c !== api) c.close();
      return succeeded;
    };
    const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
    await phase('DELETE', await phase('PUT', range(o.puts), 1, 'seq'), 1, 'seq');
    await phase('DELETE', await phase('PUT', range(o.puts), 1, 'lean', 'lean'), 1, 'lean', 'lean');
    await phase('DELETE', await phase('PUT', range(o.concurrentPuts), CONCURRENCY, 'conc'), CONCURRENCY, 'conc');
    progress(`workers=${workers}: read-after-write x ${o.raw}`);
    const readAfterWrite = await measureReadAfterWrite(api, run.dnsPort, zone, o.raw);
    const imports: ImportRate[] = [];
    progress(`workers=${workers}: import ${o.importNames} names into the signed zone`);
    imports.push(await importRate(run.baseUrl, token, zone, true, o.importNames));
    progress(`workers=${workers}: import ${o.importNames} names into the unsigned zone`);
    imports.push(await importRate(run.baseUrl, token, UNSIGNED_ZONE, false, o.importNames));
    return { workers, zone, zoneCreate, writes, imports, readAfterWrite };
  } finally {
    api.close();
    await run.server.stop();
  }
}

function summarise(reports: WorkerReport[]): string {
  const head = ['measure', ...reports.map((r) => `${r.workers} worker${r.workers > 1 ? 's' : ''}`), 'target'];
  const rows: string[][] = [head];
  const writeRow = (op: 'PUT' | 'DELETE', clients: number, kind: ClientKind = 'node:http'): void => {
    const pick = (r: WorkerReport): WriteRate | undefined => r.writes.find((x) => x.op === op && x.clients === clients && x.client === kind);
    const cells = reports.map((r) => {
      const w = pick(r);
      return w === undefined ? '-' : `${fmt.int(w.perSecond)}/s${w.failed > 0 ? ` (${w.failed} failed)` : ''}`;
    });
    const label = `${op} ${clients === 1 ? 'sequential' : `${clients} clients`}${kind === 'lean' ? ', lean client' : ''}`;
    rows.push([label, ...cells, clients === 1 ? '>= 2,000/s' : '']);
    const p = reports.map((r) => pick(r)?.latencyMs);
    rows.push(['  latency median / p99', ...p.map((x) => (x === undefined ? '-' : `${x.median.toFixed(1)} / ${x.p99.toFixed(1)} ms`)), '']);
    const cpu = (w: WriteRate | undefined): string => (w?.serverCpuUs === undefined || w.clientCpuUs === undefined ? '-' : `${fmt.int(w.serverCpuUs)} / ${fmt.int(w.clientCpuUs)} µs`);
    rows.push(['  CPU per request, server / client', ...reports.map((r) => cpu(pick(r))), '']);
  };
  writeRow('PUT', 1);
  writeRow('DELETE', 1);
  writeRow('PUT', 1, 'lean');
  writeRow('DELETE', 1, 'lean');
  writeRow('PUT', CONCURRENCY);
  writeRow('DELETE', CONCURRENCY);
  for (const signed of [true, false]) {
    rows.push([`import NDJSON (${signed ? 'signed' : 'unsigned'} zone)`, ...reports.map((r) => importCell(r.imports.find((i) => i.signed === signed))), signed ? '>= 100,000/s' : '']);
  }
  rows.push(['PUT 2xx → visible in DNS, median / p99', ...reports.map((r) => latencyCell(r.readAfterWrite.put)), '']);
  rows.push(['  first query already new', ...reports.map((r) => `${r.readAfterWrite.put.firstQueryFresh}/${r.readAfterWrite.put.samples}`), '']);
  rows.push(['DELETE 2xx → NXDOMAIN, median / p99', ...reports.map((r) => latencyCell(r.readAfterWrite.delete)), '']);
  rows.push(['  first query already NXDOMAIN', ...reports.map((r) => `${r.readAfterWrite.delete.firstQueryFresh}/${r.readAfterWrite.delete.samples}`), '']);
  const verdicts: string[][] = [['target', 'measured', 'verdict']];
  for (const r of reports) {
    for (const w of r.writes.filter((x) => x.clients === 1)) verdicts.push([`${w.op} sequential >= 2,000/s (${r.workers}w, ${w.client})`, fmt.int(w.perSecond), fmt.verdict(w.perSecond >= TARGET_WRITES_PER_S)]);
    const imp = r.imports.find((i) => i.signed);
    if (imp) verdicts.push([`import >= 100,000 names/s, signed (${r.workers}w)`, fmt.int(imp.perSecond), fmt.verdict(imp.perSecond >= TARGET_IMPORT_PER_S)]);
  }
  return formatTable('idzone HTTP API benchmark (loopback, admin token)', rows) + formatTable('targets', verdicts);
}

function importCell(i: ImportRate | undefined): string {
  if (i === undefined) return '-';
  if (i.error !== undefined) return `failed (${i.status})`;
  return `${fmt.int(i.perSecond)} names/s`;
}

function latencyCell(x: RawReport['put']): string {
  const p = x.latencyMs;
  return p === undefined ? '-' : `${p.median.toFixed(2)} / ${p.p99.toFixed(2)} ms${x.neverVisible > 0 ? ` (${x.neverVisible} never)` : ''}`;
}

async function main(): Promise<void> {
  const o = parseOptions();
  const env = benchEnvironment('api');
  const dataDir = join(o.workDir, 'api', 'data');
  progress(`preparing ${dataDir} (idzone serve on a new directory, then idzone zone create --unsigned)`);
  const token = await prepareDataDir(dataDir);
  const reports: WorkerReport[] = [];
  for (const w of o.workers) reports.push(await measureWorkers(dataDir, token, w, o));
  process.stdout.write(summarise(reports));
  const file = writeJsonReport(o.out, 'api', { env, options: o, dataDir, reports });
  process.stdout.write(`\nJSON: ${file}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/api: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
