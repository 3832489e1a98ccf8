/**
 * A zone's private keys live and die with it: created 0600 in a 0700 directory when the zone is
 * created over the API, never shown by the API, and removed from disk when the zone is deleted.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delv, runTool, startTestServer, writeTrustAnchor, type TestServer } from '../helpers/server-fixture.js';

describe('zone key files over the zone lifecycle', function () {
  this.timeout(30_000);
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => t?.stop());

  const call = (method: string, path: string, body?: unknown): Promise<Response> => {
    const init: RequestInit = { method, headers: { Authorization: `Bearer ${t.adminToken}`, 'Content-Type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    return fetch(`${t.apiUrl}${path}`, init);
  };

  it('creates private keys 0600 on zone create, keeps them out of answers, removes them on delete', async () => {
    const created = await call('POST', '/api/v1/zones', { name: '_user.lifecycle.example.' });
    assert.equal(created.status, 201);
    const text = await created.text();
    assert.doesNotMatch(text, /PRIVATE KEY|\.pem/, 'no private material or key paths in the answer');
    const dir = join(t.dataDir, 'keys', '_user.lifecycle.example');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const files = readdirSync(dir);
    assert.equal(files.length, 2, 'a KSK and a ZSK');
    for (const f of files) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600);
    const deleted = await call('DELETE', '/api/v1/zones/_user.lifecycle.example.');
    assert.equal(deleted.status, 204);
    assert.equal(existsSync(dir), false, 'the key directory is gone');
  });

  it('creates an Ed25519 CSK zone, or an unsigned one, when the body asks; delv validates the first', async () => {
    const zone = 'csk.lifecycle.example.';
    const created = await call('POST', '/api/v1/zones', { name: zone, algorithm: 15, keys: 'csk' });
    assert.equal(created.status, 201, await created.clone().text());
    const body = (await created.json()) as { keys: { algorithm: number; flags: number; role: string }[] };
    assert.deepEqual(body.keys.map((k) => [k.role, k.algorithm, k.flags]), [['csk', 15, 257]]);
    assert.equal(readdirSync(join(t.dataDir, 'keys', 'csk.lifecycle.example')).length, 1, 'one key file');
    const put = await call('PUT', `/api/v1/zones/${zone}/names/dev1`, { sshfp: [{ algorithm: 4, type: 2, fingerprint: 'ab'.repeat(32) }] });
    assert.equal(put.status, 201);
    const dir = mkdtempSync(join(tmpdir(), 'idzone-csk-'));
    try {
      const anchor = await writeTrustAnchor(t, zone, join(dir, 'anchor.conf'));
      const out = await delv(t, zone, anchor, `dev1.${zone}`, 'SSHFP');
      assert.match(out, /^; fully validated$/m, out);
      assert.match(out, /RRSIG\s+SSHFP 15 /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const plain = await call('POST', '/api/v1/zones', { name: 'plain.lifecycle.example.', signed: false });
    assert.equal(plain.status, 201);
    const view = (await plain.json()) as { signed?: boolean; settings?: { signed?: boolean }; keys: unknown[] };
    assert.equal(view.keys.length, 0);
    assert.equal(existsSync(join(t.dataDir, 'keys', 'plain.lifecycle.example')), false);
    const dnskey = await runTool('kdig', ['@127.0.0.1', '-p', String(t.dnsPort), 'plain.lifecycle.example.', 'DNSKEY', '+dnssec']);
    assert.match(dnskey, /ANSWER: 0/);

    const refused = await call('POST', '/api/v1/zones', { name: 'bad.lifecycle.example.', signed: false, algorithm: 8, keys: 'zsk-only' });
    assert.equal(refused.status, 400);
    const problem = (await refused.json()) as { errors: { pointer: string }[] };
    assert.deepEqual(problem.errors.map((e) => e.pointer).sort(), ['/algorithm', '/algorithm', '/keys', '/keys']);
  });
});
