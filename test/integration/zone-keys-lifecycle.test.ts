/**
 * A zone's private keys live and die with it: created 0600 in a 0700 directory when the zone is
 * created over the API, never shown by the API, and removed from disk when the zone is deleted.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server-fixture.js';

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
});
