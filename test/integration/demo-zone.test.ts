/**
 * What a new user sees after `npm install && npm start`, probed the way issues 2 and 3 judge it:
 * `idzone serve` on a data directory that does not exist yet (a real child process), then kdig
 * and delv against the demo zone it created. A demo device answers with AA; type A there is
 * NODATA with the SOA; a random device name is NXDOMAIN; another zone is REFUSED; the site
 * wildcard expands; and delv, with the zone's KSK as trust anchor, calls each answer validated.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from '../helpers/server-fixture.js';

const BIN = join(process.cwd(), 'bin', 'idzone.js');
const ZONE = '_device.example.net';

describe('the demo zone that npm start creates', function () {
  this.timeout(60_000);
  let dir: string;
  let child: ChildProcess;
  let port = 0;
  let banner = '';
  let anchor = '';
  const kdig = (...args: string[]): Promise<string> => runTool('kdig', ['@127.0.0.1', '-p', String(port), ...args]);
  const delv = (qname: string, qtype: string): Promise<string> => runTool('delv', ['@127.0.0.1', '-p', String(port), '-a', anchor, `+root=${ZONE}`, qname, qtype]);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'idzone-demo-'));
    child = spawn(process.execPath, [BIN, 'serve', '--data-dir', join(dir, 'data'), '--dns', '127.0.0.1:0', '--api', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    banner = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), 20_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/try: kdig/.test(out)) {
          clearTimeout(timer);
          resolve(out);
        }
      });
    });
    port = Number(/udp\+tcp 127\.0\.0\.1:(\d+)/.exec(banner)![1]);
    const keys = (await kdig(ZONE, 'DNSKEY', '+short')).split('\n').filter((l) => l.startsWith('257 '));
    const lines = keys.map((l) => {
      const [f, p, a, ...k] = l.trim().split(/\s+/);
      return `  "${ZONE}." static-key ${f} ${p} ${a} "${k.join('')}";`;
    });
    anchor = join(dir, 'anchor.conf');
    writeFileSync(anchor, `trust-anchors {\n${lines.join('\n')}\n};\n`);
  });
  after(async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the DNS and API addresses, the admin token path and a kdig line; the token file is 0600', () => {
    assert.match(banner, /DNS\s+udp\+tcp 127\.0\.0\.1:\d+/);
    assert.match(banner, /API\s+http:\/\/127\.0\.0\.1:\d+\/api\/v1/);
    assert.match(banner, /admin token: .*admin\.token/);
    assert.match(banner, /try: kdig @127\.0\.0\.1 -p \d+ sensor1\._device\.example\.net TLSA/);
    const token = join(dir, 'data', 'admin.token');
    assert.ok(existsSync(token));
    assert.equal(statSync(token).mode & 0o777, 0o600);
  });

  it('a demo device answers TLSA with AA', async () => {
    const out = await kdig(`sensor1.${ZONE}`, 'TLSA');
    assert.match(out, /status: NOERROR/);
    assert.match(out, /Flags: qr aa/);
    assert.match(out, /IN\s+TLSA\s+3 1 1 /);
  });

  it('type A at that device is NODATA with the SOA (TTL 60)', async () => {
    const out = await kdig(`sensor1.${ZONE}`, 'A');
    assert.match(out, /status: NOERROR/);
    assert.match(out, /ANSWER: 0/);
    assert.match(out, /_device\.example\.net\.\s+60\s+IN\s+SOA/);
  });

  for (const random of ['random-7f3a9', 'qz1.qz2', 'x.sensor1', 'nope.gw1.site7']) {
    it(`a random name (${random}.${ZONE}) is NXDOMAIN, validated`, async () => {
      const out = await kdig(`${random}.${ZONE}`, 'TLSA');
      assert.match(out, /status: NXDOMAIN/);
      assert.match(out, /Flags: qr aa/);
      assert.match(await delv(`${random}.${ZONE}`, 'TLSA'), /negative response, fully validated/);
    });
  }

  it('a name in example.org is REFUSED', async () => {
    assert.match(await kdig('www.example.org', 'A'), /status: REFUSED/);
  });

  it('the site wildcard expands, validated; the ENT site7 is NODATA, validated', async () => {
    const wild = await kdig(`cam42.site7.${ZONE}`, 'TLSA', '+dnssec');
    assert.match(wild, /cam42\.site7\._device\.example\.net\.\s+60\s+IN\s+TLSA\s+2 0 1 /);
    assert.match(await delv(`cam42.site7.${ZONE}`, 'TLSA'), /; fully validated/);
    assert.match(await delv(`site7.${ZONE}`, 'TLSA'), /negative response, fully validated/);
  });

  it('TLSA, SSHFP, NODATA and the DNSKEY set are fully validated by delv', async () => {
    assert.match(await delv(`sensor1.${ZONE}`, 'TLSA'), /; fully validated/);
    assert.match(await delv(`camera7.${ZONE}`, 'SSHFP'), /; fully validated/);
    assert.match(await delv(`sensor1.${ZONE}`, 'A'), /negative response, fully validated/);
    assert.match(await delv(ZONE, 'DNSKEY'), /; fully validated/);
  });
});
