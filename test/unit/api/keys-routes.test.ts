/**
 * api/routes-keys.ts with a fake rollover service: GET keys (public data, states with safeAt as ISO
 * time), POST rollover (strict body, admin only with a 403 that says so, propagation before the
 * answer, key tags only, the forced-step warning), the refusals as 409 problems (not safe with
 * safeAt, CSK, unsigned), and POST ds-seen (the operator's confirmation that the parent serves
 * the new DS: strict body, admin only, 409 when nothing waits for it, 400 for an impossible time).
 */
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createApiConfig } from '../../../api/api-config.js';
import type { RolloverState, ZoneRolloverService, ZoneRolloverStatus } from '../../../api/api-deps.js';
import { createApiServer, type ApiServer } from '../../../api/api-server.js';
import { parseDsSeenRequest, parseRolloverRequest } from '../../../api/routes-keys.js';
import { createToken } from '../../../api/tokens.js';
import { MemoryZoneStore } from '../../../zone-store/memory-zone-store.js';
import type { ZoneInfo } from '../../../zone-store/types.js';
import { http } from '../../integration/api/api-harness.js';

const ZONE = '_device.example.net.';
const CSK_ZONE = 'csk.example.';
const UNSIGNED = 'plain.example.';

function state(kind: 'zsk' | 'ksk', safeAt: number): RolloverState {
  return { kind, stepTaken: 0, description: `no ${kind} rollover`, next: { step: 'publish', kind }, safeAt };
}

class Error409 extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly safeAt?: number,
  ) {
    super(message);
  }
}

/** A rollover service that records calls and refuses the way RolloverService does. */
class FakeRollovers implements ZoneRolloverService {
  calls: [string, string, boolean][] = [];
  options: ({ parentDsTtl?: number } | undefined)[] = [];
  dsSeenCalls: [string, { since?: number; parentDsTtl?: number }][] = [];
  notSafeUntil = 0;
  status(zone: string): ZoneRolloverStatus {
    if (zone === UNSIGNED) throw new Error409('ERR_ROLLOVER_UNSIGNED', `zone ${zone} is not signed`);
    return { zone, csk: zone === CSK_ZONE, zsk: state('zsk', 0), ksk: { ...state('ksk', 1_800_000_000), waitingFor: 'the parent DS' } };
  }
  advance(zone: string, kind: 'zsk' | 'ksk', force: boolean, options?: { parentDsTtl?: number }) {
    this.calls.push([zone, kind, force]);
    this.options.push(options);
    if (zone === CSK_ZONE) throw new Error409('ERR_ROLLOVER_CSK', 'uses a CSK');
    if (zone === UNSIGNED) throw new Error409('ERR_ROLLOVER_UNSIGNED', 'not signed');
    if (!force && this.notSafeUntil > 0) throw new Error409('ERR_ROLLOVER_NOT_SAFE', `not safe before ${this.notSafeUntil}`, this.notSafeUntil);
    // The real action carries whole key records; only tags may reach the answer.
    const oldKey = { keyTag: 111, privateFile: 'keys/secret.pem', publicKey: Buffer.from('x') };
    const done = { action: { step: 'activate', kind, newKey: { keyTag: 222, privateFile: 'keys/new.pem' }, oldKeys: [oldKey] }, status: this.status(zone) };
    return force && this.notSafeUntil > 0 ? { ...done, warning: 'forced before it was safe' } : done;
  }
  confirmDsSeen(zone: string, options: { since?: number; parentDsTtl?: number }) {
    this.dsSeenCalls.push([zone, options]);
    if (zone === CSK_ZONE) throw new Error409('ERR_ROLLOVER_NO_DS_WAIT', 'no KSK rollover waits for the parent DS');
    if (options.since === 1) throw new Error409('ERR_ROLLOVER_INVALID', 'the key was published later');
    const status = this.status(zone);
    return { zone, keyTag: 4242, dsSeenAt: options.since ?? 1_800_000_100, parentDsTtl: options.parentDsTtl ?? 86400, status: { ...status, ksk: { ...status.ksk, dsSeenAt: 1_800_000_100, parentDsTtl: 86400 } } };
  }
}

describe('api/routes-keys: keys and rollover steps', () => {
  let store: MemoryZoneStore;
  let server: ApiServer;
  let port: number;
  let admin: string;
  let reader: string;
  let writer: string;
  let rollovers: FakeRollovers;
  let propagated: [string, number][];

  before(async () => {
    store = new MemoryZoneStore();
    for (const z of [ZONE, CSK_ZONE]) {
      store.createZone(z);
      store.updateZoneSettings(z, { signed: true });
    }
    store.createZone(UNSIGNED);
    rollovers = new FakeRollovers();
    propagated = [];
    const cfg = createApiConfig({});
    if (!cfg.ok) throw new Error(cfg.errors.join('; '));
    const keys = {
      createZoneKeys: (_z: ZoneInfo): void => undefined,
      describeKeys: (z: ZoneInfo) => [
        { keyTag: 6413, algorithm: 13, flags: 257, role: 'ksk', state: 'active', dnskey: `${z.name} 3600 IN DNSKEY 257 3 13 AAAA`, ds: `${z.name} IN DS 6413 13 2 ABCD`, privateFile: 'keys/k.pem' },
        { keyTag: 5757, algorithm: 13, flags: 256, role: 'zsk', state: 'published', dnskey: `${z.name} 3600 IN DNSKEY 256 3 13 BBBB` },
      ],
    };
    server = createApiServer({ store, registry: new Registry(), keys, rollovers, config: cfg.config, propagate: async (z, s) => void propagated.push([z, s]) });
    port = (await server.listen('127.0.0.1', 0)).port;
    admin = createToken(store, { zones: ['*'], write: true, admin: true, description: 'admin' }).token;
    reader = createToken(store, { zones: [ZONE], write: false, admin: false, description: 'reader' }).token;
    writer = createToken(store, { zones: ['*'], write: true, admin: false, description: 'writer' }).token;
  });
  after(() => server.close());
  beforeEach(() => {
    rollovers.calls = [];
    rollovers.options = [];
    rollovers.dsSeenCalls = [];
    rollovers.notSafeUntil = 0;
    propagated.length = 0;
  });

  const keysPath = (z: string): string => `/api/v1/zones/${z}/keys`;
  const post = (z: string, body: unknown, token = admin) => http(port, 'POST', `${keysPath(z)}/rollover`, { token, body });

  it('GET keys: public key data, both rollover states with safeAt as ISO time, csk flag', async () => {
    const r = await http(port, 'GET', keysPath(ZONE), { token: reader });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.zone, ZONE);
    assert.equal(r.json.csk, false);
    assert.deepEqual(Object.keys(r.json.keys[0]).sort(), ['algorithm', 'dnskey', 'ds', 'flags', 'keyTag', 'role', 'state']);
    assert.equal(r.json.keys[1].state, 'published');
    assert.ok(!r.text.includes('privateFile'), 'no private key file reaches the answer');
    assert.equal(r.json.zsk.safeAtTime, new Date(0).toISOString());
    assert.equal(r.json.ksk.safeAt, 1_800_000_000);
    assert.equal(r.json.ksk.safeAtTime, '2027-01-15T08:00:00.000Z');
    assert.equal(r.json.ksk.waitingFor, 'the parent DS');
    assert.deepEqual(r.json.ksk.next, { step: 'publish', kind: 'ksk' });
  });

  it('GET keys: a token for another zone gets 403, no token 401, an unsigned zone 409', async () => {
    assert.equal((await http(port, 'GET', keysPath(CSK_ZONE), { token: reader })).status, 403);
    assert.equal((await http(port, 'GET', keysPath(ZONE))).status, 401);
    const u = await http(port, 'GET', keysPath(UNSIGNED), { token: admin });
    assert.equal(u.status, 409);
    assert.equal(u.json.code, 'ERR_API_ROLLOVER_UNSIGNED');
    assert.equal((await http(port, 'GET', keysPath('nope.example.'), { token: admin })).status, 404);
  });

  it('POST rollover: takes the step, waits for propagation, answers with key tags only', async () => {
    const r = await post(ZONE, { kind: 'zsk' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(rollovers.calls, [[ZONE, 'zsk', false]]);
    assert.deepEqual(propagated, [[ZONE, store.getZone(ZONE)!.serial]]);
    assert.deepEqual(r.json.action, { step: 'activate', kind: 'zsk', newKeyTag: 222, oldKeyTags: [111] });
    assert.ok(!r.text.includes('privateFile') && !r.text.includes('secret'), r.text);
    assert.equal(r.json.status.zsk.safeAtTime, new Date(0).toISOString());
    const f = await post(ZONE, { kind: 'ksk', force: true });
    assert.equal(f.status, 200);
    assert.deepEqual(rollovers.calls[1], [ZONE, 'ksk', true]);
  });

  it('POST rollover: not safe yet → 409 ERR_API_ROLLOVER_NOT_SAFE with safeAt, nothing propagated', async () => {
    rollovers.notSafeUntil = 1_800_000_000;
    const r = await post(ZONE, { kind: 'zsk' });
    assert.equal(r.status, 409);
    assert.equal(r.headers['content-type'], 'application/problem+json');
    assert.equal(r.json.code, 'ERR_API_ROLLOVER_NOT_SAFE');
    assert.equal(r.json.safeAt, 1_800_000_000);
    assert.equal(r.json.safeAtTime, '2027-01-15T08:00:00.000Z');
    assert.match(r.json.detail, /not safe before/);
    assert.deepEqual(propagated, []);
  });

  it('POST rollover: CSK zone and unsigned zone → 409 with their codes', async () => {
    const c = await post(CSK_ZONE, { kind: 'ksk' });
    assert.equal(c.status, 409);
    assert.equal(c.json.code, 'ERR_API_ROLLOVER_CSK');
    const u = await post(UNSIGNED, { kind: 'zsk' });
    assert.equal(u.status, 409);
    assert.equal(u.json.code, 'ERR_API_ROLLOVER_UNSIGNED');
  });

  it('POST rollover: strict body, every violation listed; nothing taken', async () => {
    const r = await post(ZONE, { kind: 'both', force: 'yes', extra: 1 });
    assert.equal(r.status, 400);
    assert.equal(r.json.code, 'ERR_API_VALIDATION');
    assert.deepEqual(r.json.errors.map((e: { pointer: string }) => e.pointer).sort(), ['/extra', '/force', '/kind']);
    assert.equal((await post(ZONE, {})).json.errors[0].pointer, '/kind');
    assert.equal((await post(ZONE, [])).status, 400);
    const bad = await http(port, 'POST', `${keysPath(ZONE)}/rollover`, { token: admin, raw: '{"kind":', type: 'application/json' });
    assert.equal(bad.json.code, 'ERR_API_BAD_JSON');
    const media = await http(port, 'POST', `${keysPath(ZONE)}/rollover`, { token: admin, raw: 'kind=zsk', type: 'text/plain' });
    assert.equal(media.status, 415);
    assert.deepEqual(rollovers.calls, []);
  });

  it('POST rollover: needs an admin token (write or read → 403, saying rollovers need one)', async () => {
    const w = await post(ZONE, { kind: 'zsk' }, writer);
    assert.equal(w.status, 403);
    assert.match(w.json.detail, /needs an admin token/);
    assert.match(w.json.detail, /rollover/, 'the 403 names what needs the admin token');
    assert.doesNotMatch(w.json.detail, /^creating and deleting zones needs/);
    assert.equal((await post(ZONE, { kind: 'zsk' }, reader)).status, 403);
    assert.equal((await http(port, 'GET', `${keysPath(ZONE)}/rollover`, { token: admin })).status, 405);
    assert.deepEqual(rollovers.calls, []);
  });

  it('parseRolloverRequest accepts exactly {kind, force?, parentDsTtl? (KSK)}', () => {
    assert.deepEqual(parseRolloverRequest({ kind: 'ksk' }), { ok: true, kind: 'ksk', force: false });
    assert.deepEqual(parseRolloverRequest({ kind: 'zsk', force: true }), { ok: true, kind: 'zsk', force: true });
    assert.deepEqual(parseRolloverRequest({ kind: 'ksk', parentDsTtl: 3600 }), { ok: true, kind: 'ksk', force: false, parentDsTtl: 3600 });
    assert.equal(parseRolloverRequest({ kind: 'zsk', parentDsTtl: 3600 }).ok, false, 'the parent DS TTL concerns the KSK');
    assert.equal(parseRolloverRequest({ kind: 'ksk', parentDsTtl: -1 }).ok, false);
    assert.equal(parseRolloverRequest({ kind: 'ksk', parentDsTtl: 1.5 }).ok, false);
    assert.equal(parseRolloverRequest({ kind: 'ksk', parentDsTtl: 2 ** 31 }).ok, false);
    assert.equal(parseRolloverRequest({ kind: 'ZSK' }).ok, false);
    assert.equal(parseRolloverRequest(null).ok, false);
  });

  it('POST rollover: parentDsTtl reaches the service; a forced early step answers with its warning', async () => {
    const r = await post(ZONE, { kind: 'ksk', parentDsTtl: 7200 });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(rollovers.options, [{ parentDsTtl: 7200 }]);
    assert.equal(r.json.warning, undefined);
    rollovers.notSafeUntil = 1_800_000_000;
    const f = await post(ZONE, { kind: 'ksk', force: true });
    assert.equal(f.status, 200, f.text);
    assert.equal(f.json.warning, 'forced before it was safe');
  });

  it('POST ds-seen: records the confirmation (admin), answers with the KSK state; strict body', async () => {
    const path = `${keysPath(ZONE)}/ds-seen`;
    const r = await http(port, 'POST', path, { token: admin, body: { parentDsTtl: 3600 } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(rollovers.dsSeenCalls, [[ZONE, { parentDsTtl: 3600 }]]);
    assert.equal(r.json.keyTag, 4242);
    assert.equal(r.json.parentDsTtl, 3600);
    assert.equal(r.json.dsSeenAtTime, new Date(1_800_000_100 * 1000).toISOString());
    assert.equal(r.json.status.ksk.dsSeenAt, 1_800_000_100);
    assert.equal(r.json.status.ksk.dsSeenAtTime, new Date(1_800_000_100 * 1000).toISOString());
    assert.equal(r.json.status.ksk.parentDsTtl, 86400);
    assert.equal((await http(port, 'POST', path, { token: admin, body: {} })).status, 200);
    const bad = await http(port, 'POST', path, { token: admin, body: { since: 'yesterday', parentDsTtl: -5, extra: true } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json.errors.map((e: { pointer: string }) => e.pointer).sort(), ['/extra', '/parentDsTtl', '/since']);
    const w = await http(port, 'POST', path, { token: writer, body: {} });
    assert.equal(w.status, 403);
    assert.match(w.json.detail, /admin token/);
    assert.equal(rollovers.dsSeenCalls.length, 2, 'refused bodies and tokens reach no service call');
  });

  it('POST ds-seen: nothing waits for a DS → 409 ERR_API_CONFLICT; an impossible time → 400', async () => {
    const c = await http(port, 'POST', `${keysPath(CSK_ZONE)}/ds-seen`, { token: admin, body: {} });
    assert.equal(c.status, 409, c.text);
    assert.equal(c.json.code, 'ERR_API_CONFLICT');
    assert.match(c.json.detail, /no KSK rollover waits/);
    const v = await http(port, 'POST', `${keysPath(ZONE)}/ds-seen`, { token: admin, body: { since: 1 } });
    assert.equal(v.status, 400, v.text);
    assert.equal(v.json.code, 'ERR_API_VALIDATION');
    assert.match(v.json.detail, /published later/);
  });

  it('parseDsSeenRequest accepts exactly {since?, parentDsTtl?}', () => {
    assert.deepEqual(parseDsSeenRequest({}), { ok: true, options: {} });
    assert.deepEqual(parseDsSeenRequest({ since: 1_800_000_000, parentDsTtl: 0 }), { ok: true, options: { since: 1_800_000_000, parentDsTtl: 0 } });
    assert.equal(parseDsSeenRequest({ since: -1 }).ok, false);
    assert.equal(parseDsSeenRequest([]).ok, false);
  });

  it('without a rollover service the key routes answer 404', async () => {
    const cfg = createApiConfig({});
    if (!cfg.ok) throw new Error('config');
    const bare = createApiServer({ store, registry: new Registry(), config: cfg.config, propagate: async () => undefined });
    const p = (await bare.listen('127.0.0.1', 0)).port;
    try {
      assert.equal((await http(p, 'GET', keysPath(ZONE), { token: admin })).status, 404);
      assert.equal((await http(p, 'POST', `${keysPath(ZONE)}/rollover`, { token: admin, body: { kind: 'zsk' } })).status, 404);
      assert.equal((await http(p, 'POST', `${keysPath(ZONE)}/ds-seen`, { token: admin, body: {} })).status, 404);
    } finally {
      await bare.close();
    }
  });
});
