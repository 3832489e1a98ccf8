/**
 * The idzone server as a benchmark sees it: a child process (`node bin/idzone.js serve ...`) on
 * loopback ports picked here, so its start can be timed from the spawn and its memory read from
 * /proc/<pid>/status (VmRSS) for the primary and every DNS worker it forked. Also runs one-shot CLI
 * commands (`zone create`, `import`, `token create`) and times them. No DNS logic here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** bin/idzone.js of this repository (this file runs from dist/bench/). */
export const IDZONE_BIN = fileURLToPath(new URL('../../bin/idzone.js', import.meta.url));
/** The repository root, the working directory of every child. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ServerOptions {
  dataDir: string;
  dnsPort: number;
  apiPort: number;
  workers: number;
  extraArgs?: string[];
}

export interface ServerProcess {
  pid: number;
  /** performance.now() just before spawn(). */
  spawnedAt: number;
  /** Everything the child wrote so far (stdout and stderr), for error reports. */
  output(): string;
  /** True once the child has exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (or signal name). */
  stop(graceMs?: number): Promise<string>;
}

/** A loopback port free for both UDP and TCP at the time of asking (a small race is acceptable here). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await tcpPortZero();
    if (await udpPortFree(port)) return port;
  }
  throw new Error('no free loopback port found for both UDP and TCP in 20 attempts');
}

function tcpPortZero(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export function spawnServer(o: ServerOptions): ServerProcess {
  const args = [IDZONE_BIN, 'serve', '--data-dir', o.dataDir, '--dns', `127.0.0.1:${o.dnsPort}`, '--api', `127.0.0.1:${o.apiPort}`, '--workers', String(o.workers), ...(o.extraArgs ?? [])];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error('could not spawn idzone serve');
  const out = collectOutput(child);
  let exitCode: string | undefined;
  const exited = new Promise<string>((resolve) => child.once('exit', (code, sig) => resolve((exitCode = String(code ?? sig)))));
  return {
    pid: child.pid,
    spawnedAt,
    output: out,
    exited: () => exitCode !== undefined,
    stop: (graceMs = 10_000) => stopChild(child, exited, graceMs),
  };
}

function collectOutput(child: ChildProcess): () => string {
  const chunks: string[] = [];
  let size = 0;
  const keep = (b: Buffer): void => {
    // Bounded: a chatty server must not grow the benchmark's own memory.
    if (size < 1_000_000) chunks.push(b.toString('utf8'));
    size += b.length;
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => chunks.join('');
}

async function stopChild(child: ChildProcess, exited: Promise<string>, graceMs: number): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

export interface ProcessRss {
  pid: number;
  rssKb: number;
}

/** VmRSS of a process and of all its descendants (the DNS workers), from /proc. */
export function processTreeRss(rootPid: number): { totalKb: number; processes: ProcessRss[] } {
  const pids = [rootPid, ...descendantsOf(rootPid)];
  const processes = pids.map((pid) => ({ pid, rssKb: readRssKb(pid) })).filter((p) => p.rssKb > 0);
  return { totalKb: processes.reduce((a, p) => a + p.rssKb, 0), processes };
}

function readRssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function descendantsOf(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/<pid>/stat is the parent; the command name (field 2) may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // The process ended while we looked.
    }
  }
  const out: number[] = [];
  let frontier = [root];
  for (let depth = 0; depth < 4 && frontier.length > 0; depth++) {
    const next = [...parentOf].filter(([, ppid]) => frontier.includes(ppid)).map(([pid]) => pid);
    out.push(...next);
    frontier = next;
  }
  return out;
}

/**
 * CPU time (user + system, seconds) used so far by a process and its descendants, from
 * /proc/<pid>/stat fields 14 and 15 (clock ticks of 1/100 s on Linux). On a shared machine the
 * work done per CPU-second is steadier than the work done per wall-clock second.
 */
export function processTreeCpuSeconds(rootPid: number): number {
  let ticks = 0;
  for (const pid of [rootPid, ...descendantsOf(rootPid)]) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After the command name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended while we looked.
    }
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

const CLOCK_TICKS_PER_SECOND = 100;

export interface IdleWait {
  idle: boolean;
  seconds: number;
  /** CPU seconds the server tree used while we waited (background work such as a re-signing pass). */
  cpuSeconds: number;
}

/** Consecutive quiet one-second windows that count as idle. */
const IDLE_WINDOWS = 3;

/**
 * Waits until the server tree uses less than `threshold` of one core in each of IDLE_WINDOWS
 * consecutive one-second windows (no queries are sent meanwhile), for at most `maxSeconds`.
 * Background passes after start-up (the re-signing scan) would otherwise be measured as query
 * cost. One quiet window was not enough: the scan sleeps between pages to stay within a quarter of
 * a core, and a single window between two pages passed for idle while a million-name scan had a
 * minute left to run (NXDOMAIN DO=1 then measured at a third of its rate).
 */
export async function waitForIdle(pid: number, maxSeconds: number, threshold = 0.1): Promise<IdleWait> {
  const t0 = performance.now();
  const cpu0 = processTreeCpuSeconds(pid);
  let last = cpu0;
  let quiet = 0;
  while ((performance.now() - t0) / 1000 < maxSeconds) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = processTreeCpuSeconds(pid);
    const used = now - last;
    last = now;
    quiet = used < threshold ? quiet + 1 : 0;
    if (quiet >= IDLE_WINDOWS) return { idle: true, seconds: (performance.now() - t0) / 1000, cpuSeconds: now - cpu0 };
  }
  return { idle: false, seconds: (performance.now() - t0) / 1000, cpuSeconds: last - cpu0 };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs `idzone <args>` to completion (bounded by `timeoutMs`), timing it from spawn to exit. */
export function runIdzone(args: string[], timeoutMs = 3_600_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [IDZONE_BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout = (stdout + b.toString('utf8')).slice(-200_000)));
    child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString('utf8')).slice(-200_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** Like runIdzone, but a non-zero exit is an error carrying the command's output. */
export async function runIdzoneOk(args: string[], timeoutMs?: number): Promise<CliRun> {
  const r = await runIdzone(args, timeoutMs);
  if (r.code !== 0) throw new Error(`idzone ${args.join(' ')} exited ${r.code}\n${r.stdout}${r.stderr}`);
  return r;
}
