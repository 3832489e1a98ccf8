/**
 * Issue 4's judged flow, as a new user would run it with curl: create a zone over HTTP, PUT a
 * device by PEM certificate, see it with kdig and validated by delv, DELETE it, and get a validated
 * NXDOMAIN — each query sent right after the 2xx, no sleeping. Runs in single-process mode and
 * with two DNS worker processes (the writer waits for every worker before answering).
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { delv, runTool, startTestServer, writeTrustAnchor, type TestServer } from '../helpers/server-fixture.js';

const ZONE = '_device.corp.example.';

function selfSignedPem(dir: string): string {
  const key = join(dir, 'k.pem');
  const crt = join(dir, 'c.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', crt, '-days', '30', '-subj', '/CN=lab7._device.corp.example'], { stdio: 'ignore' });
  return execFileSync('cat', [crt], { encoding: 'utf8' });
}

async function api(t: TestServer, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const init: RequestInit = { method, headers: { Authorization: `Bearer ${t.adminToken}`, 'Content-Type': 'application/json' } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${t.apiUrl}${path}`, init);
  const text = await res.text();
  return { status: res.status, json: text.length > 0 ? JSON.parse(text) : undefined };
}

// The last variant reads the shards through a memory map (--mmap-mb) in the primary and in both
// workers: a write must still be visible to the next query in every process.
for (const [workers, mmapMb] of [[1, 0], [2, 0], [2, 64]] as const) {
  const label = `${workers} DNS process${workers > 1 ? 'es' : ''}${mmapMb > 0 ? `, shards memory-mapped (${mmapMb} MiB)` : ''}`;
  describe(`read-after-write over the API (${label})`, function () {
    this.timeout(60_000);
    let t: TestServer;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'idzone-raw-'));
      t = await startTestServer({ workers, mmapBytes: mmapMb * 1024 * 1024 });
    });
    after(async () => {
      await t?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('creates a zone, publishes a device by certificate, revokes it, each visible at once and validated', async () => {
      const created = await api(t, 'POST', '/api/v1/zones', { name: ZONE });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      const anchor = await writeTrustAnchor(t, ZONE, join(dir, 'anchor.conf'));

      const pem = selfSignedPem(dir);
      const put = await api(t, 'PUT', `/api/v1/zones/${ZONE}/names/lab7`, { ttl: 60, tlsa: [{ certificate: pem }] });
      assert.equal(put.status, 201, JSON.stringify(put.json));
      const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
      const digest = createHash('sha256').update(spki).digest('hex').toUpperCase();
      const kdig = await runTool('kdig', ['@127.0.0.1', '-p', String(t.dnsPort), `lab7.${ZONE}`, 'TLSA', '+short']);
      assert.match(kdig.replace(/\s+/g, ''), new RegExp(`^311${digest}$`));
      const valid = await delv(t, ZONE, anchor, `lab7.${ZONE}`, 'TLSA');
      assert.match(valid, /; fully validated/, valid);

      const del = await api(t, 'DELETE', `/api/v1/zones/${ZONE}/names/lab7`);
      assert.equal(del.status, 204);
      const gone = await delv(t, ZONE, anchor, `lab7.${ZONE}`, 'TLSA');
      assert.match(gone, /ncache nxdomain/, gone);
      assert.match(gone, /negative response, fully validated/, gone);
    });

    it('answers every worker with the new serial right after each write', async () => {
      for (let i = 0; i < 20; i++) {
        const put = await api(t, 'PUT', `/api/v1/zones/${ZONE}/names/churn${i}`, { sshfp: [{ algorithm: 4, type: 2, fingerprint: 'ab'.repeat(32) }] });
        assert.equal(put.status, 201);
        const serial = (put.json as { serial: number }).serial;
        // Several queries: with two workers they land on both.
        for (let q = 0; q < 4; q++) {
          const soa = await runTool('kdig', ['@127.0.0.1', '-p', String(t.dnsPort), ZONE, 'SOA', '+short']);
          assert.equal(Number(soa.trim().split(/\s+/)[2]), serial, soa);
          const ans = await runTool('kdig', ['@127.0.0.1', '-p', String(t.dnsPort), `churn${i}.${ZONE}`, 'SSHFP', '+short']);
          assert.match(ans, /^4 2 AB/i);
        }
      }
    });

    it('concurrent writers (group commit): each one sees its own write in DNS right after its 2xx', async () => {
      const client = async (c: number): Promise<void> => {
        for (let k = 0; k < 3; k++) {
          const name = `conc${c}-${k}`;
          const fp = (c * 16 + k + 1).toString(16).padStart(2, '0').repeat(32);
          const put = await api(t, 'PUT', `/api/v1/zones/${ZONE}/names/${name}`, { sshfp: [{ algorithm: 4, type: 2, fingerprint: fp }] });
          assert.equal(put.status, 201, JSON.stringify(put.json));
          const ans = await runTool('kdig', ['@127.0.0.1', '-p', String(t.dnsPort), `${name}.${ZONE}`, 'SSHFP', '+short']);
          assert.equal(ans.replace(/\s+/g, '').toLowerCase(), `42${fp}`);
          const del = await api(t, 'DELETE', `/api/v1/zones/${ZONE}/names/${name}`);
          assert.equal(del.status, 204);
          const gone = await runTool('kdig', ['@127.0.0.1', '-p', String(t.dnsPort), `${name}.${ZONE}`, 'SSHFP']);
          assert.match(gone, /status: NXDOMAIN/, gone);
        }
      };
      await Promise.all(Array.from({ length: 8 }, (_, c) => client(c)));
    });

    it('a wildcard and an encloser added or removed change the next denial at once (remembered probes are dropped)', async () => {
      const anchor = await writeTrustAnchor(t, ZONE, join(dir, 'anchor2.conf'));
      const q = (name: string): Promise<string> => runTool('kdig', ['@127.0.0.1', '-p', String(t.dnsPort), '+dnssec', `${name}.${ZONE}`, 'TLSA']);
      // Warm the probes: random names under the apex and under `site9` (absent) repeat them.
      for (let i = 0; i < 3; i++) assert.match(await q(`warm${i}.site9`), /status: NXDOMAIN/);
      const wild = await api(t, 'PUT', `/api/v1/zones/${ZONE}/names/*.site9`, { tlsa: [{ usage: 2, selector: 0, matchingType: 1, data: 'cd'.repeat(32) }] });
      assert.equal(wild.status, 201, JSON.stringify(wild.json));
      const expanded = await q('fresh1.site9');
      assert.match(expanded, /status: NOERROR/, expanded);
      assert.match(expanded, /TLSA\s+2 0 1 CDCD/i, expanded);
      assert.match(await delv(t, ZONE, anchor, `fresh2.site9.${ZONE}`, 'TLSA'), /; fully validated/);
      const gone = await api(t, 'DELETE', `/api/v1/zones/${ZONE}/names/*.site9`);
      assert.equal(gone.status, 204);
      assert.match(await q('fresh3.site9'), /status: NXDOMAIN/);
      const nx = await delv(t, ZONE, anchor, `fresh4.site9.${ZONE}`, 'TLSA');
      assert.match(nx, /negative response, fully validated/, nx);
    });
  });
}
