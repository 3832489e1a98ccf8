/**
 * Issue 3, bad input: a signed zone whose private key files are missing or unreadable. DO=1
 * queries get SERVFAIL with an Extended DNS Error (RFC 8914) — never unsigned data for a signed
 * zone; DO=0 queries still get the (unsigned) data; writes to the zone are refused with a clear
 * error instead of storing unsigned records; restoring the files brings signing back.
 */
import { strict as assert } from 'node:assert';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { runTool, startTestServer, type TestServer } from '../helpers/server-fixture.js';

const ZONE = '_device.example.net.';

describe('a signed zone whose key files are missing', function () {
  this.timeout(30_000);
  let t: TestServer;
  let keyDir: string;
  const logLines: string[] = [];
  before(async () => {
    const first = await startTestServer();
    const dataDir = first.dataDir;
    await first.stop({ keep: true });
    keyDir = join(dataDir, 'keys');
    renameSync(keyDir, keyDir + '.away');
    t = await startTestServer({}, { dataDir, logLines });
  });

  it('says so in one clear log line naming the zone and the missing file, with no key material', () => {
    const lines = logLines.filter((l) => /cannot load DNSSEC keys/.test(l));
    assert.ok(lines.length >= 1, logLines.join('\n'));
    assert.match(lines[0]!, /ERROR cannot load DNSSEC keys.* zone=_device\.example\.net\. reason=".*K_device\.example\.net\+013\+\d+\.pem: ENOENT/);
    for (const l of logLines) assert.doesNotMatch(l, /PRIVATE KEY|idz_/, 'no key material or token in the log');
  });
  after(async () => {
    await t?.stop();
  });

  it('answers DO=1 queries SERVFAIL with an Extended DNS Error, never unsigned data', async () => {
    const out = await runTool('kdig', ['@127.0.0.1', '-p', String(t.dnsPort), `sensor1.${ZONE}`, 'TLSA', '+dnssec']);
    assert.match(out, /status: SERVFAIL/, out);
    assert.match(out, /EDE: 0 \(Other\)[^\n]*signing unavailable/i, out);
    assert.doesNotMatch(out, /IN\s+TLSA\s+3 1 1/, out);
  });

  it('still answers DO=0 queries with the data', async () => {
    const out = await runTool('kdig', ['@127.0.0.1', '-p', String(t.dnsPort), `sensor1.${ZONE}`, 'TLSA', '+short']);
    assert.match(out, /^3 1 1 /);
  });

  it('refuses writes to the zone with a clear error rather than storing unsigned records', async () => {
    const res = await fetch(`${t.apiUrl}/api/v1/zones/${ZONE}/names/newdev`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${t.adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32) }] }),
    });
    assert.ok(res.status >= 500, `status ${res.status}`);
    const body = (await res.json()) as { detail?: string; code?: string };
    assert.match(String(body.detail) + String(body.code), /key|sign/i, JSON.stringify(body));
    assert.equal(t.store.getNode(t.store.getZone(ZONE)!, `newdev.${ZONE}`), undefined);
  });

  it('healthz says "degraded", naming the zone that cannot sign (it said "ok")', async () => {
    const res = await fetch(`${t.apiUrl}/healthz`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; problems?: string[] };
    assert.equal(body.status, 'degraded', JSON.stringify(body));
    assert.ok(body.problems?.some((p) => p.includes(`zone ${ZONE} cannot sign`)), JSON.stringify(body));
  });

  it('signs again once the key files are back and the keys reload', async () => {
    renameSync(keyDir + '.away', keyDir);
    // A key event makes every process reload the zone's keys (as a rollover step would).
    t.store.updateKey(t.store.listKeys(t.store.getZone(ZONE)!)[0]!.id, {});
    const out = await runTool('kdig', ['@127.0.0.1', '-p', String(t.dnsPort), `sensor1.${ZONE}`, 'TLSA', '+dnssec']);
    assert.match(out, /status: NOERROR/, out);
    assert.match(out, /RRSIG\s+TLSA/, out);
  });
});
