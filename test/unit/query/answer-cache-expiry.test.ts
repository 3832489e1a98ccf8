/**
 * Cached answers never outlive their signatures. An answer with RRSIGs stays in the answer cache
 * only while every signature in it has more than an hour left, and for an hour at most; a zone
 * with no writes and no stored names (so no store event ever drops its cached answers) must still
 * answer DNSKEY and SOA with signatures valid at the time of the query, weeks later.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { RrType } from '../../../core/rr-types.js';
import { KeyService } from '../../../server/dnssec/key-service.js';
import { SigningProvider } from '../../../server/dnssec/signing-provider.js';
import { AnswerCache } from '../../../server/query/answer-cache.js';
import { createQueryHandler } from '../../../server/query/pipeline.js';
import { ProbeCache } from '../../../server/query/probe-cache.js';
import { NO_METRICS } from '../../../server/query/query-metrics.js';
import type { QueryHandler } from '../../../server/transport/types.js';
import { SignatureCache } from '../../../signer/signature-cache.js';
import { createMemoryStore } from '../../../zone-store/memory-zone-store.js';
import { buildQuery } from '../../helpers/raw-dns.js';

const ZONE = 'empty.example.';
const DAY = 86_400;

describe('answer cache and signature lifetimes', () => {
  let dir: string;
  let now: number;
  let cache: AnswerCache;
  let handler: QueryHandler;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idzone-ac-exp-'));
    now = Math.floor(Date.now() / 1000);
    const clock = (): number => now;
    const store = createMemoryStore({ now: clock });
    const keys = new KeyService({ dataDir: dir, store, log: () => undefined, clock });
    store.setSigner(keys.registry);
    keys.createZoneKeys(store.createZone(ZONE));
    const provider = new SigningProvider({ dataDir: dir, reader: store, cache: new SignatureCache({ maxBytes: 1 << 20, clock }), clock, log: () => undefined });
    cache = new AnswerCache(1 << 20, 32768, clock);
    handler = createQueryHandler({ reader: store, dnssec: provider, cache, probes: new ProbeCache(), metrics: NO_METRICS, log: () => undefined });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The RRSIG expirations in the answer to `qtype` at the apex (over TCP, so it is cached). */
  async function expirations(qtype: number): Promise<number[]> {
    const out = await handler(buildQuery({ id: 1, qname: ZONE, qtype, edns: { udpSize: 1232, do: true } }), { transport: 'tcp', remoteAddress: '192.0.2.1', remotePort: 5353 });
    assert.ok(Buffer.isBuffer(out));
    const sigs = (dnsPacket.decode(out).answers ?? []).filter((a) => a.type === 'RRSIG');
    assert.ok(sigs.length > 0, 'signed answer');
    return sigs.map((s) => (s.data as { expiration: number }).expiration);
  }

  for (const [name, qtype] of [['DNSKEY', RrType.DNSKEY], ['SOA', RrType.SOA]] as const) {
    it(`answers ${name} with signatures valid now, weeks after the answer was first cached`, async () => {
      for (let i = 0; i < 3; i++) await expirations(qtype);
      assert.ok(cache.stats.hits >= 1, 'the answer was served from the cache');
      for (let day = 1; day <= 40; day++) {
        now += DAY;
        for (const e of await expirations(qtype)) assert.ok(e > now + 3600, `day ${day}: an RRSIG expiring at ${e}, now ${now}`);
      }
    });
  }

  it('keeps an answer at most an hour, and not at all when a signature in it has less than an hour left', () => {
    const admit = (key: string, until: number): boolean => {
      cache.set(key, ZONE, ZONE, 'zone', Buffer.alloc(10), undefined, () => until);
      return cache.set(key, ZONE, ZONE, 'zone', Buffer.alloc(10), undefined, () => until);
    };
    assert.equal(admit('a', now + 10 * DAY), true);
    now += 3599;
    assert.ok(cache.get('a') !== undefined);
    now += 2;
    assert.equal(cache.get('a'), undefined, 'gone after an hour');
    assert.equal(admit('b', now + 1800), false, 'a signature with half an hour left is not cached');
    assert.equal(admit('c', now + 5400), true);
    now += 1799;
    assert.ok(cache.get('c') !== undefined);
    now += 2;
    assert.equal(cache.get('c'), undefined, 'gone an hour before its signature expires');
  });
});
