/**
 * Runs dnsperf (Debian package `dnsperf`, DNS-OARC) against the server on loopback and reads its
 * final statistics: queries per second, completed and lost counts, response codes, latency. Every
 * run is bounded by dnsperf's own limits (`-l` seconds and/or `-n` passes over the query file) and by
 * a kill timer here. Query files hold one "name TYPE" per line, as dnsperf expects.
 */
import { spawn } from 'node:child_process';

export interface DnsperfOptions {
  port: number;
  file: string;
  /** -l: run time limit in seconds. */
  seconds?: number;
  /** -n: passes over the query file (dnsperf stops at whichever limit comes first). */
  passes?: number;
  /** -c: simulated clients (sockets). */
  clients?: number;
  /** -T: dnsperf threads. */
  threads?: number;
  /** -q: most queries outstanding. */
  outstanding?: number;
  /** -D: set the DNSSEC OK bit (implies EDNS). Without it, -e: EDNS with DO clear. */
  dnssecOk: boolean;
  /** -t: per-query timeout in seconds. */
  timeoutSeconds?: number;
  /** -Q: most queries per second (a paced client, for latency); unset: as fast as answers come. */
  rate?: number;
}

export interface DnsperfResult {
  command: string;
  qps: number;
  sent: number;
  completed: number;
  lost: number;
  runSeconds: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  rcodes: Record<string, number>;
}

export function dnsperfArgs(o: DnsperfOptions): string[] {
  const args = ['-s', '127.0.0.1', '-p', String(o.port), '-d', o.file, '-c', String(o.clients ?? 4), '-T', String(o.threads ?? 1), '-q', String(o.outstanding ?? 100), '-t', String(o.timeoutSeconds ?? 2)];
  if (o.seconds !== undefined) args.push('-l', String(o.seconds));
  if (o.passes !== undefined) args.push('-n', String(o.passes));
  if (o.rate !== undefined) args.push('-Q', String(o.rate));
  args.push(o.dnssecOk ? '-D' : '-e');
  return args;
}

export async function runDnsperf(o: DnsperfOptions): Promise<DnsperfResult> {
  if (o.seconds === undefined && o.passes === undefined) throw new Error('dnsperf run needs -l or -n: every load loop is bounded');
  const args = dnsperfArgs(o);
  const killAfterMs = ((o.seconds ?? 600) + (o.timeoutSeconds ?? 2) + 30) * 1000;
  const { code, stdout } = await run('dnsperf', args, killAfterMs);
  const parsed = parseDnsperfOutput(stdout);
  if (parsed === undefined) throw new Error(`dnsperf exited ${code} without statistics:\n${stdout.slice(-2000)}`);
  return { command: `dnsperf ${args.join(' ')}`, ...parsed };
}

/** Reads the "Statistics:" block dnsperf prints at the end of a run. */
export function parseDnsperfOutput(text: string): Omit<DnsperfResult, 'command'> | undefined {
  const num = (re: RegExp): number | undefined => {
    const m = re.exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const qps = num(/Queries per second:\s+([\d.]+)/);
  const sent = num(/Queries sent:\s+(\d+)/);
  const completed = num(/Queries completed:\s+(\d+)/);
  const lost = num(/Queries lost:\s+(\d+)/);
  const runSeconds = num(/Run time \(s\):\s+([\d.]+)/);
  const latency = num(/Average Latency \(s\):\s+([\d.]+)/);
  const maxLatency = num(/Average Latency \(s\):.*max ([\d.]+)\)/);
  if (qps === undefined || sent === undefined || completed === undefined || lost === undefined || runSeconds === undefined) return undefined;
  const rcodes: Record<string, number> = {};
  const line = /Response codes:\s*(.*)/.exec(text)?.[1] ?? '';
  for (const m of line.matchAll(/([A-Z]+) (\d+) \(/g)) rcodes[m[1]!] = Number(m[2]);
  return { qps, sent, completed, lost, runSeconds, avgLatencyMs: (latency ?? 0) * 1000, maxLatencyMs: (maxLatency ?? 0) * 1000, rcodes };
}

function run(cmd: string, args: string[], killAfterMs: number): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // Keep only the tail: a run with many timeouts prints one line per lost query.
    let out = '';
    const keep = (b: Buffer): void => {
      out = (out + b.toString('utf8')).slice(-64_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', () => undefined);
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject((err as NodeJS.ErrnoException).code === 'ENOENT' ? new Error('dnsperf is not installed (apt-get install dnsperf)') : err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: out });
    });
  });
}
