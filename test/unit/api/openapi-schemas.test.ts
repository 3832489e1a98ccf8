/**
 * The OpenAPI document against the live API: a real server (SQLite store in a temp data dir, real
 * DNSSEC keys and rollovers, `startServer`) is driven through every route, and each request body it
 * is sent and each answer it gives is validated, with a JSON Schema 2020-12 validator (ajv, the
 * dialect of OpenAPI 3.1), against the schema GET /api/v1/openapi.json declares for that route,
 * status and content type. A status the document does not list for the operation, a content type it
 * does not list, or a required header that is missing fails as well.
 *
 * openapi.test.ts checks the document against the route table; this checks it against the bytes.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { createToken } from '../../../api/tokens.js';
import { parseHex } from '../../../core/identity-rdata.js';
import { startTestServer, type TestServer } from '../../helpers/server-fixture.js';
import { CERT_PEM, HEX32, HEX64, PUBKEY_PEM, SSH_ED25519, SSH_ED25519_FP2, SSH_RSA } from './fixtures.js';

// Both packages are CommonJS with `exports.default`; under NodeNext the default import is the module.
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

type Json = any;
type Doc = { openapi: string; info: Json; paths: Record<string, Record<string, Json>>; components: Record<string, Record<string, Json>> };

const ZONE = '_schema.example.org.';
const Z = `/api/v1/zones/${ZONE}`;
const ZT = '/api/v1/zones/{zone}';
const ROOT = 'urn:idzone:openapi';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request; `declaredLength` sends only the headers, claiming a body of that size. */
function call(port: number, method: string, path: string, opts: { token?: string; raw?: string; type?: string; declaredLength?: number } = {}): Promise<Reply> {
  const headers: Record<string, string | number> = {};
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.raw !== undefined || opts.declaredLength !== undefined) {
    headers['content-type'] = opts.type ?? 'application/json';
    headers['content-length'] = opts.declaredLength ?? Buffer.byteLength(opts.raw!);
  }
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        if (opts.declaredLength !== undefined) req.destroy();
      });
    });
    // A 413 is answered before the body is sent, and the server then closes the connection.
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    if (opts.declaredLength !== undefined) req.flushHeaders();
    else req.end(opts.raw);
  });
}

/** The document with `#/components/schemas/X` refs made absolute, so ajv resolves them in one registered root. */
function absoluteRefs(v: Json): Json {
  if (Array.isArray(v)) return v.map(absoluteRefs);
  if (v === null || typeof v !== 'object') return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = k === '$ref' && typeof x === 'string' && x.startsWith('#/components/schemas/') ? `${ROOT}#/$defs/${x.slice('#/components/schemas/'.length)}` : absoluteRefs(x);
  }
  return out;
}

class SpecValidator {
  readonly ajv;
  private readonly cache = new Map<object, ValidateFunction>();
  /** operation → statuses checked against a live answer. */
  readonly seen = new Map<string, Set<string>>();

  constructor(readonly doc: Doc) {
    // strict: an unknown keyword or format in a schema is an error, not silently ignored. Types may
    // be left to combinators, and `required` in a combinator may name properties listed beside it
    // (`oneOf: [{required: [name]}, {required: [user]}]`), as JSON Schema allows.
    this.ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: ROOT, $defs: absoluteRefs(doc.components.schemas) });
  }

  private compile(schema: object): ValidateFunction {
    let v = this.cache.get(schema);
    if (v === undefined) {
      v = this.ajv.compile(absoluteRefs(schema));
      this.cache.set(schema, v);
    }
    return v;
  }

  component(name: string): ValidateFunction {
    assert.ok(this.doc.components.schemas?.[name], `no component schema ${name}`);
    return this.compile({ $ref: `#/components/schemas/${name}` });
  }

  private resolve(x: Json): Json {
    const ref = x?.$ref as string | undefined;
    if (ref === undefined) return x;
    const m = /^#\/components\/(\w+)\/(\w+)$/.exec(ref);
    assert.ok(m, `unexpected $ref ${ref}`);
    const target = this.doc.components[m[1]!]?.[m[2]!];
    assert.ok(target, `dangling $ref ${ref}`);
    return this.resolve(target);
  }

  operation(method: string, template: string): Json {
    const op = this.doc.paths[template]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${template} is not documented`);
    return op;
  }

  /** Validates a request body (parsed JSON) against the operation's requestBody schema for `type`. */
  request(method: string, template: string, type: string, body: unknown): void {
    const rb = this.resolve(this.operation(method, template).requestBody);
    const media = rb?.content?.[type];
    assert.ok(media?.schema, `${method} ${template} documents no ${type} request body`);
    this.check(this.compile(media.schema), body, `request to ${method} ${template} (${type})`);
  }

  /** True when `body` is valid as a request to the operation; for bodies the server refuses. */
  requestValid(method: string, template: string, type: string, body: unknown): boolean {
    const media = this.resolve(this.operation(method, template).requestBody).content[type];
    return this.compile(media.schema)(body) as boolean;
  }

  /** Validates a live answer: documented status, content type, headers and body schema. */
  response(method: string, template: string, r: Reply): Json {
    const op = this.operation(method, template);
    const key = `${method} ${template}`;
    const status = String(r.status);
    const documented = op.responses?.[status];
    assert.ok(documented, `${key} answered ${status}, which the document does not list (${Object.keys(op.responses ?? {}).join(', ')}): ${r.text.slice(0, 300)}`);
    if (!this.seen.has(key)) this.seen.set(key, new Set());
    this.seen.get(key)!.add(status);
    const res = this.resolve(documented);
    for (const [name, ref] of Object.entries((res.headers ?? {}) as Record<string, Json>)) {
      const h = this.resolve(ref);
      const value = r.headers[name.toLowerCase()];
      if (value === undefined) {
        assert.ok(h.required !== true, `${key} ${status}: required header ${name} is missing`);
        continue;
      }
      const schema = h.schema;
      if (schema !== undefined) {
        const typed = schema.type === 'integer' ? Number(value) : value;
        this.check(this.compile(schema), typed, `${key} ${status} header ${name}`);
      }
    }
    const content = res.content as Record<string, Json> | undefined;
    if (content === undefined) {
      assert.equal(r.text, '', `${key} ${status}: the document gives no body, the server sent one`);
      return undefined;
    }
    const type = String(r.headers['content-type'] ?? '').split(';')[0]!.trim();
    assert.ok(content[type], `${key} ${status}: answered ${type}, the document lists ${Object.keys(content).join(', ')}`);
    const body = type === 'text/plain' ? r.text : JSON.parse(r.text);
    this.check(this.compile(content[type].schema), body, `${key} ${status} ${type}`);
    return body;
  }

  check(validate: ValidateFunction, value: unknown, what: string): void {
    if (validate(value)) return;
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
    assert.fail(`${what} does not match its schema:\n  ${errors.slice(0, 12).join('\n  ')}\nvalue: ${JSON.stringify(value).slice(0, 600)}`);
  }
}

describe('api/openapi: live requests and answers match the schemas of openapi.json', function () {
  this.timeout(60_000);
  let t: TestServer;
  let port: number;
  let spec: SpecValidator;
  let readToken: string;
  let otherZoneToken: string;

  const json = (method: string, path: string, body: unknown, token?: string): Promise<Reply> => call(port, method, path, { token: token ?? t.adminToken, raw: JSON.stringify(body) });
  const get = (path: string, token?: string): Promise<Reply> => call(port, 'GET', path, { token: token ?? t.adminToken });

  before(async () => {
    t = await startTestServer({ signingThreads: 0 }, { zone: 'demo' });
    port = Number(new URL(t.apiUrl).port);
    readToken = createToken(t.store, { zones: [ZONE], write: false, admin: false, description: 'schema test reader' }).token;
    otherZoneToken = createToken(t.store, { zones: ['_device.example.net.'], write: true, admin: false, description: 'schema test other zone' }).token;
    const r = await call(port, 'GET', '/api/v1/openapi.json');
    assert.equal(r.status, 200);
    spec = new SpecValidator(JSON.parse(r.text) as Doc);
    spec.response('GET', '/api/v1/openapi.json', r);
  });
  after(async () => t?.stop());

  it('is OpenAPI 3.1, and every component schema compiles under ajv (JSON Schema 2020-12, strict)', () => {
    assert.match(spec.doc.openapi, /^3\.1\./);
    for (const name of Object.keys(spec.doc.components.schemas!)) spec.component(name);
  });

  it('the hex pattern accepts exactly what the server parses as hex (whitespace anywhere, RFC 6698 §2.2)', () => {
    const hex = spec.component('HexData');
    const samples = ['', 'ab', 'AB', 'a b', ' ab ', 'ab cd', 'a\tb\nc\r\nd', 'ab\u00a0cd', 'ab\u2028cd', 'abc', 'a b c', 'zz', 'ab-cd', '0x00', 'ab\u0000cd', 'é0', HEX32, HEX64.replace(/(.{8})/g, '$1 ')];
    for (const s of samples) assert.equal(hex(s), parseHex(s) !== undefined, `pattern and server disagree on ${JSON.stringify(s)}`);
  });

  it('POST /zones → 201 Zone; GET /zones/{zone} → 200 Zone; GET /zones → 200 ZoneList', async () => {
    const create = { name: ZONE, defaultTtl: 120, maxTtl: 7200, denial: 'nsec3', signed: true, algorithm: 13, keys: 'ksk-zsk' };
    spec.request('POST', '/api/v1/zones', 'application/json', create);
    // An unsigned zone too (no keys, no DS); both are made before either answer is judged, so that
    // the later tests have their zones even when a schema here is wrong.
    const unsigned = { name: '_unsigned.example.org', signed: false };
    spec.request('POST', '/api/v1/zones', 'application/json', unsigned);
    const c = await json('POST', '/api/v1/zones', create);
    const u = await json('POST', '/api/v1/zones', unsigned);
    assert.equal(c.status, 201, c.text);
    assert.equal(u.status, 201, u.text);
    const zone = spec.response('POST', '/api/v1/zones', c);
    assert.ok(zone.keys.length >= 2 && zone.ds.length >= 1, c.text);
    assert.equal(c.headers.location, `/api/v1/zones/${ZONE}`);
    spec.response('POST', '/api/v1/zones', u);
    spec.response('GET', ZT, await get(Z));
    const list = await get('/api/v1/zones');
    assert.equal(list.status, 200);
    assert.ok(spec.response('GET', '/api/v1/zones', list).zones.length >= 3);
  });

  it('PUT /names/{name} → 201 then 200 NameRecords, for every entry form; GET → 200 NameRecords', async () => {
    const first = {
      ttl: 300,
      // Whitespace inside hex data is accepted (RFC 6698 §2.2 presentation form).
      tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: `${HEX32.slice(0, 1)} ${HEX32.slice(1, 20)}\n${HEX32.slice(20)}` }],
      sshfp: [{ algorithm: 4, type: 2, fingerprint: SSH_ED25519_FP2.toUpperCase() }],
    };
    spec.request('PUT', `${ZT}/names/{name}`, 'application/json', first);
    const p1 = await json('PUT', `${Z}/names/sensor7`, first);
    assert.equal(p1.status, 201, p1.text);
    spec.response('PUT', `${ZT}/names/{name}`, p1);
    const second = {
      name: `sensor7.${ZONE}`,
      tlsa: [{ certificate: CERT_PEM }, { publicKey: PUBKEY_PEM, matchingType: 2 }, { usage: 3, selector: 0, matchingType: 1, certificate: CERT_PEM }, { usage: 3, selector: 1, matchingType: 2, data: HEX64 }],
      sshfp: [{ sshKey: SSH_ED25519 }, { sshKey: SSH_RSA, type: 1, algorithm: 1 }],
    };
    spec.request('PUT', `${ZT}/names/{name}`, 'application/json', second);
    const p2 = await json('PUT', `${Z}/names/sensor7`, second);
    assert.equal(p2.status, 200, p2.text);
    spec.response('PUT', `${ZT}/names/{name}`, p2);
    const user = { user: 'alice', sshfp: [{ sshKey: SSH_ED25519 }] };
    spec.request('PUT', `${ZT}/names/{name}`, 'application/json', user);
    const label = (await import('node:crypto')).createHash('sha256').update('alice').digest('hex').slice(0, 56);
    const p3 = await json('PUT', `${Z}/names/${label}._user`, user);
    assert.equal(p3.status, 201, p3.text);
    spec.response('PUT', `${ZT}/names/{name}`, p3);
    const g = await get(`${Z}/names/sensor7`);
    assert.equal(g.status, 200);
    const shown = spec.response('GET', `${ZT}/names/{name}`, g);
    assert.equal(shown.tlsa.length, 4);
    // What GET shows (zone and serial included) can be PUT back unchanged.
    spec.request('PUT', `${ZT}/names/{name}`, 'application/json', shown);
    const back = await json('PUT', `${Z}/names/sensor7`, shown);
    assert.equal(back.status, 200, back.text);
    spec.response('PUT', `${ZT}/names/{name}`, back);
  });

  it('GET /names → 200 NameList, paged to the end', async () => {
    let after = '';
    for (let pages = 0; ; pages++) {
      const r = await get(`${Z}/names?limit=1${after === '' ? '' : `&after=${encodeURIComponent(after)}`}`);
      assert.equal(r.status, 200, r.text);
      const page = spec.response('GET', `${ZT}/names`, r);
      if (page.next === null) break;
      after = page.next;
      assert.ok(pages < 10);
    }
  });

  it('POST /changes with put and delete entries → 200 ChangeResults', async () => {
    const batch = {
      changes: [
        { op: 'put', name: 'sensor8', ttl: 60, tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX32 }] },
        { op: 'put', user: 'bob', sshfp: [{ algorithm: 4, type: 2, fingerprint: SSH_ED25519_FP2 }] },
        { op: 'put', name: `sensor9.${ZONE}`, tlsa: [{ publicKey: PUBKEY_PEM }] },
        { op: 'delete', name: 'sensor7' },
        { op: 'delete', user: 'nobody' },
      ],
    };
    spec.request('POST', `${ZT}/changes`, 'application/json', batch);
    const r = await json('POST', `${Z}/changes`, batch);
    assert.equal(r.status, 200, r.text);
    const results = spec.response('POST', `${ZT}/changes`, r).results.map((x: { result: string }) => x.result);
    assert.deepEqual(results, ['created', 'created', 'created', 'deleted', 'absent']);
    // What the server refuses, the schema refuses too (where JSON Schema can say it).
    for (const bad of [
      { changes: [] },
      { changes: [{ op: 'put', name: 'x', tlsa: [] }] },
      { changes: [{ op: 'put', tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX32 }] }] },
      { changes: [{ op: 'delete', name: 'x', ttl: 5 }] },
      { changes: [{ op: 'delete', name: 'x', user: 'y' }] },
      { changes: [{ op: 'delete' }] },
      { changes: [{ op: 'patch', name: 'x' }] },
      { changes: [{ name: 'x', tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX32 }] }] },
    ]) {
      assert.equal(spec.requestValid('POST', `${ZT}/changes`, 'application/json', bad), false, `schema accepts ${JSON.stringify(bad)}`);
      const refused = await json('POST', `${Z}/changes`, bad);
      assert.equal(refused.status, 400, `${JSON.stringify(bad)} → ${refused.text}`);
      spec.response('POST', `${ZT}/changes`, refused);
    }
  });

  it('POST /import (NDJSON) → 200 ImportReport, each line valid per the documented line schema', async () => {
    const lines = [
      { name: 'imp1', tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX32 }] },
      { user: 'carol', sshfp: [{ sshKey: SSH_ED25519 }] },
      { name: `imp2.${ZONE}`, ttl: 90, sshfp: [{ algorithm: 4, type: 2, fingerprint: SSH_ED25519_FP2 }] },
    ];
    for (const type of ['application/x-ndjson', 'application/jsonl']) for (const l of lines) spec.request('POST', `${ZT}/import`, type, l);
    const bad = { name: 'imp3', cname: 'elsewhere.example.' };
    assert.equal(spec.requestValid('POST', `${ZT}/import`, 'application/x-ndjson', bad), false);
    const noOwner = { tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX32 }] };
    assert.equal(spec.requestValid('POST', `${ZT}/import`, 'application/x-ndjson', noOwner), false, 'an import line needs name or user');
    const raw = `${[...lines, bad, noOwner].map((l) => JSON.stringify(l)).join('\n')}\n`;
    const r = await call(port, 'POST', `${Z}/import`, { token: t.adminToken, raw, type: 'application/x-ndjson' });
    assert.equal(r.status, 200, r.text);
    const report = spec.response('POST', `${ZT}/import`, r);
    assert.equal(report.accepted, 3);
    assert.equal(report.rejectedCount, 2);
  });

  it('GET /keys → 200 ZoneKeys; POST /keys/rollover → 200 RolloverResult, then 409 not safe', async () => {
    spec.response('GET', `${ZT}/keys`, await get(`${Z}/keys`));
    const body = { kind: 'zsk' };
    spec.request('POST', `${ZT}/keys/rollover`, 'application/json', body);
    const r1 = await json('POST', `${Z}/keys/rollover`, body);
    assert.equal(r1.status, 200, r1.text);
    spec.response('POST', `${ZT}/keys/rollover`, r1);
    const r2 = await json('POST', `${Z}/keys/rollover`, body);
    assert.equal(r2.status, 409, r2.text);
    assert.equal(spec.response('POST', `${ZT}/keys/rollover`, r2).code, 'ERR_API_ROLLOVER_NOT_SAFE');
    spec.response('GET', `${ZT}/keys`, await get(`${Z}/keys`));
    // An unsigned zone: 409 on GET too.
    const u = await get('/api/v1/zones/_unsigned.example.org./keys');
    assert.equal(u.status, 409, u.text);
    assert.equal(spec.response('GET', `${ZT}/keys`, u).code, 'ERR_API_ROLLOVER_UNSIGNED');
    // A CSK zone: its keys and rollover states show, a rollover is refused.
    const csk = { name: '_csk.example.org.', keys: 'csk', algorithm: 15 };
    spec.request('POST', '/api/v1/zones', 'application/json', csk);
    spec.response('POST', '/api/v1/zones', await json('POST', '/api/v1/zones', csk));
    const ck = await get('/api/v1/zones/_csk.example.org./keys');
    assert.equal(spec.response('GET', `${ZT}/keys`, ck).csk, true);
    const cr = await json('POST', '/api/v1/zones/_csk.example.org./keys/rollover', { kind: 'ksk', force: true });
    assert.equal(cr.status, 409, cr.text);
    assert.equal(spec.response('POST', `${ZT}/keys/rollover`, cr).code, 'ERR_API_ROLLOVER_CSK');
  });

  it('KSK: POST /keys/ds-seen → 200 DsSeenResult; retire waits for it (409 without safeAt), a forced step carries its warning; 409 when nothing waits', async () => {
    const publish = { kind: 'ksk', parentDsTtl: 3600 };
    spec.request('POST', `${ZT}/keys/rollover`, 'application/json', publish);
    const p = await json('POST', `${Z}/keys/rollover`, publish);
    assert.equal(p.status, 200, p.text);
    assert.equal(spec.response('POST', `${ZT}/keys/rollover`, p).status.ksk.parentDsTtl, 3600);
    const early = await json('POST', `${Z}/keys/rollover`, { kind: 'ksk' });
    assert.equal(early.status, 409, early.text);
    const refusal = spec.response('POST', `${ZT}/keys/rollover`, early);
    assert.equal(refusal.safeAt, undefined, 'waiting for the confirmation: no safe time yet');
    assert.match(refusal.detail, /ds-seen/);
    const keys = spec.response('GET', `${ZT}/keys`, await get(`${Z}/keys`));
    assert.match(keys.ksk.waitingFor, /confirmation that the parent serves the DS/);
    for (const body of [{}, { parentDsTtl: 3600 }]) spec.request('POST', `${ZT}/keys/ds-seen`, 'application/json', body);
    assert.equal(spec.requestValid('POST', `${ZT}/keys/ds-seen`, 'application/json', { since: 'now' }), false);
    const seen = await json('POST', `${Z}/keys/ds-seen`, {});
    assert.equal(seen.status, 200, seen.text);
    const r = spec.response('POST', `${ZT}/keys/ds-seen`, seen);
    assert.equal(r.status.ksk.dsSeenAt, r.dsSeenAt);
    assert.equal(r.status.ksk.safeAt, r.dsSeenAt + 3600 + 300);
    const bad = await json('POST', `${Z}/keys/ds-seen`, { since: 1 });
    assert.equal(bad.status, 400, bad.text);
    spec.response('POST', `${ZT}/keys/ds-seen`, bad);
    const notAdmin = await json('POST', `${Z}/keys/ds-seen`, {}, readToken);
    assert.equal(notAdmin.status, 403, notAdmin.text);
    spec.response('POST', `${ZT}/keys/ds-seen`, notAdmin);
    const forced = await json('POST', `${Z}/keys/rollover`, { kind: 'ksk', force: true });
    assert.equal(forced.status, 200, forced.text);
    assert.match(spec.response('POST', `${ZT}/keys/rollover`, forced).warning, /forced/);
    const nothing = await json('POST', `${Z}/keys/ds-seen`, {});
    assert.equal(nothing.status, 409, nothing.text);
    assert.equal(spec.response('POST', `${ZT}/keys/ds-seen`, nothing).code, 'ERR_API_CONFLICT');
    const csk = await json('POST', '/api/v1/zones/_csk.example.org./keys/ds-seen', {});
    assert.equal(csk.status, 409, csk.text);
    assert.equal(spec.response('POST', `${ZT}/keys/ds-seen`, csk).code, 'ERR_API_ROLLOVER_CSK');
  });

  it('400 problem+json (validation, bad JSON, type refused, bad query)', async () => {
    const bad = { ttl: 0, colour: 'red', tlsa: [{ usage: 9, selector: 1, matchingType: 1, data: 'xyz' }] };
    assert.equal(spec.requestValid('PUT', `${ZT}/names/{name}`, 'application/json', bad), false);
    const r = await json('PUT', `${Z}/names/sensor7`, bad);
    assert.equal(r.status, 400, r.text);
    assert.equal(spec.response('PUT', `${ZT}/names/{name}`, r).code, 'ERR_API_VALIDATION');
    const cname = { cname: 'x.example.' };
    assert.equal(spec.requestValid('PUT', `${ZT}/names/{name}`, 'application/json', cname), false);
    const tr = await json('PUT', `${Z}/names/sensor7`, cname);
    assert.equal(spec.response('PUT', `${ZT}/names/{name}`, tr).code, 'ERR_API_TYPE_REFUSED');
    const bj = await call(port, 'POST', `${Z}/changes`, { token: t.adminToken, raw: '{"changes": [' });
    assert.equal(spec.response('POST', `${ZT}/changes`, bj).code, 'ERR_API_BAD_JSON');
    const zb = await json('POST', '/api/v1/zones', { name: ZONE, signed: false, keys: 'csk' });
    assert.equal(zb.status, 400, zb.text);
    assert.equal(spec.requestValid('POST', '/api/v1/zones', 'application/json', { name: ZONE, signed: false, keys: 'csk' }), false);
    spec.response('POST', '/api/v1/zones', zb);
    const lim = await get(`${Z}/names?limit=0`);
    assert.equal(lim.status, 400);
    spec.response('GET', `${ZT}/names`, lim);
    const zn = await get('/api/v1/zones/a..b/names/x');
    assert.equal(zn.status, 400, zn.text);
    spec.response('GET', `${ZT}/names/{name}`, zn);
    // A query parameter the route does not read, on any route.
    for (const [method, template, path] of [
      ['GET', '/api/v1/zones', '/api/v1/zones?colour=red'],
      ['GET', '/healthz', '/healthz?verbose=1'],
      ['GET', '/api/v1/openapi.json', '/api/v1/openapi.json?format=yaml'],
      ['GET', `${ZT}/names`, `${Z}/names?limit=5&limit=6`],
      ['DELETE', `${ZT}/names/{name}`, `${Z}/names/sensor7?dryRun=true`],
    ] as const) {
      const q = await call(port, method, path, { token: t.adminToken });
      assert.equal(q.status, 400, `${method} ${path}: ${q.text}`);
      spec.response(method, template, q);
    }
    const rb = await json('POST', `${Z}/keys/rollover`, { kind: 'dsk' });
    assert.equal(spec.requestValid('POST', `${ZT}/keys/rollover`, 'application/json', { kind: 'dsk' }), false);
    spec.response('POST', `${ZT}/keys/rollover`, rb);
  });

  it('401, 403, 404, 409, 413, 415 problem+json with their documented headers', async () => {
    const noToken = await call(port, 'GET', '/api/v1/zones');
    assert.equal(noToken.status, 401);
    spec.response('GET', '/api/v1/zones', noToken);
    const unknown = await get(`${Z}/names/sensor8`, `idz_${'A'.repeat(43)}`);
    assert.equal(unknown.status, 401);
    spec.response('GET', `${ZT}/names/{name}`, unknown);
    const ro = await json('PUT', `${Z}/names/sensor8`, { tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX32 }] }, readToken);
    assert.equal(ro.status, 403, ro.text);
    spec.response('PUT', `${ZT}/names/{name}`, ro);
    const scope = await get(Z, otherZoneToken);
    assert.equal(scope.status, 403, scope.text);
    spec.response('GET', ZT, scope);
    const notAdmin = await json('POST', '/api/v1/zones', { name: '_x.example.org' }, readToken);
    assert.equal(notAdmin.status, 403, notAdmin.text);
    spec.response('POST', '/api/v1/zones', notAdmin);
    const rollNotAdmin = await json('POST', `${Z}/keys/rollover`, { kind: 'ksk' }, readToken);
    assert.equal(rollNotAdmin.status, 403);
    spec.response('POST', `${ZT}/keys/rollover`, rollNotAdmin);
    const absent = await get(`${Z}/names/nothere`);
    assert.equal(absent.status, 404);
    spec.response('GET', `${ZT}/names/{name}`, absent);
    const noZone = await get('/api/v1/zones/_nowhere.example.org./names');
    assert.equal(noZone.status, 404);
    spec.response('GET', `${ZT}/names`, noZone);
    const delAbsent = await call(port, 'DELETE', `${Z}/names/nothere`, { token: t.adminToken });
    assert.equal(delAbsent.status, 404);
    spec.response('DELETE', `${ZT}/names/{name}`, delAbsent);
    const exists = await json('POST', '/api/v1/zones', { name: ZONE });
    assert.equal(exists.status, 409);
    spec.response('POST', '/api/v1/zones', exists);
    const large = await call(port, 'PUT', `${Z}/names/sensor8`, { token: t.adminToken, declaredLength: 2 * 1024 * 1024 });
    assert.equal(large.status, 413, large.text);
    spec.response('PUT', `${ZT}/names/{name}`, large);
    const largeBatch = await call(port, 'POST', `${Z}/changes`, { token: t.adminToken, declaredLength: 2 * 1024 * 1024 });
    assert.equal(largeBatch.status, 413, largeBatch.text);
    spec.response('POST', `${ZT}/changes`, largeBatch);
    const media = await call(port, 'PUT', `${Z}/names/sensor8`, { token: t.adminToken, raw: '{}', type: 'text/plain' });
    assert.equal(media.status, 415);
    spec.response('PUT', `${ZT}/names/{name}`, media);
    const importMedia = await call(port, 'POST', `${Z}/import`, { token: t.adminToken, raw: '{}', type: 'application/json' });
    assert.equal(importMedia.status, 415);
    spec.response('POST', `${ZT}/import`, importMedia);
  });

  it('405 (a method the path does not list) answers the Problem schema with an Allow header, and no operation claims a 405', async () => {
    const r = await call(port, 'PATCH', '/api/v1/zones', { token: t.adminToken });
    assert.equal(r.status, 405);
    assert.equal(r.headers['content-type'], 'application/problem+json');
    assert.ok(typeof r.headers.allow === 'string' && r.headers.allow.includes('GET'));
    const body = JSON.parse(r.text);
    spec.check(spec.component('Problem'), body, '405 answer');
    assert.equal(body.code, 'ERR_API_METHOD');
    for (const item of Object.values(spec.doc.paths)) for (const op of Object.values(item)) assert.equal(op.responses?.['405'], undefined);
    assert.match(spec.doc.info.description, /405/);
    // An unknown path is a 404 of the same shape.
    const nf = await call(port, 'GET', '/api/v1/nothing');
    assert.equal(nf.status, 404);
    spec.check(spec.component('Problem'), JSON.parse(nf.text), '404 answer');
  });

  it('GET /healthz and /metrics, DELETE a name (204) and a zone (204)', async () => {
    spec.response('GET', '/healthz', await call(port, 'GET', '/healthz'));
    spec.response('GET', '/metrics', await call(port, 'GET', '/metrics'));
    const put = { tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: HEX32 }] };
    spec.request('PUT', `${ZT}/names/{name}`, 'application/json', put);
    const p = await json('PUT', `${Z}/names/gone`, put);
    assert.ok(p.status === 200 || p.status === 201, p.text);
    spec.response('PUT', `${ZT}/names/{name}`, p);
    const d = await call(port, 'DELETE', `${Z}/names/gone`, { token: t.adminToken });
    assert.equal(d.status, 204, d.text);
    spec.response('DELETE', `${ZT}/names/{name}`, d);
    const dz = await call(port, 'DELETE', '/api/v1/zones/_unsigned.example.org.', { token: t.adminToken });
    assert.equal(dz.status, 204, dz.text);
    spec.response('DELETE', ZT, dz);
  });

  it('every documented operation had a 2xx answer checked against its schema', () => {
    for (const [path, item] of Object.entries(spec.doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (op?.operationId === undefined) continue;
        const statuses = [...(spec.seen.get(`${method.toUpperCase()} ${path}`) ?? [])];
        assert.ok(
          statuses.some((s) => s.startsWith('2')),
          `${op.operationId} was not exercised with a success`,
        );
      }
    }
  });
});
