/**
 * The flood benchmark (issue "Sign online", item 2: "measure the event loop under a flood of random
 * names and keep it responsive"). On the fleet zone, with `idzone serve --workers 1
 * --signing-threads N` for each N asked for, in alternating rounds:
 *   - positive-answer latency alone: one paced dnsperf client, 1,000 random positive TLSA DO=1
 *     queries per second;
 *   - the same while a second dnsperf saturates the server with random NXDOMAIN DO=1 queries (one
 *     fresh signature each): the paced client's latency, the flood's rate, and what was lost.
 * Every run is bounded by --seconds. Reuses the fleet fleet.ts imported, else makes one.
 *
 *   node dist/bench/flood.js [--devices N | --quick] [--signing-threads 0,1] [--rounds 2]
 *                            [--seconds 7] [--settle-max 600] [--out bench/out] [--work-dir DIR]
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { benchEnvironment, fmt, formatTable, progress, writeJsonReport } from './bench-report.js';
import { runDnsperf, type DnsperfResult } from './dnsperf-run.js';
import { prepareFleet } from './fleet-data.js';
import { FLEET_OPTIONS, fleetOptions, type FleetOptions } from './fleet-options.js';
import { makeQueryFiles, startAndTime } from './fleet-server.js';
import { waitForIdle } from './server-process.js';

const PACED_QPS = 1000;

interface Options extends FleetOptions {
  signingThreads: number[];
  rounds: number;
}

interface FloodRun {
  threads: number;
  round: number;
  alone: DnsperfResult;
  beside: DnsperfResult;
  flood: DnsperfResult;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      ...FLEET_OPTIONS,
      seconds: { type: 'string', default: '7' },
      'signing-threads': { type: 'string', default: '0,1' },
      rounds: { type: 'string', default: '2' },
    },
  });
  const signingThreads = String(values['signing-threads']).split(',').map(Number);
  if (signingThreads.some((t) => !Number.isInteger(t) || t < 0 || t > 8)) throw new Error('--signing-threads: a list of 0 … 8');
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) throw new Error('--rounds: 1 … 10');
  return { ...fleetOptions(values), signingThreads, rounds };
}

async function measure(dataDir: string, devices: number, o: Options, threads: number, round: number, files: { positive: string; nxdomain: string }): Promise<FloodRun> {
  const s = await startAndTime(dataDir, devices, 1, ['--signing-threads', String(threads)]);
  try {
    const settle = await waitForIdle(s.server.pid, o.settleMax);
    progress(`round ${round}, ${threads} signing thread(s): ${settle.idle ? 'idle' : 'still busy'} after ${settle.seconds.toFixed(0)} s; paced positive queries alone`);
    const paced = { port: s.dnsPort, file: files.positive, seconds: o.seconds, clients: 1, rate: PACED_QPS, dnssecOk: true };
    const alone = await runDnsperf(paced);
    progress(`round ${round}, ${threads} signing thread(s): the same beside a random-NXDOMAIN DO=1 flood`);
    const floodRun = runDnsperf({ port: s.dnsPort, file: files.nxdomain, seconds: o.seconds + 1, clients: 4, outstanding: 100, dnssecOk: true });
    await new Promise((r) => setTimeout(r, 500));
    const beside = await runDnsperf(paced);
    const flood = await floodRun;
    return { threads, round, alone, beside, flood };
  } finally {
    await s.server.stop();
  }
}

function summarise(runs: FloodRun[], devices: number): string {
  const lat = (r: DnsperfResult): string => `${r.avgLatencyMs.toFixed(2)} / ${r.maxLatencyMs.toFixed(0)} ms`;
  const lost = (r: DnsperfResult): string => (r.lost > 0 ? ` (${r.lost} lost)` : '');
  return formatTable(`one worker, ${devices.toLocaleString('en-US')} devices: positive TLSA DO=1 at ${PACED_QPS}/s, alone and beside a random-NXDOMAIN DO=1 flood`, [
    ['signing threads', 'round', 'alone avg / max', 'beside flood avg / max', 'flood answered'],
    ...runs.map((r) => [String(r.threads), String(r.round), lat(r.alone) + lost(r.alone), lat(r.beside) + lost(r.beside), `${fmt.int(r.flood.qps)} qps${lost(r.flood)}`]),
  ]);
}

async function main(): Promise<void> {
  const o = parseOptions();
  const env = benchEnvironment('flood');
  const fleet = await prepareFleet(o.workDir, o.devices, true, progress);
  const files = await makeQueryFiles(join(o.workDir, `fleet-${o.devices}`), o.devices);
  const runs: FloodRun[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    for (const threads of o.signingThreads) runs.push(await measure(fleet.dataDir, o.devices, o, threads, round, files));
  }
  process.stdout.write(summarise(runs, o.devices));
  const file = writeJsonReport(o.out, `flood-${o.devices}`, { env, devices: o.devices, pacedQps: PACED_QPS, runs });
  process.stdout.write(`\nJSON: ${file}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/flood: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
