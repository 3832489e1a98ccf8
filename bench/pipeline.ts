/**
 * The query path without the socket: idzone's query handler (server/query/pipeline.ts) called
 * in-process on the fleet zone, with the same query files dnsperf sends, `--window` queries in
 * flight at a time (dnsperf's -q). Reports the answering thread's busy time per query, measured
 * with performance.eventLoopUtilization(), so JavaScript work can be compared without the UDP
 * syscalls and without dnsperf sharing the cores; the socket's own cost is what dgram-echo.ts
 * measures. Random NXDOMAIN DO=1 runs once with its fresh signature made inline and once on one
 * signing thread (signing-pool.ts), which then only the thread pays.
 *
 *   node dist/bench/pipeline.js [--devices 1000000] [--queries 100000] [--window 100] [--work-dir DIR]
 *                               [--kinds positive,nodata,nxdomain] [--signing-threads 0,1]
 *
 * Needs `<work-dir>/fleet-N/data` with a signed fleet (run fleet.ts or signing.ts first). Opens it
 * read-only, so it can run beside nothing else that writes it.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import dnsPacket from 'dns-packet';
import { openSqliteStore } from '../zone-store/index.js';
import { SERVER_ADMISSION_WINDOW, SignatureCache } from '../signer/signature-cache.js';
import { SigningPool } from '../signer/signing-pool.js';
import { SigningProvider } from '../server/dnssec/signing-provider.js';
import { AnswerCache } from '../server/query/answer-cache.js';
import { ProbeCache } from '../server/query/probe-cache.js';
import { NxdomainTemplates } from '../server/query/nxdomain-templates.js';
import { createQueryHandler } from '../server/query/pipeline.js';
import { createQueryMetrics } from '../server/query/query-metrics.js';
import type { QueryContext } from '../server/transport/types.js';
import { fmt, formatTable, benchEnvironment, progress, writeJsonReport } from './bench-report.js';

interface Row {
  label: string;
  queries: number;
  busyUsPerQuery: number;
  /** CPU time of the whole process (every thread: GC helpers, a signing thread) per query. */
  cpuUsPerQuery: number;
  perSecond: number;
}

function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '1000000' },
      queries: { type: 'string', default: '100000' },
      window: { type: 'string', default: '100' },
      'work-dir': { type: 'string', default: 'bench/out/work' },
      out: { type: 'string', default: 'bench/out' },
      kinds: { type: 'string', default: 'positive,nodata,nxdomain' },
      'signing-threads': { type: 'string', default: '0,1' },
    },
  });
  const kinds = values.kinds.split(',');
  if (kinds.length === 0 || kinds.some((k) => !(KINDS as readonly string[]).includes(k))) throw new Error(`--kinds: a list of ${KINDS.join(', ')}`);
  const threads = values['signing-threads'].split(',').map(Number);
  if (threads.length === 0 || threads.some((t) => !Number.isInteger(t) || t < 0 || t > 8)) throw new Error('--signing-threads: a list of 0 … 8');
  const n = Number(values.queries);
  const window = Number(values.window);
  if (!(Number.isInteger(n) && n > 0 && n <= 1_000_000)) throw new Error('--queries: 1 … 1000000');
  if (!(Number.isInteger(window) && window > 0 && window <= 10_000)) throw new Error('--window: 1 … 10000');
  const base = join(values['work-dir'], `fleet-${values.devices}`);
  return run(base, n, window, values.out, kinds as Kind[], threads);
}

const KINDS = ['positive', 'nodata', 'nxdomain'] as const;
type Kind = (typeof KINDS)[number];

async function run(base: string, n: number, window: number, out: string, kindsAsked: Kind[], threadCounts: number[]): Promise<void> {
  const env = benchEnvironment('pipeline');
  const store = openSqliteStore(join(base, 'data'), { readonly: true });
  const files: Record<Kind, string> = { positive: 'queries-positive.txt', nodata: 'queries-nodata.txt', nxdomain: 'queries-nxdomain.txt' };
  const rows: Row[] = [];
  try {
    for (const threads of threadCounts) {
      const pool = threads > 0 ? new SigningPool({ threads, onError: (m) => progress(m) }) : undefined;
      try {
        const clock = (): number => Math.floor(Date.now() / 1000);
        const dnssec = new SigningProvider({ dataDir: join(base, 'data'), reader: store, cache: new SignatureCache({ maxBytes: 8 << 20, clock, admissionWindow: SERVER_ADMISSION_WINDOW }), clock, log: () => {}, pool });
        const cache = new AnswerCache(8 << 20);
        const handler = createQueryHandler({ reader: store, dnssec, cache, probes: new ProbeCache(), nxdomainTemplates: new NxdomainTemplates(), metrics: createQueryMetrics(new Registry(), () => cache.stats), log: () => {} });
        // A signing thread changes only what needs a fresh signature: the denial of a random name.
        const kinds = threads === 0 ? kindsAsked : kindsAsked.filter((k) => k === 'nxdomain');
        for (const kind of kinds) {
          const packets = queryPackets(join(base, files[kind]), n);
          await drive(handler, packets.slice(0, Math.min(5000, n)), window); // warm-up (JIT, page cache)
          progress(`${kind} DO=1, ${threads} signing thread(s): ${n} queries, window ${window}`);
          const r = await drive(handler, packets, window);
          rows.push({ label: `${kind} DO=1${kind === 'nxdomain' ? (threads === 0 ? ', signed inline' : ', signed on 1 thread') : ''}`, queries: n, ...r });
        }
      } finally {
        await pool?.close();
      }
    }
  } finally {
    store.close();
  }
  process.stdout.write(formatTable(`query handler in-process, no socket (answering thread busy time per query; window ${window})`, [
    ['questions', 'busy µs per query', 'CPU µs per query (all threads)', 'answers/s'],
    ...rows.map((r) => [r.label, r.busyUsPerQuery.toFixed(1), r.cpuUsPerQuery.toFixed(1), fmt.int(r.perSecond)]),
  ]));
  progress(`report written to ${writeJsonReport(out, 'pipeline', { env, window, rows })}`);
}

/** DO=1 queries with EDNS (1232 octets), one per line of a dnsperf file ("name TYPE"). */
function queryPackets(file: string, n: number): Buffer[] {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0).slice(0, n);
  if (lines.length < n) throw new Error(`${file} has ${lines.length} queries, fewer than ${n}`);
  return lines.map((line, i) => {
    const [name, type] = line.split(' ');
    return dnsPacket.encode({
      type: 'query',
      id: i & 0xffff,
      flags: 0,
      questions: [{ name: name!.replace(/\.$/, ''), type: type as dnsPacket.RecordType, class: 'IN' }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: dnsPacket.DNSSEC_OK } as dnsPacket.Answer],
    });
  });
}

/** Keeps `window` queries in flight until all are answered; the answering thread's busy time. */
async function drive(handler: ReturnType<typeof createQueryHandler>, packets: Buffer[], window: number): Promise<{ busyUsPerQuery: number; cpuUsPerQuery: number; perSecond: number }> {
  const ctx: QueryContext = { transport: 'udp', remoteAddress: '127.0.0.1', remotePort: 53000 };
  // Busy time counts the moments another process held this core; CPU time does not, which makes it
  // the steadier figure when the machine is shared (it adds GC helper and signing threads).
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  let next = 0;
  let failed = 0;
  await new Promise<void>((resolve) => {
    let inFlight = 0;
    const launch = (): void => {
      while (inFlight < window && next < packets.length) {
        const r = handler(packets[next++]!, ctx);
        inFlight++;
        const settle = (b: Buffer | readonly Buffer[] | null): void => {
          const first = Array.isArray(b) ? (b as readonly Buffer[])[0] : (b as Buffer | null);
          if (first === null || first === undefined || (first[3]! & 0x0f) === 2) failed++;
          inFlight--;
          if (next < packets.length) setImmediate(launch);
          else if (inFlight === 0) resolve();
        };
        if (r instanceof Promise) r.then(settle, () => settle(null));
        else settle(r);
      }
    };
    launch();
  });
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  if (failed > 0) throw new Error(`${failed} of ${packets.length} queries failed (dropped or SERVFAIL)`);
  return { busyUsPerQuery: (elu.active / packets.length) * 1000, cpuUsPerQuery: (cpu.user + cpu.system) / packets.length, perSecond: packets.length / seconds };
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/pipeline: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
