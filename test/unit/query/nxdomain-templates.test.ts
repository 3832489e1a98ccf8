/**
 * Signed NXDOMAIN answers assembled from templates (server/query/nxdomain-templates.ts) are the
 * bytes the full plan-and-encode path makes. The zone signs with Ed25519, whose signatures are
 * deterministic (and the expiration jitter is derived from the owner), so two handlers on one
 * store, one with templates and one without, must answer every question identically: random
 * names under the apex, under a device, under an empty non-terminal and deep below, in mixed case,
 * over the client's UDP size (TC) and not, before and after changes and as the clock moves on.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ZONE, demoChanges } from '../../../cli/demo-zone.js';
import { Rcode, RrType } from '../../../core/rr-types.js';
import { KeyService } from '../../../server/dnssec/key-service.js';
import { SigningProvider } from '../../../server/dnssec/signing-provider.js';
import { AnswerCache } from '../../../server/query/answer-cache.js';
import { NxdomainTemplates } from '../../../server/query/nxdomain-templates.js';
import { createQueryHandler } from '../../../server/query/pipeline.js';
import { ProbeCache } from '../../../server/query/probe-cache.js';
import { NO_METRICS } from '../../../server/query/query-metrics.js';
import { isUnavailable, type ZoneSigning } from '../../../server/query/zone-signing.js';
import type { QueryHandler } from '../../../server/transport/types.js';
import { DnssecAlgorithm } from '../../../signer/keys.js';
import { nsec3Cover, nsec3Match } from '../../../signer/nsec3.js';
import { SignatureCache } from '../../../signer/signature-cache.js';
import { createMemoryStore, type MemoryZoneStore } from '../../../zone-store/memory-zone-store.js';
import { buildQuery } from '../../helpers/raw-dns.js';

const COMPACT = 'compact.example.';
const tlsa = (n: number): Buffer => Buffer.concat([Buffer.from([3, 1, 1]), Buffer.alloc(32, n)]);

describe('signed NXDOMAIN from templates', () => {
  let dir: string;
  let now: number;
  let store: MemoryZoneStore;
  let provider: SigningProvider;
  let templates: NxdomainTemplates;
  let withTemplates: QueryHandler;
  let planned: QueryHandler;
  let templateCalls: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idzone-nxt-'));
    now = Math.floor(Date.now() / 1000);
    const clock = (): number => now;
    store = createMemoryStore({ now: clock });
    const keys = new KeyService({ dataDir: dir, store, log: () => undefined, clock });
    store.setSigner(keys.registry);
    keys.createZoneKeys(store.createZone(DEMO_ZONE), 'ksk-zsk', DnssecAlgorithm.ED25519);
    store.applyChanges(DEMO_ZONE, [...demoChanges(), { op: 'put', owner: `dev.floor2.${DEMO_ZONE}`, rrsets: [{ type: RrType.TLSA, ttl: 60, rdatas: [tlsa(9)] }] }]);
    keys.createZoneKeys(store.createZone(COMPACT, { denial: 'compact' }), 'ksk-zsk', DnssecAlgorithm.ED25519);
    store.applyChanges(COMPACT, [{ op: 'put', owner: `a.${COMPACT}`, rrsets: [{ type: RrType.TLSA, ttl: 60, rdatas: [tlsa(1)] }] }]);
    provider = new SigningProvider({ dataDir: dir, reader: store, cache: new SignatureCache({ maxBytes: 1 << 20, clock }), clock, log: () => undefined });
    templates = new NxdomainTemplates();
    const get = templates.get.bind(templates);
    templateCalls = 0;
    templates.get = (...a) => {
      templateCalls++;
      return get(...a);
    };
    const probesA = new ProbeCache();
    const probesB = new ProbeCache();
    // As dns-service.ts does: every store event drops what the query path remembers of the zone.
    store.onEvent((e) => {
      if (e.kind === 'zones') return;
      probesA.onZoneEvent(e.zone);
      probesB.onZoneEvent(e.zone);
      templates.onZoneEvent(e.zone);
    });
    withTemplates = createQueryHandler({ reader: store, dnssec: provider, cache: new AnswerCache(0), probes: probesA, nxdomainTemplates: templates, metrics: NO_METRICS, log: () => undefined });
    planned = createQueryHandler({ reader: store, dnssec: provider, cache: new AnswerCache(0), probes: probesB, metrics: NO_METRICS, log: () => undefined });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const randomCase = (name: string): string => [...name].map((c) => (Math.random() < 0.5 ? c.toUpperCase() : c)).join('');
  const randomLabel = (): string => randomBytes(1 + Math.floor(Math.random() * 20)).toString('hex');

  async function both(qname: string, qtype: number, udpSize: number): Promise<[Buffer, Buffer]> {
    const msg = buildQuery({ id: 4242, qname, qtype, edns: { udpSize, do: true } });
    const ctx = { transport: 'udp' as const, remoteAddress: '192.0.2.1', remotePort: 5353 };
    const a = await withTemplates(msg, ctx);
    const b = await planned(msg, ctx);
    assert.ok(Buffer.isBuffer(a) && Buffer.isBuffer(b));
    return [a, b];
  }

  async function assertSameAnswers(count: number): Promise<void> {
    const parents = [DEMO_ZONE, `sensor1.${DEMO_ZONE}`, `floor2.${DEMO_ZONE}`, `_mqtt-client.sensor1.${DEMO_ZONE}`];
    for (let i = 0; i < count; i++) {
      const parent = parents[i % parents.length]!;
      const qname = randomCase(i % 3 === 0 ? `a.b.${randomLabel()}.${parent}` : `${randomLabel()}.${parent}`);
      const qtype = [RrType.TLSA, RrType.A, RrType.SSHFP][i % 3]!;
      const udpSize = i % 5 === 0 ? 512 : 1232;
      const [a, b] = await both(qname, qtype, udpSize);
      assert.deepEqual(a, b, `${qname} type ${qtype} size ${udpSize}`);
      if (udpSize === 1232) assert.equal(a[3]! & 0x0f, Rcode.NXDOMAIN, qname);
      else assert.ok((a[2]! & 0x02) !== 0, `${qname}: TC over 512 octets`);
    }
  }

  it('answers exactly as the planned path, under the apex, a device, an empty non-terminal and deeper', async () => {
    await assertSameAnswers(200);
    assert.ok(templateCalls >= 160, `templates asked ${templateCalls} times`);
  });

  describe('questions at or below an NSEC3 owner of the template (found by review)', () => {
    // The full path compresses such an owner to a pointer into the question; the template's block
    // only points at the apex, so these are planned in full.
    const firstLabel = (owner: string): string => owner.slice(0, owner.indexOf('.'));
    const matchLabel = (): string => firstLabel(nsec3Match(DEMO_ZONE, DEMO_ZONE, []).owner);
    const coverLabel = (): string => firstLabel(nsec3Cover(DEMO_ZONE, '*.' + DEMO_ZONE).owner);
    for (const [what, qname] of [
      ['the apex match owner itself', (): string => `${matchLabel()}.${DEMO_ZONE}`],
      ['a name below the apex match owner', (): string => `x.${matchLabel()}.${DEMO_ZONE}`],
      ['a name below the wildcard cover owner', (): string => `x.${coverLabel()}.${DEMO_ZONE}`],
    ] as const) {
      it(`${what}: the same bytes, and TC only where the full path sets it`, async () => {
        const [a, b] = await both(qname(), RrType.TLSA, 4096);
        assert.equal(b[3]! & 0x0f, Rcode.NXDOMAIN);
        assert.deepEqual(a, b);
        const [c, d] = await both(qname(), RrType.TLSA, b.length);
        assert.equal(d[2]! & 0x02, 0);
        assert.deepEqual(c, d);
      });
    }
  });

  it('follows changes: a new serial, a new encloser, an encloser that gained types', async () => {
    await assertSameAnswers(20);
    store.applyChanges(DEMO_ZONE, [{ op: 'put', owner: `new1.${DEMO_ZONE}`, rrsets: [{ type: RrType.TLSA, ttl: 60, rdatas: [tlsa(2)] }] }]);
    await assertSameAnswers(20);
    store.applyChanges(DEMO_ZONE, [{ op: 'put', owner: `floor2.${DEMO_ZONE}`, rrsets: [{ type: RrType.SSHFP, ttl: 60, rdatas: [Buffer.concat([Buffer.from([4, 2]), Buffer.alloc(32, 7)])] }] }]);
    await assertSameAnswers(20);
    store.applyChanges(DEMO_ZONE, [{ op: 'delete', owner: `dev.floor2.${DEMO_ZONE}` }]);
    await assertSameAnswers(20);
  });

  it('is made again as the clock moves on, and with the zone signing', () => {
    const zone = store.getZone(DEMO_ZONE)!;
    const signing = provider.forZone(zone) as ZoneSigning;
    assert.ok(signing !== undefined && !isUnavailable(signing));
    const first = templates.get(zone, signing, DEMO_ZONE, undefined);
    assert.ok(first !== undefined);
    assert.equal(templates.get(zone, signing, DEMO_ZONE, undefined), first, 'kept while nothing changed');
    now += 61;
    const second = templates.get(zone, signing, DEMO_ZONE, undefined);
    assert.notEqual(second, first, 'rebuilt after a minute');
    provider.invalidate(DEMO_ZONE);
    const again = provider.forZone(zone) as ZoneSigning;
    assert.notEqual(templates.get(zone, again, DEMO_ZONE, undefined), second, 'rebuilt for new signing state');
  });

  it('keeps its answers right a minute on, after the memoised signatures were made again', async () => {
    await assertSameAnswers(10);
    now += 3700;
    await assertSameAnswers(10);
  });

  it('has none for compact denial (one record per answer, nothing to share)', async () => {
    const zone = store.getZone(COMPACT)!;
    assert.equal(templates.get(zone, provider.forZone(zone) as ZoneSigning, COMPACT, undefined), undefined);
    const [a, b] = await both(`nothere.${COMPACT}`, RrType.TLSA, 1232);
    assert.equal(a.length, b.length);
    assert.equal(a[3]! & 0x0f, Rcode.NOERROR);
  });
});
