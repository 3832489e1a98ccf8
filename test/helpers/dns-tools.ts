/**
 * Asynchronous wrappers around the Debian DNS tools (kdig, dig, delv) for tests that run the
 * server in the test's own process: a synchronous child (execFileSync) would block the event loop
 * the in-process server answers on. These spawn the tool and let the loop run while it waits.
 * Each call has a deadline. server-fixture.ts re-exports them as runTool, writeTrustAnchor, delv.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import type { TestServer } from './server-fixture.js';

/** Runs a tool and resolves with stdout+stderr whatever its exit status (delv/kdig exit non-zero on negative answers). */
export function runToolAsync(tool: string, args: string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { killed?: boolean }) | null;
      if (e?.code === 'ENOENT') return reject(new Error(`${tool} is not installed: apt-get install knot-dnsutils bind9-dnsutils`));
      if (e?.killed === true) return reject(new Error(`${tool} ${args.join(' ')}: no result within ${timeoutMs} ms`));
      resolve(`${stdout}${stderr}`);
    });
  });
}

/** kdig against the test server. */
export function kdig(t: TestServer, args: string[]): Promise<string> {
  return runToolAsync('kdig', ['@127.0.0.1', '-p', String(t.dnsPort), '+retry=0', '+time=3', ...args]);
}

/** dig against the test server. */
export function dig(t: TestServer, args: string[]): Promise<string> {
  return runToolAsync('dig', ['@127.0.0.1', '-p', String(t.dnsPort), '+tries=1', '+time=3', ...args]);
}

/** kdig +json (RFC 8427 output of Knot 3.2) parsed. */
export async function kdigJson(t: TestServer, args: string[]): Promise<Rfc8427Message> {
  const out = await kdig(t, ['+json', ...args]);
  const start = out.indexOf('{');
  const end = out.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error(`kdig printed no JSON: ${out}`);
  return JSON.parse(out.slice(start, end + 1)) as Rfc8427Message;
}

/** The fields of RFC 8427 §2 that kdig prints and tests read. */
export interface Rfc8427Message {
  ID?: number;
  QR?: number;
  Opcode?: number;
  AA?: number;
  TC?: number;
  RCODE?: number;
  QDCOUNT?: number;
  ANCOUNT?: number;
  NSCOUNT?: number;
  ARCOUNT?: number;
  questionRRs?: Rfc8427Rr[];
  answerRRs?: Rfc8427Rr[];
  authorityRRs?: Rfc8427Rr[];
  additionalRRs?: Rfc8427Rr[];
  [k: string]: unknown;
}

export interface Rfc8427Rr {
  NAME: string;
  TYPE: number;
  TYPEname?: string;
  CLASS?: number;
  TTL?: number;
  rdataTLSA?: string;
  [k: string]: unknown;
}

/** The zone's KSKs (flags 257), fetched with kdig over TCP, as a delv trust-anchors file. */
export async function writeTrustAnchorAsync(t: TestServer, zone: string, file: string): Promise<string> {
  const out = await kdig(t, ['+tcp', zone, 'DNSKEY', '+short']);
  const anchors = out
    .split('\n')
    .filter((l) => l.startsWith('257 '))
    .map((l) => {
      const [flags, proto, alg, ...key] = l.trim().split(/\s+/);
      return `  "${zone}" static-key ${flags} ${proto} ${alg} "${key.join('')}";`;
    });
  if (anchors.length === 0) throw new Error(`no KSK in the DNSKEY answer for ${zone}: ${out}`);
  await writeFile(file, `trust-anchors {\n${anchors.join('\n')}\n};\n`);
  return file;
}

/** delv against the test server with only the zone's KSK as trust anchor (no root, no DLV). */
export function delvAsync(t: TestServer, zone: string, anchorFile: string, qname: string, qtype: string): Promise<string> {
  return runToolAsync('delv', ['@127.0.0.1', '-p', String(t.dnsPort), '-a', anchorFile, `+root=${zone}`, '+nortrace', qname, qtype], 15_000);
}
