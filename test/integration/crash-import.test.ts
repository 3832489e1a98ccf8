/**
 * A process killed mid-import leaves the store consistent (issues 2 and 4): whole batches only,
 * empty non-terminal counts right, the serial and the name count agreeing with what is stored,
 * and the server answering after a restart. The server runs as a real child process (`idzone
 * serve`) and is killed with SIGKILL while an NDJSON import streams through the HTTP API; the CLI
 * importer is killed the same way.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../zone-store/sqlite-zone-store.js';
import { DEFAULT_API_CONFIG } from '../../api/api-config.js';
import { delv, runTool, writeTrustAnchor, type TestServer } from '../helpers/server-fixture.js';

const BIN = join(process.cwd(), 'bin', 'idzone.js');
const ZONE = '_device.example.net.';

function line(i: number): string {
  const hex = i.toString(16).padStart(64, '0');
  // Two labels deep, so every batch also moves empty non-terminal counts.
  return JSON.stringify({ name: `d${i}.g${i % 97}`, ttl: 60, tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: hex }] });
}

function waitForLine(child: ChildProcess, pattern: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${ms} ms; output: ${out}`)), ms);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before ready: ${out}`)));
  });
}

function startServe(dataDir: string): ChildProcess {
  return spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--dns', '127.0.0.1:0', '--api', '127.0.0.1:0', '--log-level', 'error'], { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function ready(child: ChildProcess): Promise<{ dnsPort: number; apiPort: number }> {
  const text = await waitForLine(child, /udp\+tcp 127\.0\.0\.1:(\d+)[\s\S]*http:\/\/127\.0\.0\.1:(\d+)/, 20_000);
  const m = /udp\+tcp 127\.0\.0\.1:(\d+)[\s\S]*http:\/\/127\.0\.0\.1:(\d+)/.exec(text)!;
  return { dnsPort: Number(m[1]), apiPort: Number(m[2]) };
}

/** Checks that the stored zone is internally consistent and holds whole batches only. */
function checkConsistent(dataDir: string, batch: number, base: number): number {
  const store = openSqliteStore(dataDir, { create: false });
  try {
    const zone = store.getZone(ZONE)!;
    const names = new Set<string>();
    let after: string | undefined;
    for (;;) {
      const page = store.listNames(zone, after, 1000);
      if (page.length === 0) break;
      for (const n of page) names.add(n.owner);
      after = page[page.length - 1]!.owner;
    }
    assert.equal(store.countNames(zone), names.size, 'name counter agrees with the stored names');
    const imported = names.size - base;
    assert.equal(imported % batch, 0, `only whole batches: ${imported} imported names with batches of ${batch}`);
    // Every group ENT counts exactly the imported names below it.
    const expect = new Map<string, number>();
    for (const n of names) {
      const m = /^d\d+\.(g\d+)\./.exec(n);
      if (m) expect.set(m[1]!, (expect.get(m[1]!) ?? 0) + 1);
    }
    for (const [g, count] of expect) assert.equal(store.getNode(zone, `${g}.${ZONE}`)?.descendants, count, `ENT ${g} counts its names`);
    return imported;
  } finally {
    store.close();
  }
}

describe('a process killed mid-import leaves the store consistent', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idzone-crash-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('server killed with SIGKILL during an HTTP NDJSON import, then restarted', async () => {
    const dataDir = join(dir, 'data');
    const first = startServe(dataDir);
    const { apiPort } = await ready(first);
    const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
    const base = 6; // demo zone names
    let sent = 0;
    let seenBeforeKill = 0;
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: apiPort, method: 'POST', path: `/api/v1/zones/${ZONE}/import`, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-ndjson' } });
      req.on('error', () => resolve());
      const pump = (): void => {
        while (sent < 400_000) {
          const chunk = Array.from({ length: 1000 }, (_, k) => line(sent + k)).join('\n') + '\n';
          sent += 1000;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      // Kill once several batches have committed (the API counts them while the import
      // streams), so committed batches must survive, and the store is most likely mid-write.
      const poll = setInterval(() => {
        fetch(`http://127.0.0.1:${apiPort}/api/v1/zones/${ZONE}`, { headers: { Authorization: `Bearer ${token}` } })
          .then(async (r) => {
            const names = ((await r.json()) as { names: number }).names;
            if (names - base >= 20_000 && seenBeforeKill === 0) {
              seenBeforeKill = names - base;
              first.kill('SIGKILL');
            }
          })
          .catch(() => undefined);
      }, 10);
      first.once('exit', () => {
        clearInterval(poll);
        resolve();
      });
      req.once('close', () => {
        // The request ended without the kill (an early failure): stop polling, stop the server.
        if (first.exitCode === null && first.signalCode === null) {
          clearInterval(poll);
          first.kill('SIGKILL');
        }
      });
      pump();
    });
    assert.ok(seenBeforeKill >= 20_000, `the server was killed after ${seenBeforeKill} names had committed`);
    await new Promise((r) => setTimeout(r, 100));
    const second = startServe(dataDir);
    try {
      const { dnsPort } = await ready(second);
      const imported = checkConsistentLive(dataDir);
      const soa = await runTool('kdig', ['@127.0.0.1', '-p', String(dnsPort), 'sensor1._device.example.net', 'TLSA', '+short']);
      assert.match(soa, /^3 1 1 /);
      assert.ok(imported >= seenBeforeKill + base, `the ${seenBeforeKill} names committed before the kill are still there (${imported - base})`);
      // Imported names are stored unsigned and signed in the background; answers are signed
      // either way: a name of the first batch validates.
      const t = { dnsPort } as TestServer;
      const anchor = await writeTrustAnchor(t, ZONE, join(dir, 'anchor.conf'));
      const out = await delv(t, ZONE, anchor, `d0.g0.${ZONE}`, 'TLSA');
      assert.match(out, /^; fully validated$/m, out);
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
    const imported = checkConsistent(dataDir, DEFAULT_API_CONFIG.importBatchSize, base);
    assert.ok(imported >= seenBeforeKill, `committed batches survive (${imported} ≥ ${seenBeforeKill})`);
    assert.ok(imported < 400_000, `the kill interrupted the import (${imported} of ${sent} sent)`);
  });

  it('CLI importer killed with SIGKILL, then re-run to completion', async () => {
    const dataDir = join(dir, 'data');
    const file = join(dir, 'fleet.ndjson');
    writeFileSync(file, Array.from({ length: 60_000 }, (_, i) => line(i)).join('\n') + '\n');
    const init = spawn(process.execPath, [BIN, 'zone', 'create', '--data-dir', dataDir, ZONE], { stdio: 'ignore' });
    assert.equal(await new Promise((r) => init.once('exit', r)), 0);
    const imp = spawn(process.execPath, [BIN, 'import', '--data-dir', dataDir, '--zone', ZONE, '--batch-size', '5000', file], { stdio: 'ignore' });
    setTimeout(() => imp.kill('SIGKILL'), 1200);
    await new Promise((r) => imp.once('exit', r));
    const partial = checkConsistent(dataDir, 5000, 0);
    const again = spawn(process.execPath, [BIN, 'import', '--data-dir', dataDir, '--zone', ZONE, '--batch-size', '5000', file], { stdio: 'ignore' });
    assert.equal(await new Promise((r) => again.once('exit', r)), 0, 'the re-run (stale lock taken over, recovery done) succeeds');
    assert.equal(checkConsistent(dataDir, 5000, 0), 60_000);
    assert.ok(partial <= 60_000);
  });
});

/** While the server runs, a read-only handle sees a consistent committed state too. */
function checkConsistentLive(dataDir: string): number {
  const store = openSqliteStore(dataDir, { readonly: true });
  try {
    const zone = store.getZone(ZONE)!;
    return store.countNames(zone);
  } finally {
    store.close();
  }
}
