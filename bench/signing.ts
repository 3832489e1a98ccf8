/**
 * The signing benchmark (issue "Sign online: DNSSEC with NSEC3 white lies", bench/ paragraph), in
 * one run on one fleet zone: the raw signing rate on one core (node:crypto ECDSA P-256 and Ed25519
 * through signer/rrsig.ts signRrset, @noble/curves for comparison); with `idzone serve --workers 1`,
 * dnsperf queries/s for random NXDOMAIN DO=1 (one fresh NSEC3-cover signature per query; target
 * ≥ 80 % of the raw ECDSA rate), random positive TLSA DO=1 and random NODATA DO=1 (stored signatures,
 * no signing on the query path; target ≥ 60,000/s each); then, with the server stopped, the time to
 * re-sign the whole zone (zone-resign.ts). The server runs once per `--signing-threads` value
 * (default 0 and 1: denial signatures on the answering thread, then on one signing thread), so the
 * effect of the thread is measured in the same run. The same dnsperf run against a node:dgram server
 * that answers without any DNS work (dgram-echo.ts) gives the ceiling of one Node.js thread on this
 * machine, and each rate is also shown as a fraction of it. Reuses the fleet that fleet.ts imported when it
 * holds N names, else generates and imports one.
 *
 *   node dist/bench/signing.js [--devices N | --quick] [--out bench/out] [--work-dir DIR]
 *                              [--seconds 10] [--sign-seconds 3] [--no-resign] [--settle-max 600]
 *                              [--signing-threads 0,1]
 */
import { parseArgs } from 'node:util';
import { FLEET_OPTIONS, fleetOptions, type FleetOptions } from './fleet-options.js';
import { join } from 'node:path';
import { benchEnvironment, fmt, formatTable, progress, writeJsonReport } from './bench-report.js';
import { FLEET_ZONE, prepareFleet } from './fleet-data.js';
import { makeQueryFiles, runDnsperfMeasured, startAndTime, type MeasuredDnsperf } from './fleet-server.js';
import { measureSigningRates, type RateResult } from './signing-rate.js';
import { resignWholeZone, type ResignReport } from './zone-resign.js';
import { freePort, waitForIdle, type IdleWait } from './server-process.js';
import { startDgramEcho } from './dgram-echo.js';

const TARGET_NX_FRACTION = 0.8;
const TARGET_STORED_QPS = 60_000;

interface Options extends FleetOptions {
  signSeconds: number;
  resign: boolean;
  signingThreads: number[];
}

interface ServerRun {
  threads: number;
  qps: Record<string, MeasuredDnsperf>;
  settle: IdleWait;
  firstAnswerMs: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      ...FLEET_OPTIONS,
      'sign-seconds': { type: 'string', default: '3' },
      'no-resign': { type: 'boolean', default: false },
      'signing-threads': { type: 'string', default: '0,1' },
    },
  });
  const signSeconds = Number(values['sign-seconds']);
  if (!(signSeconds > 0 && signSeconds <= 60)) throw new Error('--sign-seconds: 1 … 60');
  const signingThreads = String(values['signing-threads']).split(',').map(Number);
  if (signingThreads.length === 0 || signingThreads.some((t) => !Number.isInteger(t) || t < 0 || t > 8)) throw new Error('--signing-threads: a list of 0 … 8');
  return { ...fleetOptions(values), signSeconds, resign: !values['no-resign'], signingThreads };
}

async function measureServer(dataDir: string, devices: number, o: Options, threads: number): Promise<ServerRun> {
  const files = await makeQueryFiles(join(o.workDir, `fleet-${devices}`), devices);
  const s = await startAndTime(dataDir, devices, 1, ['--signing-threads', String(threads)]);
  progress(`server up after ${s.firstAnswerMs.toFixed(0)} ms (1 worker, ${threads} signing thread(s)); waiting for it to idle (at most ${o.settleMax} s)`);
  try {
    const settle = await waitForIdle(s.server.pid, o.settleMax);
    progress(`${settle.idle ? 'idle' : 'still busy'} after ${settle.seconds.toFixed(0)} s (${settle.cpuSeconds.toFixed(1)} CPU-s of background work)`);
    const out: Record<string, MeasuredDnsperf> = {};
    const runs: [string, string][] = [
      ['nxdomain DO=1', files.nxdomain],
      ['positive TLSA DO=1', files.positive],
      ['nodata DO=1', files.nodata],
    ];
    for (const [label, file] of runs) {
      progress(`dnsperf ${label}, ${o.seconds} s`);
      out[label] = await runDnsperfMeasured(s.server.pid, { port: s.dnsPort, file, seconds: o.seconds, dnssecOk: true });
    }
    return { threads, qps: out, settle, firstAnswerMs: s.firstAnswerMs };
  } finally {
    await s.server.stop();
  }
}

/** dnsperf with the positive query file against a server that does no DNS work. */
async function measureEcho(devices: number, o: Options): Promise<MeasuredDnsperf> {
  const files = await makeQueryFiles(join(o.workDir, `fleet-${devices}`), devices);
  const port = await freePort();
  const echo = await startDgramEcho(port);
  try {
    progress(`dnsperf against a bare node:dgram echo server, ${o.seconds} s`);
    return await runDnsperfMeasured(echo.pid, { port, file: files.positive, seconds: o.seconds, dnssecOk: true });
  } finally {
    await echo.stop();
  }
}

function summarise(devices: number, rates: RateResult[], runs: ServerRun[], resign: ResignReport | undefined, echo: MeasuredDnsperf): string {
  const ecdsa = rates[0]!;
  const rateTable = formatTable('raw signing rate, one core, one TLSA RRset (in this process)', [
    ['implementation', 'signatures/s', 'per CPU-second', 'count'],
    ...rates.map((r) => [r.label, fmt.int(r.perSecond), fmt.int(r.perCpuSecond), fmt.int(r.count)]),
  ]);
  const q = (r: MeasuredDnsperf | undefined): string => (r === undefined ? '-' : `${fmt.int(r.qps)}${r.lost > 0 ? ` (${r.lost} lost)` : ''}`);
  const perCpu = (r: MeasuredDnsperf | undefined): string => fmt.int(r?.perServerCpuSecond);
  const atLeast = (r: MeasuredDnsperf | undefined): string => fmt.verdict(r === undefined ? undefined : r.qps >= TARGET_STORED_QPS);
  const ofEcho = (r: MeasuredDnsperf | undefined): string => (r === undefined ? '-' : fmt.pct(r.qps / echo.qps));
  const rows: string[][] = [['signing threads', 'measure', 'per second', 'per server CPU-s', 'of echo', 'target', 'verdict']];
  for (const run of runs) {
    const nx = run.qps['nxdomain DO=1'];
    const pos = run.qps['positive TLSA DO=1'];
    const nodata = run.qps['nodata DO=1'];
    // Wall-clock ratio, and the same ratio per CPU-second (both sides), which other load disturbs less.
    const fraction = nx === undefined ? undefined : nx.qps / ecdsa.perSecond;
    const cpuFraction = nx === undefined ? undefined : nx.perServerCpuSecond / ecdsa.perCpuSecond;
    const t = String(run.threads);
    rows.push(
      [t, 'random NXDOMAIN DO=1 qps', q(nx), perCpu(nx), ofEcho(nx), '', ''],
      [t, '  fraction of ECDSA signing rate', fmt.pct(fraction), fmt.pct(cpuFraction), '', '>= 80 %', fmt.verdict(fraction === undefined ? undefined : fraction >= TARGET_NX_FRACTION)],
      [t, 'random positive TLSA DO=1 qps', q(pos), perCpu(pos), ofEcho(pos), '>= 60,000', atLeast(pos)],
      [t, 'random NODATA DO=1 qps', q(nodata), perCpu(nodata), ofEcho(nodata), '>= 60,000', atLeast(nodata)],
    );
  }
  rows.push(['-', 'bare node:dgram echo, no DNS work', q(echo), perCpu(echo), '100 %', '', '']);
  rows.push(['', 're-sign whole zone', resign === undefined ? 'skipped' : `${fmt.s(resign.seconds)} (${fmt.int(resign.namesPerSecond)} names/s)`, '', '', '', '']);
  const server = formatTable(`idzone serve --workers 1 --signing-threads N, zone of ${devices.toLocaleString('en-US')} devices (dnsperf -c 4 -q 100 -D)`, rows);
  const method = resign === undefined ? '' : `re-sign method: ${resign.method}; ${fmt.int(resign.resigned)} of ${fmt.int(resign.names)} names re-signed\n`;
  return rateTable + server + method;
}

async function main(): Promise<void> {
  const o = parseOptions();
  const env = benchEnvironment('signing');
  progress(`raw signing rates, ${o.signSeconds} s each`);
  const rates = measureSigningRates(o.signSeconds);
  const fleet = await prepareFleet(o.workDir, o.devices, true, progress);
  const runs: ServerRun[] = [];
  for (const threads of o.signingThreads) runs.push(await measureServer(fleet.dataDir, o.devices, o, threads));
  const echo = await measureEcho(o.devices, o);
  let resign: ResignReport | undefined;
  if (o.resign) {
    progress(`re-signing ${FLEET_ZONE} (${o.devices} names), server stopped`);
    resign = await resignWholeZone(fleet.dataDir, FLEET_ZONE);
  }
  process.stdout.write(summarise(o.devices, rates, runs, resign, echo));
  for (const run of runs) {
    const { settle } = run;
    process.stdout.write(`${run.threads} signing thread(s): background work after start-up, before the dnsperf runs: ${settle.cpuSeconds.toFixed(1)} CPU-s over ${settle.seconds.toFixed(0)} s${settle.idle ? '' : ' (still busy when --settle-max ran out)'}\n`);
  }
  const ecdsa = rates[0]!;
  const file = writeJsonReport(o.out, `signing-${o.devices}`, {
    env,
    devices: o.devices,
    dataDir: fleet.dataDir,
    importedNow: fleet.importRun !== undefined,
    rates,
    runs: runs.map((r) => ({
      ...r,
      nxdomainFractionOfSigningRate: (r.qps['nxdomain DO=1']?.qps ?? 0) / ecdsa.perSecond,
      nxdomainFractionPerCpuSecond: (r.qps['nxdomain DO=1']?.perServerCpuSecond ?? 0) / ecdsa.perCpuSecond,
    })),
    resign: resign ?? 'skipped',
    dgramEcho: echo,
  });
  process.stdout.write(`\nJSON: ${file}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/signing: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
