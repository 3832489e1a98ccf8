/**
 * Output of the benchmark scripts: an aligned plain-text table on stdout (what a person reads) and a
 * JSON file under the output directory (what a later run or a chart reads), both stamped with the
 * date, the machine and the exact command line, so every figure can be reproduced.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchEnvironment {
  date: string;
  command: string;
  node: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  /** 1, 5 and 15 minute load averages when the script started (other work on the machine). */
  loadAverage: number[];
}

export function benchEnvironment(script: string): BenchEnvironment {
  const list = cpus();
  return {
    date: new Date().toISOString(),
    command: [`node dist/bench/${script}.js`, ...process.argv.slice(2)].join(' '),
    node: process.version,
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** A titled table; the first row is the header. */
export function formatTable(title: string, rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (row: string[]): string => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const [head, ...body] = rows;
  const rule = '-'.repeat(widths.reduce((a, w) => a + w + 2, -2));
  return [`\n${title}`, rule, head ? line(head) : '', rule, ...body.map(line), rule].join('\n') + '\n';
}

export function writeJsonReport(outDir: string, name: string, report: unknown): string {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${name}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  return file;
}

export const fmt = {
  int: (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : Math.round(n).toLocaleString('en-US')),
  ms: (n: number | undefined): string => (n === undefined ? '-' : `${n.toFixed(n < 10 ? 2 : 0)} ms`),
  s: (n: number | undefined): string => (n === undefined ? '-' : `${n.toFixed(2)} s`),
  mb: (kb: number | undefined): string => (kb === undefined ? '-' : `${(kb / 1024).toFixed(1)} MB`),
  pct: (x: number | undefined): string => (x === undefined ? '-' : `${(x * 100).toFixed(0)} %`),
  verdict: (ok: boolean | undefined): string => (ok === undefined ? '-' : ok ? 'met' : 'MISSED'),
};

/** Median and high percentiles of a sample (nearest rank). */
export function percentiles(values: number[]): { n: number; min: number; median: number; p90: number; p99: number; max: number } | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  return { n: s.length, min: s[0]!, median: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1]! };
}

/** `console.error` with a time stamp: progress goes to stderr, tables to stdout. */
export function progress(msg: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}
