/**
 * `npm run bench` — the fleet benchmark (issue "Serve identity zones from sharded SQLite", bench/
 * paragraph). Generates N devices as NDJSON, loads them with `idzone import` (names/s), then, for
 * one and for two DNS worker processes, spawns `idzone serve` and measures: the time from spawn to
 * the first correct TLSA answer (a restart: the data directory already exists; target < 1 s), the
 * background work the server does after start-up (CPU-seconds until it idles, bounded by
 * --settle-max; measured so it is not mistaken for query cost), RSS at the first answer, once idle
 * and after 100,000 random queries (primary + workers, from /proc; target < 150 MB), and dnsperf
 * queries/s for random positive TLSA names and random NXDOMAIN names, DO=0 and DO=1.
 * Loopback only; every load is bounded by count and time. Prints a table, writes JSON to --out.
 *
 *   node dist/bench/fleet.js [--devices N | --quick] [--out bench/out] [--work-dir DIR]
 *                            [--seconds 10] [--workers 1,2] [--restarts 3] [--reuse]
 *                            [--settle-max 600]
 */
import { parseArgs } from 'node:util';
import { FLEET_OPTIONS, fleetOptions, type FleetOptions } from './fleet-options.js';
import { join } from 'node:path';
import { mkdirSync, statSync, readdirSync } from 'node:fs';
import { benchEnvironment, fmt, formatTable, percentiles, progress, writeJsonReport } from './bench-report.js';
import { prepareFleet } from './fleet-data.js';
import { makeQueryFiles, RANDOM_QUERIES, runDnsperfMeasured, startAndTime, type MeasuredDnsperf, type QueryFiles, type StartedServer } from './fleet-server.js';
import { processTreeRss, waitForIdle, type IdleWait } from './server-process.js';

const TARGET_FIRST_ANSWER_MS = 1000;
const TARGET_RSS_KB = 150 * 1024;

interface Options extends FleetOptions {
  workers: number[];
  restarts: number;
  reuse: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      ...FLEET_OPTIONS,
      workers: { type: 'string', default: '1,2' },
      restarts: { type: 'string', default: '3' },
      reuse: { type: 'boolean', default: false },
    },
  });
  const restarts = Number(values.restarts);
  const workers = values.workers.split(',').map(Number);
  if (!Number.isInteger(restarts) || restarts < 1 || restarts > 20) throw new Error('--restarts: 1 … 20');
  if (workers.some((w) => !Number.isInteger(w) || w < 1 || w > 16)) throw new Error('--workers: comma-separated 1 … 16');
  return { ...fleetOptions(values), workers, restarts, reuse: values.reuse };
}

interface WorkerRun {
  workers: number;
  firstAnswerMs: number[];
  /** Right after the first correct answer. */
  rssAtFirstAnswerKb: number;
  /** Background work after start-up, until the server idles (see waitForIdle). */
  settle: IdleWait;
  /** Once idle (or when --settle-max ran out). */
  rssAfterStartKb: number;
  rssAfterStartProcesses: { pid: number; rssKb: number }[];
  randomQueries: MeasuredDnsperf;
  rssAfterQueriesKb: number;
  rssAfterQueriesProcesses: { pid: number; rssKb: number }[];
  qps: Record<string, MeasuredDnsperf>;
  /** The tail of the server's own output (its log lines explain background work). */
  serverLog: string;
}

async function measureWorkers(dataDir: string, devices: number, workers: number, files: QueryFiles, o: Options): Promise<WorkerRun> {
  const firstAnswerMs: number[] = [];
  let started: StartedServer | undefined;
  for (let r = 0; r < o.restarts; r++) {
    if (started !== undefined) await started.server.stop();
    started = await startAndTime(dataDir, devices, workers);
    firstAnswerMs.push(started.firstAnswerMs);
    progress(`workers=${workers}: start ${r + 1}/${o.restarts}: first correct answer after ${started.firstAnswerMs.toFixed(0)} ms`);
  }
  const s = started!;
  try {
    const atFirstAnswer = processTreeRss(s.server.pid).totalKb;
    progress(`workers=${workers}: waiting for the server to idle (at most ${o.settleMax} s)`);
    const settle = await waitForIdle(s.server.pid, o.settleMax);
    progress(`workers=${workers}: ${settle.idle ? 'idle' : 'still busy'} after ${settle.seconds.toFixed(0)} s (${settle.cpuSeconds.toFixed(1)} CPU-s of background work)`);
    const afterStart = processTreeRss(s.server.pid);
    progress(`workers=${workers}: ${RANDOM_QUERIES} random queries (mixed positive/NXDOMAIN/NODATA, DO=1)`);
    const randomQueries = await runDnsperfMeasured(s.server.pid, { port: s.dnsPort, file: files.mixed, passes: 1, seconds: 120, dnssecOk: true });
    const afterQueries = processTreeRss(s.server.pid);
    const qps: Record<string, MeasuredDnsperf> = {};
    const runs: [string, string, boolean][] = [
      ['positive DO=0', files.positive, false],
      ['positive DO=1', files.positive, true],
      ['nxdomain DO=0', files.nxdomain, false],
      ['nxdomain DO=1', files.nxdomain, true],
    ];
    for (const [label, file, dnssecOk] of runs) {
      progress(`workers=${workers}: dnsperf ${label}, ${o.seconds} s`);
      qps[label] = await runDnsperfMeasured(s.server.pid, { port: s.dnsPort, file, seconds: o.seconds, dnssecOk });
    }
    return {
      workers,
      firstAnswerMs,
      rssAtFirstAnswerKb: atFirstAnswer,
      settle,
      rssAfterStartKb: afterStart.totalKb,
      rssAfterStartProcesses: afterStart.processes,
      randomQueries,
      rssAfterQueriesKb: afterQueries.totalKb,
      rssAfterQueriesProcesses: afterQueries.processes,
      qps,
      serverLog: s.server.output().slice(-4000),
    };
  } finally {
    await s.server.stop();
  }
}

function dirSizeBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirSizeBytes(p) : statSync(p).size;
  }
  return total;
}

function summarise(devices: number, fleet: Awaited<ReturnType<typeof prepareFleet>>, runs: WorkerRun[], dataBytes: number): string {
  const imp = fleet.importRun;
  const head = formatTable(`idzone fleet benchmark: ${devices.toLocaleString('en-US')} devices`, [
    ['measure', 'value', 'target'],
    ['NDJSON generation', fmt.s(fleet.generateSeconds), ''],
    ['idzone import', imp ? `${fmt.s(imp.seconds)}, ${fmt.int(devices / imp.seconds)} names/s` : 'reused', ''],
    ['data directory size', `${(dataBytes / 2 ** 20).toFixed(0)} MB`, ''],
  ]);
  const rows: string[][] = [['measure', ...runs.map((r) => `${r.workers} worker${r.workers > 1 ? 's' : ''}`), 'target']];
  const startMedian = (r: WorkerRun): number => percentiles(r.firstAnswerMs)!.median;
  rows.push(['spawn → first answer (median)', ...runs.map((r) => fmt.ms(startMedian(r))), '< 1000 ms']);
  rows.push(['spawn → first answer (all)', ...runs.map((r) => r.firstAnswerMs.map((x) => x.toFixed(0)).join('/')), '']);
  rows.push(['RSS at first answer (all processes)', ...runs.map((r) => fmt.mb(r.rssAtFirstAnswerKb)), '']);
  rows.push(['background work after start', ...runs.map((r) => `${r.settle.cpuSeconds.toFixed(1)} CPU-s${r.settle.idle ? '' : ' (not idle)'}`), '']);
  rows.push(['RSS after start, once idle', ...runs.map((r) => fmt.mb(r.rssAfterStartKb)), '']);
  rows.push([`RSS after ${RANDOM_QUERIES / 1000}k random queries`, ...runs.map((r) => fmt.mb(r.rssAfterQueriesKb)), '< 150 MB']);
  rows.push(['  largest single process', ...runs.map((r) => fmt.mb(Math.max(...r.rssAfterQueriesProcesses.map((p) => p.rssKb)))), '']);
  for (const label of Object.keys(runs[0]?.qps ?? {})) {
    rows.push([`qps ${label}`, ...runs.map((r) => qpsCell(r.qps[label])), '']);
    rows.push(['  per server CPU-second', ...runs.map((r) => fmt.int(r.qps[label]?.perServerCpuSecond)), '']);
  }
  const verdicts = formatTable('targets', [
    ['target', 'measured', 'verdict'],
    ...runs.map((r) => [`first answer < 1 s (${r.workers}w)`, fmt.ms(startMedian(r)), fmt.verdict(startMedian(r) < TARGET_FIRST_ANSWER_MS)]),
    ...runs.map((r) => [`RSS < 150 MB after queries (${r.workers}w)`, fmt.mb(r.rssAfterQueriesKb), fmt.verdict(r.rssAfterQueriesKb < TARGET_RSS_KB)]),
  ]);
  return head + formatTable('server (dnsperf -c 4 -q 100, loopback; dnsperf shares the 2 cores)', rows) + verdicts;
}

function qpsCell(r: MeasuredDnsperf | undefined): string {
  if (r === undefined) return '-';
  const lost = r.lost > 0 ? ` (${r.lost} lost)` : '';
  return `${fmt.int(r.qps)}${lost}`;
}

async function main(): Promise<void> {
  const o = parseOptions();
  const env = benchEnvironment('fleet');
  const fleet = await prepareFleet(o.workDir, o.devices, o.reuse, progress);
  if (fleet.importRun) progress(fleet.importRun.stdout.trim().split('\n').pop() ?? '');
  const files = await makeQueryFiles(join(o.workDir, `fleet-${o.devices}`), o.devices);
  const runs: WorkerRun[] = [];
  for (const w of o.workers) runs.push(await measureWorkers(fleet.dataDir, o.devices, w, files, o));
  const dataBytes = dirSizeBytes(fleet.dataDir);
  process.stdout.write(summarise(o.devices, fleet, runs, dataBytes));
  const file = writeJsonReport(o.out, `fleet-${o.devices}`, {
    env,
    devices: o.devices,
    zone: fleet.dataDir,
    generateSeconds: fleet.generateSeconds,
    import: fleet.importRun ? { seconds: fleet.importRun.seconds, namesPerSecond: o.devices / fleet.importRun.seconds, output: fleet.importRun.stdout.trim() } : 'reused',
    dataDirectoryBytes: dataBytes,
    runs,
  });
  process.stdout.write(`\nJSON: ${file}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/fleet: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
