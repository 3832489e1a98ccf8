import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createToken } from '../../../api/tokens.js';
import { DEFAULT_API_CONFIG } from '../../../api/api-config.js';
import * as fx from '../../unit/api/fixtures.js';
import { http, startApi, type Harness, type HttpReply } from './api-harness.js';

const ZONE = '_device.example.net.';
const Z = `/api/v1/zones/${ZONE}`;
const tlsa = (data = fx.HEX32): object => ({ usage: 3, selector: 1, matchingType: 1, data });

function assertProblem(r: HttpReply, status: number, code: string): void {
  assert.equal(r.status, status, r.text);
  assert.equal(r.headers['content-type'], 'application/problem+json');
  const p = r.json;
  assert.equal(p.status, status);
  assert.equal(p.code, code);
  assert.equal(p.type, `urn:idzone:problem:${code}`);
  assert.equal(typeof p.title, 'string');
  assert.equal(typeof p.detail, 'string');
  assert.ok(Array.isArray(p.errors));
  for (const e of p.errors) assert.deepEqual(Object.keys(e).sort(), ['message', 'pointer']);
}

describe('api: HTTP server (integration, 127.0.0.1)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startApi();
    const r = await http(h.port, 'POST', '/api/v1/zones', { token: h.admin, body: { name: ZONE } });
    assert.equal(r.status, 201, r.text);
  });
  afterEach(() => h.close());

  const zoneState = (): { serial: number; names: number } => {
    const z = h.store.getZone(ZONE)!;
    return { serial: z.serial, names: h.store.countNames(z) };
  };

  describe('zones', () => {
    it('creates a zone with keys and DS, lists, shows and deletes it', async () => {
      const c = await http(h.port, 'POST', '/api/v1/zones', { token: h.admin, body: { name: '_user.example.net', maxTtl: 600 } });
      assert.equal(c.status, 201, c.text);
      assert.equal(c.json.name, '_user.example.net.');
      assert.equal(c.json.settings.maxTtl, 600);
      assert.equal(c.json.ds.length, 1);
      assert.equal(c.json.keys.length, 2);
      assert.ok(!('ds' in c.json.keys[0]));
      assert.equal(c.headers.location, '/api/v1/zones/_user.example.net.');
      assert.deepEqual(h.keyed, [ZONE, '_user.example.net.']);
      const list = await http(h.port, 'GET', '/api/v1/zones', { token: h.admin });
      assert.deepEqual(list.json.zones.map((z: { name: string }) => z.name).sort(), [ZONE, '_user.example.net.'].sort());
      const one = await http(h.port, 'GET', '/api/v1/zones/_user.example.net', { token: h.admin });
      assert.equal(one.status, 200);
      assert.equal(one.json.names, 0);
      assertProblem(await http(h.port, 'POST', '/api/v1/zones', { token: h.admin, body: { name: ZONE } }), 409, 'ERR_API_CONFLICT');
      // Inside or above a served zone: refused, since idzone serves no delegations.
      const inner = await http(h.port, 'POST', '/api/v1/zones', { token: h.admin, body: { name: `site7.${ZONE}` } });
      assertProblem(inner, 409, 'ERR_API_CONFLICT');
      assert.match(inner.json.detail, /inside the served zone/);
      assertProblem(await http(h.port, 'POST', '/api/v1/zones', { token: h.admin, body: { name: 'example.net.' } }), 409, 'ERR_API_CONFLICT');
      const del = await http(h.port, 'DELETE', '/api/v1/zones/_user.example.net.', { token: h.admin });
      assert.equal(del.status, 204);
      assertProblem(await http(h.port, 'GET', '/api/v1/zones/_user.example.net.', { token: h.admin }), 404, 'ERR_API_NOT_FOUND');
    });

    it('refuses bad zone bodies with every violation', async () => {
      const r = await http(h.port, 'POST', '/api/v1/zones', { token: h.admin, body: { name: '.', defaultTtl: 0, colour: 1 } });
      assertProblem(r, 400, 'ERR_API_VALIDATION');
      assert.deepEqual(r.json.errors.map((e: { pointer: string }) => e.pointer).sort(), ['/colour', '/defaultTtl', '/name']);
    });
  });

  describe('names', () => {
    it('PUT creates (201) then replaces (200), propagates before answering, GET and DELETE revoke', async () => {
      const before = zoneState().serial;
      const p1 = await http(h.port, 'PUT', `${Z}/names/sensor7`, { token: h.admin, body: { ttl: 120, tlsa: [tlsa()], sshfp: [{ algorithm: 4, type: 2, fingerprint: fx.HEX32 }] } });
      assert.equal(p1.status, 201, p1.text);
      assert.ok(p1.json.serial > before);
      assert.equal(p1.headers['idzone-serial'], String(p1.json.serial));
      assert.deepEqual(h.propagated.at(-1), [ZONE, p1.json.serial]);
      assert.equal(p1.json.name, 'sensor7._device.example.net.');
      const p2 = await http(h.port, 'PUT', `${Z}/names/sensor7._device.example.net.`, { token: h.admin, body: { tlsa: [tlsa(fx.HEX32.replace(/^ab/, 'cd'))] } });
      assert.equal(p2.status, 200, p2.text);
      assert.ok(p2.json.serial > p1.json.serial);
      assert.deepEqual(p2.json.sshfp, []);
      const g = await http(h.port, 'GET', `${Z}/names/sensor7`, { token: h.admin });
      assert.equal(g.status, 200);
      assert.equal(g.json.ttl, 60);
      assert.equal(g.json.tlsa[0].data.slice(0, 2), 'cd');
      // What GET returns can be PUT back unchanged.
      const { zone: _z, serial: _s, ...roundTrip } = g.json;
      assert.equal((await http(h.port, 'PUT', `${Z}/names/sensor7`, { token: h.admin, body: roundTrip })).status, 200);
      const d = await http(h.port, 'DELETE', `${Z}/names/sensor7`, { token: h.admin });
      assert.equal(d.status, 204);
      assert.ok(Number(d.headers['idzone-serial']) > p2.json.serial);
      assertProblem(await http(h.port, 'GET', `${Z}/names/sensor7`, { token: h.admin }), 404, 'ERR_API_NOT_FOUND');
      const serial = zoneState().serial;
      assertProblem(await http(h.port, 'DELETE', `${Z}/names/sensor7`, { token: h.admin }), 404, 'ERR_API_NOT_FOUND');
      assert.equal(zoneState().serial, serial, 'revoking an absent name does not bump the serial');
    });

    it('computes TLSA 3 1 1 from a PEM certificate and SSHFP from an ssh key line', async () => {
      const r = await http(h.port, 'PUT', `${Z}/names/sensor7`, { token: h.admin, body: { tlsa: [{ certificate: fx.CERT_PEM }], sshfp: [{ sshKey: fx.SSH_ED25519 }] } });
      assert.equal(r.status, 201, r.text);
      assert.deepEqual(r.json.tlsa, [{ usage: 3, selector: 1, matchingType: 1, data: fx.CERT_311 }]);
      assert.deepEqual(r.json.sshfp, [{ algorithm: 4, type: 2, fingerprint: fx.SSH_ED25519_FP2 }]);
    });

    it('lists names in pages with after/limit, each name once', async () => {
      const changes = Array.from({ length: 25 }, (_, i) => ({ op: 'put', name: `d${i}`, tlsa: [tlsa()] }));
      assert.equal((await http(h.port, 'POST', `${Z}/changes`, { token: h.admin, body: { changes } })).status, 200);
      const seen: string[] = [];
      let after: string | null = '';
      for (let page = 0; page < 10 && after !== null; page++) {
        const r = await http(h.port, 'GET', `${Z}/names?limit=10&after=${encodeURIComponent(after)}`, { token: h.admin });
        assert.equal(r.status, 200, r.text);
        seen.push(...r.json.names.map((n: { name: string }) => n.name));
        after = r.json.next;
      }
      assert.equal(seen.length, 25);
      assert.equal(new Set(seen).size, 25);
      assert.equal((await http(h.port, 'GET', `${Z}/names`, { token: h.admin })).json.names.length, 25);
      assertProblem(await http(h.port, 'GET', `${Z}/names?limit=1001`, { token: h.admin }), 400, 'ERR_API_VALIDATION');
    });
  });

  describe('bad input: clear errors, nothing stored', () => {
    const cases: [string, object, number, string][] = [
      ['unknown fields', { tlsa: [tlsa()], colour: 'red' }, 400, 'ERR_API_VALIDATION'],
      ['odd hex', { tlsa: [tlsa('abc')] }, 400, 'ERR_API_VALIDATION'],
      ['a wrong digest length', { tlsa: [tlsa('ab'.repeat(20))] }, 400, 'ERR_API_VALIDATION'],
      ['usage 4', { tlsa: [{ usage: 4, selector: 1, matchingType: 1, data: fx.HEX32 }] }, 400, 'ERR_API_VALIDATION'],
      ['a CNAME', { cname: 'elsewhere.example.', tlsa: [tlsa()] }, 400, 'ERR_API_TYPE_REFUSED'],
      ['a name outside the zone', { name: 'x.example.org.', tlsa: [tlsa()] }, 400, 'ERR_API_VALIDATION'],
      ['a TTL beyond the zone maximum', { ttl: 86400, tlsa: [tlsa()] }, 400, 'ERR_API_VALIDATION'],
    ];
    for (const [what, body, status, code] of cases) {
      it(`${what} → ${status} ${code}`, async () => {
        const before = zoneState();
        const r = await http(h.port, 'PUT', `${Z}/names/sensor7`, { token: h.admin, body });
        assertProblem(r, status, code);
        assert.ok(r.json.errors.length >= 1);
        assert.deepEqual(zoneState(), before);
      });
    }

    it('a CNAME answer names the type', async () => {
      const r = await http(h.port, 'PUT', `${Z}/names/sensor7`, { token: h.admin, body: { type: 'CNAME', target: 'x.' } });
      assertProblem(r, 400, 'ERR_API_TYPE_REFUSED');
      assert.match(r.json.detail, /type CNAME is not accepted/);
    });

    it('a name outside the zone in the URL → 400', async () => {
      assertProblem(await http(h.port, 'PUT', `${Z}/names/x.example.org.`, { token: h.admin, body: { tlsa: [tlsa()] } }), 400, 'ERR_API_VALIDATION');
    });

    it('bad JSON → 400 with the position; wrong media type → 415; wrong method → 405', async () => {
      const r = await http(h.port, 'PUT', `${Z}/names/x`, { token: h.admin, raw: '{"tlsa": [}' });
      assertProblem(r, 400, 'ERR_API_BAD_JSON');
      assert.match(r.json.detail, /position 10 \(line 1, column 11\)/);
      assertProblem(await http(h.port, 'PUT', `${Z}/names/x`, { token: h.admin, raw: '{}', type: 'text/plain' }), 415, 'ERR_API_MEDIA_TYPE');
      const m = await http(h.port, 'PATCH', `${Z}/names/x`, { token: h.admin });
      assertProblem(m, 405, 'ERR_API_METHOD');
      assert.equal(m.headers.allow, 'GET, HEAD, PUT, DELETE');
      assertProblem(await http(h.port, 'GET', '/api/v1/nothing', { token: h.admin }), 404, 'ERR_API_NOT_FOUND');
    });

    for (const chunked of [false, true]) {
      it(`a 20 MB body (${chunked ? 'chunked' : 'with Content-Length'}) → 413 without reading it`, async () => {
        const before = zoneState();
        const r = await sendLarge(h.port, `${Z}/names/x`, h.admin, 20 * 1024 * 1024, chunked);
        assert.equal(r.status, 413);
        assert.equal(JSON.parse(r.text).code, 'ERR_API_BODY_TOO_LARGE');
        assert.ok(r.sent < 8 * 1024 * 1024, `client managed to send ${r.sent} bytes`);
        assert.deepEqual(zoneState(), before);
      });
    }

    it('a missing or unknown token → 401 with a Bearer challenge', async () => {
      const before = zoneState();
      const r = await http(h.port, 'PUT', `${Z}/names/x`, { body: { tlsa: [tlsa()] } });
      assertProblem(r, 401, 'ERR_API_UNAUTHORIZED');
      assert.equal(r.headers['www-authenticate'], 'Bearer realm="idzone"');
      const u = await http(h.port, 'GET', '/api/v1/zones', { token: `idz_${'A'.repeat(43)}` });
      assertProblem(u, 401, 'ERR_API_UNAUTHORIZED');
      assert.match(String(u.headers['www-authenticate']), /invalid_token/);
      assert.deepEqual(zoneState(), before);
    });

    it('a read token that writes, a token for another zone, a non-admin creating a zone → 403', async () => {
      const before = zoneState();
      const read = createToken(h.store, { zones: [ZONE], write: false, admin: false, description: 'read' }).token;
      const other = createToken(h.store, { zones: ['_device.example.org'], write: true, admin: false, description: 'other' }).token;
      assert.equal((await http(h.port, 'GET', `${Z}/names`, { token: read })).status, 200);
      assertProblem(await http(h.port, 'PUT', `${Z}/names/x`, { token: read, body: { tlsa: [tlsa()] } }), 403, 'ERR_API_FORBIDDEN');
      assertProblem(await http(h.port, 'POST', `${Z}/changes`, { token: read, body: { changes: [{ op: 'delete', name: 'x' }] } }), 403, 'ERR_API_FORBIDDEN');
      assertProblem(await http(h.port, 'GET', `${Z}/names/x`, { token: other }), 403, 'ERR_API_FORBIDDEN');
      assertProblem(await http(h.port, 'POST', '/api/v1/zones', { token: read, body: { name: 'x.example.' } }), 403, 'ERR_API_FORBIDDEN');
      assertProblem(await http(h.port, 'DELETE', Z, { token: other }), 403, 'ERR_API_FORBIDDEN');
      const listed = await http(h.port, 'GET', '/api/v1/zones', { token: other });
      assert.deepEqual(listed.json.zones, []);
      assert.deepEqual(zoneState(), before);
      assert.ok(h.store.getZone(ZONE));
    });
  });

  describe('changes', () => {
    it('applies puts and deletes atomically under one serial', async () => {
      await http(h.port, 'PUT', `${Z}/names/old`, { token: h.admin, body: { tlsa: [tlsa()] } });
      const before = zoneState().serial;
      const r = await http(h.port, 'POST', `${Z}/changes`, {
        token: h.admin,
        body: { changes: [{ op: 'put', name: 'a', tlsa: [tlsa()] }, { op: 'put', user: 'hugh', sshfp: [{ sshKey: fx.SSH_ED25519 }] }, { op: 'delete', name: 'old' }, { op: 'delete', name: 'never' }] },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.serial, before + 1);
      assert.deepEqual(
        r.json.results.map((x: { result: string }) => x.result),
        ['created', 'created', 'deleted', 'absent'],
      );
      assert.equal(r.json.results[1].name, `${fx.HUGH_LABEL}._user.${ZONE}`);
      assert.equal(zoneState().names, 2);
    });

    it('one bad entry → 400 listing it, and nothing of the batch is stored', async () => {
      const before = zoneState();
      const r = await http(h.port, 'POST', `${Z}/changes`, {
        token: h.admin,
        body: { changes: [{ op: 'put', name: 'a', tlsa: [tlsa()] }, { op: 'put', name: 'b', tlsa: [tlsa('abc')] }, { op: 'put', name: 'c', mx: ['10 x.'] }, { op: 'rename', name: 'd' }] },
      });
      assertProblem(r, 400, 'ERR_API_TYPE_REFUSED');
      assert.deepEqual(r.json.errors.map((e: { pointer: string }) => e.pointer).sort(), ['/changes/1/tlsa/0/data', '/changes/2/mx', '/changes/3/op']);
      assert.deepEqual(zoneState(), before);
    });
  });

  describe('import', () => {
    it('streams 50,000 NDJSON lines in batches and reports each bad line', async function () {
      this.timeout(60_000);
      const badLines = new Map<number, string>([
        [7, '{"name": "x7", "tlsa": [{"usage": 4, "selector": 1, "matchingType": 1, "data": "' + fx.HEX32 + '"}]}'],
        [12_345, '{"name": "x", "cname": "y."}'],
        [30_000, '{not json'],
        [49_999, '{"name": "evil.example.org.", "tlsa": [{"certificate": "garbage"}]}'],
      ]);
      const lines: string[] = [];
      for (let i = 1; i <= 50_000; i++) lines.push(badLines.get(i) ?? JSON.stringify({ name: `dev${i}`, tlsa: [tlsa()] }));
      const r = await http(h.port, 'POST', `${Z}/import`, { token: h.admin, raw: lines.join('\n') + '\n', type: 'application/x-ndjson' });
      assert.equal(r.status, 200, r.text.slice(0, 500));
      assert.equal(r.json.accepted, 50_000 - badLines.size);
      assert.equal(r.json.rejectedCount, badLines.size);
      assert.deepEqual(
        r.json.rejected.map((x: { line: number }) => x.line),
        [...badLines.keys()],
      );
      for (const x of r.json.rejected) assert.ok(x.errors.length >= 1);
      // 49,996 accepted names in batches of importBatchSize.
      assert.equal(r.json.batches, Math.ceil((50_000 - badLines.size) / DEFAULT_API_CONFIG.importBatchSize));
      assert.equal(zoneState().names, 50_000 - badLines.size);
      assert.deepEqual(h.propagated.at(-1), [ZONE, r.json.serial]);
      assertProblem(await http(h.port, 'POST', `${Z}/import`, { token: h.admin, raw: '{}', type: 'application/json' }), 415, 'ERR_API_MEDIA_TYPE');
    });
  });

  describe('group commit', () => {
    const groupMetric = async (): Promise<{ sum: number; count: number }> => {
      const text = (await http(h.port, 'GET', '/metrics')).text;
      const read = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
      return { sum: read('idzone_api_write_group_size_sum'), count: read('idzone_api_write_group_size_count') };
    };

    it('answers concurrent single-name writes each on its own, one serial step per group', async () => {
      for (const n of ['g0', 'gone']) assert.equal((await http(h.port, 'PUT', `${Z}/names/${n}`, { token: h.admin, body: { tlsa: [tlsa()] } })).status, 201);
      const serial0 = zoneState().serial;
      const m0 = await groupMetric();
      const names = Array.from({ length: 16 }, (_, i) => `g${i}`);
      const replies = await Promise.all([
        ...names.map((n) => http(h.port, 'PUT', `${Z}/names/${n}`, { token: h.admin, body: { tlsa: [tlsa(fx.HEX32.replace(/^../, 'ee'))] } })),
        http(h.port, 'DELETE', `${Z}/names/gone`, { token: h.admin }),
        http(h.port, 'DELETE', `${Z}/names/gone`, { token: h.admin }),
        http(h.port, 'DELETE', `${Z}/names/never`, { token: h.admin }),
      ]);
      assert.deepEqual(
        replies.slice(0, 16).map((r) => r.status),
        [200, ...Array<number>(15).fill(201)],
      );
      assert.deepEqual(replies.slice(16, 18).map((r) => r.status).sort(), [204, 404], 'one of two concurrent DELETEs of one name finds it');
      assertProblem(replies[18]!, 404, 'ERR_API_NOT_FOUND');
      for (const n of names) {
        const g = await http(h.port, 'GET', `${Z}/names/${n}`, { token: h.admin });
        assert.equal(g.json.tlsa[0].data.slice(0, 2), 'ee');
      }
      assert.equal((await http(h.port, 'GET', `${Z}/names/gone`, { token: h.admin })).status, 404);
      const m1 = await groupMetric();
      assert.equal(m1.sum - m0.sum, 17, 'sixteen PUTs and one DELETE committed');
      assert.equal(zoneState().serial - serial0, m1.count - m0.count, 'one serial step per group');
      for (const r of replies.slice(0, 16)) assert.ok(Number(r.headers['idzone-serial']) > serial0);
    });
  });

  describe('operations', () => {
    it('serves openapi.json, /healthz and /metrics with the idzone_api_ metrics', async () => {
      const o = await http(h.port, 'GET', '/api/v1/openapi.json');
      assert.equal(o.status, 200);
      assert.equal(o.json.openapi, '3.1.0');
      assert.deepEqual((await http(h.port, 'GET', '/healthz')).json, { status: 'ok', zones: 1 });
      await http(h.port, 'PUT', `${Z}/names/a`, { token: h.admin, body: { tlsa: [tlsa()] } });
      const m = await http(h.port, 'GET', '/metrics');
      assert.equal(m.status, 200);
      assert.match(String(m.headers['content-type']), /^text\/plain/);
      assert.match(m.text, /idzone_api_requests_total\{route="\/api\/v1\/zones\/\{zone\}\/names\/\{name\}",method="PUT",status="201"\} 1/);
      assert.match(m.text, /idzone_api_request_duration_seconds_bucket/);
      assert.match(m.text, /idzone_api_write_duration_seconds_count\{op="put"\} 1/);
      assert.match(m.text, /idzone_api_zone_names\{zone="_device\.example\.net\."\} 1/);
      assert.match(m.text, /idzone_api_import_names_total/);
      assert.ok(!m.text.includes('names/a"'), 'raw paths never become labels');
    });

    it('protects /healthz and /metrics when configured', async () => {
      const p = await startApi({ metricsAccess: 'token', healthAccess: 'token' });
      try {
        assertProblem(await http(p.port, 'GET', '/metrics'), 401, 'ERR_API_UNAUTHORIZED');
        assertProblem(await http(p.port, 'GET', '/healthz'), 401, 'ERR_API_UNAUTHORIZED');
        assert.equal((await http(p.port, 'GET', '/metrics', { token: p.admin })).status, 200);
        assert.equal((await http(p.port, 'GET', '/healthz', { token: p.admin })).status, 200);
      } finally {
        await p.close();
      }
    });
  });
});

/** Sends `total` bytes of JSON-ish body in 64 KiB chunks until the server answers; counts what was sent. */
function sendLarge(port: number, path: string, token: string, total: number, chunked: boolean): Promise<{ status: number; text: string; sent: number }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    if (!chunked) headers['content-length'] = total;
    let sent = 0;
    let answered = false;
    const req = request({ host: '127.0.0.1', port, method: 'PUT', path, headers }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), sent }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), sent }));
    });
    // The server closes the connection after answering: write errors after that are expected.
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = (): void => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}
