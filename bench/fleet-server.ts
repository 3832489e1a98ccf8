/**
 * What the server benchmarks share: the dnsperf query files of a fleet (fixed seeds, so identical on
 * every run) and starting `idzone serve` on a fleet data directory while timing the spawn-to-first-
 * correct-answer interval (a UDP query every 5 ms for device 1, accepted only when its TLSA digest
 * is in an authoritative NOERROR answer).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isPositiveAnswer, QType, waitForAnswer } from './dns-probe.js';
import { deviceName, tlsaDigest, writeQueryFile, type QueryMix } from './fleet-data.js';
import { runDnsperf, type DnsperfOptions, type DnsperfResult } from './dnsperf-run.js';
import { freePort, processTreeCpuSeconds, spawnServer, type ServerProcess } from './server-process.js';

/** Queries sent before the second RSS reading. */
export const RANDOM_QUERIES = 100_000;
/** Lines per dnsperf file: more than any 10 s run sends, so NXDOMAIN names never repeat. */
export const QUERY_FILE_LINES = 1_000_000;

export interface QueryFiles {
  positive: string;
  nxdomain: string;
  nodata: string;
  mixed: string;
}

/** The dnsperf input files for a fleet of `devices` (fixed seeds: identical on every run). */
export async function makeQueryFiles(dir: string, devices: number): Promise<QueryFiles> {
  mkdirSync(dir, { recursive: true });
  const file = (mix: QueryMix): string => join(dir, `queries-${mix}.txt`);
  await writeQueryFile(file('positive'), 'positive', QUERY_FILE_LINES, devices, 1);
  await writeQueryFile(file('nxdomain'), 'nxdomain', QUERY_FILE_LINES, devices, 2);
  await writeQueryFile(file('nodata'), 'nodata', QUERY_FILE_LINES, devices, 3);
  await writeQueryFile(file('mixed'), 'mixed', RANDOM_QUERIES, devices, 4);
  return { positive: file('positive'), nxdomain: file('nxdomain'), nodata: file('nodata'), mixed: file('mixed') };
}

export interface StartedServer {
  server: ServerProcess;
  dnsPort: number;
  apiPort: number;
  firstAnswerMs: number;
}

/** Spawns `idzone serve` and waits for a correct answer for device 1 (its TLSA digest present). */
export async function startAndTime(dataDir: string, devices: number, workers: number, extraArgs: string[] = []): Promise<StartedServer> {
  const dnsPort = await freePort();
  const apiPort = await freePort();
  const server = spawnServer({ dataDir, dnsPort, apiPort, workers, extraArgs });
  const digest = Buffer.from(tlsaDigest(1), 'hex');
  const at = await waitForAnswer(dnsPort, deviceName(1, devices), QType.TLSA, (r) => isPositiveAnswer(r) && r.includes(digest), { intervalMs: 5, timeoutMs: 60_000 });
  if (at === undefined) {
    await server.stop();
    throw new Error(`no correct answer within 60 s of spawning idzone serve:\n${server.output().slice(-3000)}`);
  }
  return { server, dnsPort, apiPort, firstAnswerMs: at - server.spawnedAt };
}


export interface MeasuredDnsperf extends DnsperfResult {
  /** CPU seconds the server (primary + workers) used during the run. */
  serverCpuSeconds: number;
  /** Completed queries per server CPU-second: robust to other load on the machine. */
  perServerCpuSecond: number;
}

/** A dnsperf run with the server's CPU time read before and after it. */
export async function runDnsperfMeasured(serverPid: number, o: DnsperfOptions): Promise<MeasuredDnsperf> {
  const cpu0 = processTreeCpuSeconds(serverPid);
  const r = await runDnsperf(o);
  const serverCpuSeconds = processTreeCpuSeconds(serverPid) - cpu0;
  return { ...r, serverCpuSeconds, perServerCpuSecond: serverCpuSeconds > 0 ? r.completed / serverCpuSeconds : 0 };
}
