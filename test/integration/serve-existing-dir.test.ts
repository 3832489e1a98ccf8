/**
 * `idzone serve` on a data directory it did not create (here one made by `idzone zone create`,
 * which makes no API token): the server makes the admin token a new directory would get, says so,
 * and the token works. When admin tokens exist but the file is gone, it makes none and says how to.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { looseSecrets } from '../../cli/data-dir-init.js';
import { runCli } from '../../cli/idzone.js';

const BIN = join(process.cwd(), 'bin', 'idzone.js');
const ZONE = '_device.made-offline.example.';

/** Starts `idzone serve`, returns its banner and API port once printed, then stops it. */
async function serveOnce(dataDir: string, check: (banner: string, apiPort: number) => Promise<void>): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--dns', '127.0.0.1:0', '--api', '127.0.0.1:0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const banner = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), 20_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/\n {2}(try|no zones)/.test(out)) {
          clearTimeout(timer);
          resolve(out);
        }
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });
    await check(banner, Number(/API\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(banner)![1]));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
  }
}

describe('idzone serve on a data directory made by idzone zone create', function () {
  this.timeout(60_000);
  let dir: string;
  let dataDir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'idzone-existing-'));
    dataDir = join(dir, 'data');
    const quiet = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      assert.equal(await runCli(['zone', 'create', '--data-dir', dataDir, ZONE]), 0);
    } finally {
      process.stdout.write = quiet;
    }
    assert.ok(!existsSync(join(dataDir, 'admin.token')));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('makes the missing admin token (0600), says so, and the token opens the API', async () => {
    await serveOnce(dataDir, async (banner, apiPort) => {
      const file = join(dataDir, 'admin.token');
      assert.match(banner, new RegExp(`admin token: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(new; mode 0600\\)`));
      assert.match(banner, new RegExp(`try: kdig @127\\.0\\.0\\.1 -p \\d+ ${ZONE.replace(/\./g, '\\.')} SOA \\+dnssec`));
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const token = readFileSync(file, 'utf8').trim();
      const r = await fetch(`http://127.0.0.1:${apiPort}/api/v1/zones`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 200);
      assert.ok(((await r.json()) as { zones: { name: string }[] }).zones.some((z) => z.name === ZONE));
    });
  });

  it('on the next start keeps that token; with the file deleted makes no new one and says how to', async () => {
    const file = join(dataDir, 'admin.token');
    const before = readFileSync(file, 'utf8');
    await serveOnce(dataDir, async (banner) => {
      assert.match(banner, /admin token: .*admin\.token\n/);
      assert.equal(readFileSync(file, 'utf8'), before);
    });
    unlinkSync(file);
    await serveOnce(dataDir, async (banner) => {
      assert.match(banner, /admin token: none in .*admin\.token \(admin tokens exist, stored hashed; a new one: idzone token create --data-dir .* --zone '\*' --write --admin\)/);
      assert.ok(!existsSync(file));
    });
  });

  it('an empty admin.token (a write cut short by a full disk) is not presented as the admin token', async () => {
    const file = join(dataDir, 'admin.token');
    writeFileSync(file, '');
    await serveOnce(dataDir, async (banner) => {
      assert.match(banner, /admin token: none in .*admin\.token \(admin tokens exist/);
      assert.ok(!existsSync(file));
    });
  });

  it('names secrets other users may read (a key file 0644, a key directory 0755), which serve logs as warnings', () => {
    assert.deepEqual(looseSecrets(dataDir), []);
    const zoneDir = join(dataDir, 'keys', readdirSync(join(dataDir, 'keys'))[0]!);
    const pem = join(zoneDir, readdirSync(zoneDir).find((f) => f.endsWith('.pem'))!);
    chmodSync(pem, 0o644);
    chmodSync(zoneDir, 0o755);
    try {
      assert.deepEqual(looseSecrets(dataDir).sort(), [`${pem} (mode 0644, expected 0600)`, `${zoneDir} (mode 0755, expected 0700)`].sort());
    } finally {
      chmodSync(pem, 0o600);
      chmodSync(zoneDir, 0o700);
    }
    assert.deepEqual(looseSecrets(dataDir), []);
  });
});
