/**
 * What a review of the API as provisioning systems and curl users drive it found: answers and import
 * reports bounded whatever a body holds, imports that commit whole batches while the producer
 * pauses, GET bodies that PUT back, strict query strings, HEAD, and names that cannot work refused.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { MAX_LISTED_UNKNOWN_FIELDS, MAX_LISTED_VIOLATIONS } from '../../../api/json-fields.js';
import { MAX_LINE_VIOLATIONS } from '../../../api/import-parser.js';
import { MAX_CONCURRENT_IMPORTS } from '../../../api/routes-import.js';
import * as fx from '../../unit/api/fixtures.js';
import { http, startApi, type Harness } from './api-harness.js';

const ZONE = '_device.example.net.';
const Z = `/api/v1/zones/${ZONE}`;
const tlsa = (data = fx.HEX32): object => ({ usage: 3, selector: 1, matchingType: 1, data });

/** `{"f0":0,"f1":0,…}` with `n` unknown fields. */
function junkFields(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const o: Record<string, unknown> = { ...extra };
  for (let i = 0; i < n; i++) o[`f${i}`] = 0;
  return o;
}

async function waitFor(what: string, test: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('api: bounds, round trips and HTTP details (integration, 127.0.0.1)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startApi({ importBatchSize: 100 });
    const r = await http(h.port, 'POST', '/api/v1/zones', { token: h.admin, body: { name: ZONE } });
    assert.equal(r.status, 201, r.text);
  });
  afterEach(() => h.close());

  const names = (): number => h.store.countNames(h.store.getZone(ZONE)!);

  describe('violations are listed up to a bound, and counted past it', () => {
    it('a body with 20,000 unknown fields: 10 listed, one saying how many more; a small answer', async () => {
      const r = await http(h.port, 'PUT', `${Z}/names/d1`, { token: h.admin, body: junkFields(20_000, { tlsa: [tlsa()] }) });
      assert.equal(r.status, 400, r.text.slice(0, 300));
      assert.equal(r.json.code, 'ERR_API_VALIDATION');
      const unknown = r.json.errors.filter((e: { message: string }) => e.message.startsWith('unknown field'));
      assert.equal(unknown.length, MAX_LISTED_UNKNOWN_FIELDS);
      assert.ok(r.json.errors.some((e: { message: string }) => e.message === `${20_000 - MAX_LISTED_UNKNOWN_FIELDS} more unknown field(s) not listed (20000 in all)`), r.text.slice(0, 2000));
      assert.ok(r.text.length < 5_000, `answer of ${r.text.length} characters`);
      assert.equal(names(), 0);
    });

    it('a refused type past the listed fields still makes the answer a type refusal', async () => {
      const r = await http(h.port, 'PUT', `${Z}/names/d1`, { token: h.admin, body: junkFields(50, { tlsa: [tlsa()], cname: 'x.example.' }) });
      assert.equal(r.status, 400);
      assert.equal(r.json.code, 'ERR_API_TYPE_REFUSED');
      assert.ok(r.json.errors.some((e: { message: string }) => /type CNAME is not accepted/.test(e.message)), r.text);
    });

    it('a changes batch of 3,000 bad entries lists 100 violations and counts the rest', async () => {
      const changes = Array.from({ length: 3000 }, (_, i) => ({ op: 'put', name: `d${i}`, tlsa: [{ usage: 4, selector: 1, matchingType: 1, data: fx.HEX32 }] }));
      const r = await http(h.port, 'POST', `${Z}/changes`, { token: h.admin, body: { changes } });
      assert.equal(r.status, 400);
      assert.equal(r.json.errors.length, MAX_LISTED_VIOLATIONS + 1);
      assert.match(r.json.errors[MAX_LISTED_VIOLATIONS].message, /^2900 more violation\(s\) not listed \(3000 in all\)$/);
      assert.equal(names(), 0);
    });

    it('an import line with thousands of unknown fields is listed with a bounded number of violations', async () => {
      const lines = [JSON.stringify(junkFields(5_000, { name: 'bad', tlsa: [tlsa()] })), JSON.stringify({ name: 'good', tlsa: [tlsa()] })];
      const r = await http(h.port, 'POST', `${Z}/import`, { token: h.admin, raw: `${lines.join('\n')}\n`, type: 'application/x-ndjson' });
      assert.equal(r.status, 200, r.text.slice(0, 300));
      assert.equal(r.json.accepted, 1);
      assert.equal(r.json.rejectedCount, 1);
      assert.equal(r.json.rejected[0].line, 1);
      assert.ok(r.json.rejected[0].errors.length <= MAX_LINE_VIOLATIONS + 1);
      assert.ok(r.text.length < 5_000, `report of ${r.text.length} characters`);
    });
  });

  describe('imports', () => {
    it('a chunked import (parsed on a thread) commits its whole batches while the producer pauses, and keeps them when it goes away', async () => {
      const body = Array.from({ length: 250 }, (_, i) => JSON.stringify({ name: `p${i}`, tlsa: [tlsa()] })).join('\n') + '\n';
      const req = request({ host: '127.0.0.1', port: h.port, method: 'POST', path: `${Z}/import`, headers: { authorization: `Bearer ${h.admin}`, 'content-type': 'application/x-ndjson' } });
      req.on('error', () => undefined);
      req.write(body);
      // Two batches of 100 are whole; the third holds 50 and waits for more lines.
      await waitFor('two committed batches', () => names() === 200);
      const serial = h.store.getZone(ZONE)!.serial;
      req.destroy();
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(names(), 200);
      assert.equal(h.store.getZone(ZONE)!.serial, serial);
    });

    it('a signed zone without keys takes no import (its names would be stored and served unsigned)', async () => {
      h.keyless.add(ZONE);
      const r = await http(h.port, 'POST', `${Z}/import`, { token: h.admin, raw: `${JSON.stringify({ name: 'n1', tlsa: [tlsa()] })}\n`, type: 'application/x-ndjson' });
      assert.equal(r.status, 503, r.text);
      assert.match(r.json.detail, /nothing was stored: .* is signed but has no keys/);
      assert.equal(names(), 0);
    });

    it(`answers 503 ERR_API_BUSY with Retry-After past ${MAX_CONCURRENT_IMPORTS} imports at once, reading nothing of it`, async () => {
      const open = Array.from({ length: MAX_CONCURRENT_IMPORTS }, () => {
        const req = request({ host: '127.0.0.1', port: h.port, method: 'POST', path: `${Z}/import`, headers: { authorization: `Bearer ${h.admin}`, 'content-type': 'application/x-ndjson' } });
        req.on('error', () => undefined);
        req.write('{"name":"slow","tlsa":[');
        return req;
      });
      try {
        await new Promise((r) => setTimeout(r, 300));
        const r = await http(h.port, 'POST', `${Z}/import`, { token: h.admin, raw: `${JSON.stringify({ name: 'n1', tlsa: [tlsa()] })}\n`, type: 'application/x-ndjson' });
        assert.equal(r.status, 503, r.text);
        assert.equal(r.json.code, 'ERR_API_BUSY');
        assert.equal(r.headers['retry-after'], '1');
        assert.equal(names(), 0);
      } finally {
        for (const req of open) req.destroy();
      }
      await new Promise((r) => setTimeout(r, 300));
      const again = await http(h.port, 'POST', `${Z}/import`, { token: h.admin, raw: `${JSON.stringify({ name: 'n1', tlsa: [tlsa()] })}\n`, type: 'application/x-ndjson' });
      assert.equal(again.status, 200, again.text);
      assert.equal(again.json.accepted, 1);
    });
  });

  describe('round trips and read-only fields', () => {
    it('a GET body PUTs back unchanged (200), in a changes batch and in an import line too', async () => {
      assert.equal((await http(h.port, 'PUT', `${Z}/names/rt1`, { token: h.admin, body: { ttl: 120, tlsa: [tlsa()], sshfp: [{ algorithm: 4, type: 2, fingerprint: fx.HEX32 }] } })).status, 201);
      const got = await http(h.port, 'GET', `${Z}/names/rt1`, { token: h.admin });
      assert.equal(got.status, 200);
      assert.equal(got.json.zone, ZONE);
      const back = await http(h.port, 'PUT', `${Z}/names/rt1`, { token: h.admin, body: got.json });
      assert.equal(back.status, 200, back.text);
      assert.deepEqual({ ...back.json, serial: 0 }, { ...got.json, serial: 0 });
      const batch = await http(h.port, 'POST', `${Z}/changes`, { token: h.admin, body: { changes: [{ op: 'put', ...got.json }] } });
      assert.equal(batch.status, 200, batch.text);
      const imp = await http(h.port, 'POST', `${Z}/import`, { token: h.admin, raw: `${JSON.stringify(got.json)}\n`, type: 'application/x-ndjson' });
      assert.equal(imp.json.accepted, 1, imp.text);
    });

    it('read-only fields must still be true: another zone or a non-serial is a 400 naming them', async () => {
      const r = await http(h.port, 'PUT', `${Z}/names/rt2`, { token: h.admin, body: { zone: '_device.example.org.', serial: 'x', tlsa: [tlsa()] } });
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.errors.map((e: { pointer: string }) => e.pointer).sort(), ['/serial', '/zone']);
      assert.equal(names(), 0);
      // The zone spelled without the final dot or in capitals is the same zone.
      assert.equal((await http(h.port, 'PUT', `${Z}/names/rt2`, { token: h.admin, body: { zone: '_DEVICE.example.net', serial: 7, tlsa: [tlsa()] } })).status, 201);
    });
  });

  describe('HTTP', () => {
    it('unknown or repeated query parameters are refused, on writes above all', async () => {
      const put = await http(h.port, 'PUT', `${Z}/names/q1?dryRun=true`, { token: h.admin, body: { tlsa: [tlsa()] } });
      assert.equal(put.status, 400, put.text);
      assert.equal(put.json.errors[0].pointer, '/query/dryRun');
      assert.equal(names(), 0);
      const typo = await http(h.port, 'GET', `${Z}/names?afterr=x`, { token: h.admin });
      assert.equal(typo.status, 400);
      assert.match(typo.json.errors[0].message, /allowed: after, limit/);
      const twice = await http(h.port, 'GET', `${Z}/names?limit=1&limit=2`, { token: h.admin });
      assert.equal(twice.status, 400);
      assert.equal((await http(h.port, 'GET', `${Z}/names?after=&limit=5`, { token: h.admin })).status, 200);
    });

    it('HEAD answers as GET does, without a body (RFC 9110 §9.3.2)', async () => {
      const get = await http(h.port, 'GET', '/api/v1/zones', { token: h.admin });
      const head = await http(h.port, 'HEAD', '/api/v1/zones', { token: h.admin });
      assert.equal(head.status, 200);
      assert.equal(head.text, '');
      assert.equal(head.headers['content-length'], get.headers['content-length']);
      assert.equal((await http(h.port, 'HEAD', '/healthz')).status, 200);
      assert.equal((await http(h.port, 'HEAD', `${Z}/names/absent`, { token: h.admin })).status, 404);
    });

    it('healthz says "degraded" and lists the problems the server reports, still with 200 (DNS is answered)', async () => {
      assert.deepEqual((await http(h.port, 'GET', '/healthz')).json, { status: 'ok', zones: 1 });
      h.problems.push('zone x cannot sign');
      const r = await http(h.port, 'GET', '/healthz');
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { status: 'degraded', zones: 1, problems: ['zone x cannot sign'] });
    });

    it('a path that is not valid percent-encoding is a 400, not a 404', async () => {
      const r = await http(h.port, 'GET', `${Z}/names/a%ZZb`, { token: h.admin });
      assert.equal(r.status, 400, r.text);
      assert.match(r.json.detail, /percent-encoding/);
    });
  });

  describe('ambiguous input', () => {
    it('an sshKey holding two key lines is refused, not hashed as its first', async () => {
      const r = await http(h.port, 'PUT', `${Z}/names/ssh1`, { token: h.admin, body: { sshfp: [{ sshKey: `${fx.SSH_ED25519}\n${fx.SSH_ED25519}` }] } });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.errors[0].pointer, '/sshfp/0/sshKey');
      assert.equal((await http(h.port, 'PUT', `${Z}/names/ssh1`, { token: h.admin, body: { sshfp: [{ sshKey: `${fx.SSH_ED25519}\n` }] } })).status, 201);
    });

    it('a name given twice in a batch is pointed at where each entry named it (user or name)', async () => {
      const r = await http(h.port, 'POST', `${Z}/changes`, { token: h.admin, body: { changes: [{ op: 'delete', user: 'alice' }, { op: 'delete', user: 'alice' }] } });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.errors[0].pointer, '/changes/1/user');
    });
  });

  describe('names that cannot work', () => {
    it('a wildcard zone apex is refused (its RRSIGs could never validate)', async () => {
      const r = await http(h.port, 'POST', '/api/v1/zones', { token: h.admin, body: { name: '*.wz.example.' } });
      assert.equal(r.status, 400, r.text);
      assert.match(r.json.errors[0].message, /wildcard/);
      assert.equal(h.store.getZone('*.wz.example.'), undefined);
      assert.throws(() => h.store.createZone('*.wz.example.'), /wildcard/);
    });

    it('a user with a lone surrogate or a control character is refused, not hashed as something else', async () => {
      for (const user of ['\ud800', 'a\udfffb', 'tab\there', 'nul\u0000']) {
        const r = await http(h.port, 'POST', `${Z}/changes`, { token: h.admin, body: { changes: [{ op: 'put', user, tlsa: [tlsa()] }] } });
        assert.equal(r.status, 400, `${JSON.stringify(user)}: ${r.text}`);
        assert.equal(r.json.errors[0].pointer, '/changes/0/user');
      }
      // A well-formed pair is fine.
      const ok = await http(h.port, 'POST', `${Z}/changes`, { token: h.admin, body: { changes: [{ op: 'put', user: 'emoji\ud83d\ude00', tlsa: [tlsa()] }] } });
      assert.equal(ok.status, 200, ok.text);
    });
  });
});
