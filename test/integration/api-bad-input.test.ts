/**
 * Issue 4's bad-input list against the real server (SQLite store, real keys, `startServer`), sent
 * with curl as a user would: unknown fields, odd hex, wrong digest lengths, usage 4, a CNAME, a
 * name outside the zone, a wrong media type, a 20 MB body, no token, a read token that writes, and
 * a batch with one bad change. Each gets its status and RFC 9457 problem with JSON pointers, and
 * afterwards nothing has landed: the serial, the name count and DNS (kdig) are as before.
 * (api/api-server.test.ts covers the same cases in depth against the in-memory store.)
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createToken } from '../../api/tokens.js';
import { runTool, startTestServer, type TestServer } from '../helpers/server-fixture.js';

const ZONE = '_device.example.net.';
const HEX32 = 'ab'.repeat(32);

interface CurlResult {
  status: number;
  type: string;
  body: { type?: string; code?: string; detail?: string; errors?: { pointer: string; message: string }[] };
}

describe('bad input over HTTP against the real server (curl)', function () {
  this.timeout(60_000);
  let t: TestServer;
  let dir: string;
  let readToken: string;

  before(async () => {
    t = await startTestServer({}, { zone: 'demo' });
    dir = mkdtempSync(join(tmpdir(), 'idzone-badinput-'));
    readToken = createToken(t.store, { zones: [ZONE], write: false, admin: false, description: 'test reader' }).token;
  });
  after(async () => {
    await t?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** One curl request; `-w` appends the status and content type after the body. */
  async function curl(method: string, path: string, opts: { body?: string; file?: string; token?: string | null; type?: string } = {}): Promise<CurlResult> {
    const args = ['-sS', '-X', method, '-o', '-', '-w', '\n%{http_code} %{content_type}', `${t.apiUrl}${path}`];
    const token = opts.token === undefined ? t.adminToken : opts.token;
    if (token !== null) args.push('-H', `Authorization: Bearer ${token}`);
    args.push('-H', `Content-Type: ${opts.type ?? 'application/json'}`);
    if (opts.body !== undefined) args.push('--data-binary', opts.body);
    if (opts.file !== undefined) args.push('--data-binary', `@${opts.file}`);
    const out = await runTool('curl', args, 30_000);
    const cut = out.lastIndexOf('\n');
    const [status, type] = out.slice(cut + 1).split(' ');
    const text = out.slice(0, cut);
    return { status: Number(status), type: type ?? '', body: text.startsWith('{') ? JSON.parse(text) : {} };
  }

  function pointers(r: CurlResult): string[] {
    return (r.body.errors ?? []).map((e) => e.pointer).sort();
  }

  async function state(): Promise<{ serial: number; names: number }> {
    const r = await curl('GET', `/api/v1/zones/${ZONE}`);
    return { serial: (r.body as { serial: number }).serial, names: (r.body as { names: number }).names };
  }

  it('answers each bad request with its problem, and stores none of it', async () => {
    const before = await state();
    const put = (name: string, body: unknown, o: { token?: string | null; type?: string } = {}): Promise<CurlResult> =>
      curl('PUT', `/api/v1/zones/${ZONE}/names/${name}`, { body: JSON.stringify(body), ...o });

    const unknown = await put('bad1', { tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX32, colour: 'red' }], owner: 'me' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.type, /^application\/problem\+json/);
    assert.deepEqual(pointers(unknown), ['/owner', '/tlsa/0/colour']);

    const hex = await put('bad2', { tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: 'abc' }, { usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(31) }, { usage: 4, selector: 1, matchingType: 1, data: HEX32 }] });
    assert.equal(hex.status, 400);
    assert.deepEqual(pointers(hex), ['/tlsa/0/data', '/tlsa/1/data', '/tlsa/2/usage']);
    assert.match(hex.body.errors!.find((e) => e.pointer === '/tlsa/1/data')!.message, /exactly 32 bytes/);

    const cname = await put('bad3', { cname: 'www.example.com.' });
    assert.equal(cname.status, 400);
    assert.equal(cname.body.code, 'ERR_API_TYPE_REFUSED');
    assert.match(JSON.stringify(cname.body), /CNAME/);

    const outside = await curl('PUT', `/api/v1/zones/${ZONE}/names/${encodeURIComponent('www.example.org.')}`, { body: JSON.stringify({ tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX32 }] }) });
    assert.equal(outside.status, 400);
    assert.match(JSON.stringify(outside.body), /outside|not (in|inside|below)/i);

    const media = await put('bad4', { tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX32 }] }, { type: 'text/plain' });
    assert.equal(media.status, 415);

    const big = join(dir, 'big.json');
    writeFileSync(big, `{"tlsa":[{"usage":3,"selector":1,"matchingType":0,"data":"${'00'.repeat(10 * 1024 * 1024)}"}]}`);
    const large = await curl('PUT', `/api/v1/zones/${ZONE}/names/bad5`, { file: big });
    assert.equal(large.status, 413);

    const anonymous = await put('bad6', { tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX32 }] }, { token: null });
    assert.equal(anonymous.status, 401);
    const reader = await put('bad7', { tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX32 }] }, { token: readToken });
    assert.equal(reader.status, 403);
    assert.equal((await curl('GET', `/api/v1/zones/${ZONE}/names/sensor1`, { token: readToken })).status, 200, 'the read token reads');

    const batch = await curl('POST', `/api/v1/zones/${ZONE}/changes`, {
      body: JSON.stringify({ changes: [{ op: 'put', name: 'bad8', tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX32 }] }, { op: 'delete', name: 'sensor1' }, { op: 'put', name: 'bad9', sshfp: [{ algorithm: 5, type: 2, fingerprint: HEX32 }] }] }),
    });
    assert.equal(batch.status, 400);
    assert.deepEqual(pointers(batch), ['/changes/2/sshfp/0/algorithm']);

    assert.deepEqual(await state(), before, 'no serial bump, no new names');
    for (const name of ['bad1', 'bad2', 'bad3', 'bad4', 'bad5', 'bad6', 'bad7', 'bad8', 'bad9']) {
      assert.equal((await curl('GET', `/api/v1/zones/${ZONE}/names/${name}`)).status, 404, name);
      const dns = await runTool('kdig', ['@127.0.0.1', '-p', String(t.dnsPort), `${name}.${ZONE}`, 'TLSA']);
      assert.match(dns, /status: NXDOMAIN/, name);
    }
    const kept = await runTool('kdig', ['@127.0.0.1', '-p', String(t.dnsPort), `sensor1.${ZONE}`, 'TLSA', '+short']);
    assert.match(kept, /^3 1 1 /, 'the batch did not delete sensor1');
  });
});
