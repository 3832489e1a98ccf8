/**
 * Response rate limiting inside the query pipeline (server/query/pipeline.ts) with a hand-driven
 * clock: a cached wildcard answer stays in its encloser's bucket (priming the cache over TCP does
 * not open one bucket per name), a held-back answer asks the zone's signer for nothing, and
 * held-back answers are not counted as answers.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ZONE, demoChanges } from '../../../cli/demo-zone.js';
import { RrType } from '../../../core/rr-types.js';
import { KeyService } from '../../../server/dnssec/key-service.js';
import { SigningProvider } from '../../../server/dnssec/signing-provider.js';
import { AnswerCache } from '../../../server/query/answer-cache.js';
import { createQueryHandler } from '../../../server/query/pipeline.js';
import { ProbeCache } from '../../../server/query/probe-cache.js';
import { NO_METRICS, type QueryMetrics } from '../../../server/query/query-metrics.js';
import { RRL_DEFAULTS, ResponseRateLimiter } from '../../../server/query/rate-limit.js';
import { isUnavailable, type DnssecProvider } from '../../../server/query/zone-signing.js';
import type { QueryHandler, TransportKind } from '../../../server/transport/types.js';
import { SignatureCache } from '../../../signer/signature-cache.js';
import { createMemoryStore } from '../../../zone-store/memory-zone-store.js';
import { buildQuery } from '../../helpers/raw-dns.js';

const NOW = Math.floor(Date.now() / 1000);
const COMPACT = 'compact.example.';

describe('rate limiting in the query pipeline', () => {
  let dir: string;
  let handler: QueryHandler;
  let ms: number;
  let signerCalls: number;
  const observed: number[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idzone-rrl-pipe-'));
    const clock = (): number => NOW;
    const store = createMemoryStore({ now: clock });
    const keys = new KeyService({ dataDir: dir, store, log: () => undefined, clock });
    store.setSigner(keys.registry);
    keys.createZoneKeys(store.createZone(DEMO_ZONE));
    store.applyChanges(DEMO_ZONE, demoChanges());
    keys.createZoneKeys(store.createZone(COMPACT, { denial: 'compact' }));
    store.applyChanges(COMPACT, ['a', 'b', 'c', 'd', 'e'].map((n) => ({ op: 'put' as const, owner: `${n}.${COMPACT}`, rrsets: [{ type: RrType.TLSA, ttl: 60, rdatas: [Buffer.concat([Buffer.from([3, 1, 1]), Buffer.alloc(32, 1)])] }] })));
    const provider = new SigningProvider({ dataDir: dir, reader: store, cache: new SignatureCache({ maxBytes: 1 << 20, clock }), clock, log: () => undefined });
    // Every call into a zone's signing object is counted: none may happen for a held-back answer.
    signerCalls = 0;
    const counting: DnssecProvider = {
      forZone(zone) {
        const s = provider.forZone(zone);
        if (s === undefined || isUnavailable(s)) return s;
        return new Proxy(s, {
          get(target, prop, receiver) {
            const v = Reflect.get(target, prop, receiver) as unknown;
            if (typeof v !== 'function') return v;
            return (...args: unknown[]) => {
              signerCalls++;
              return (v as (...a: unknown[]) => unknown).apply(target, args);
            };
          },
        });
      },
      invalidate: (z) => provider.invalidate(z),
    };
    ms = 1_000_000;
    observed.length = 0;
    const metrics: QueryMetrics = { ...NO_METRICS, observe: (_t, _qt, rcode) => void observed.push(rcode) };
    const rrl = new ResponseRateLimiter({ ...RRL_DEFAULTS, rate: 1, slip: 0 }, () => ms);
    handler = createQueryHandler({ reader: store, dnssec: counting, cache: new AnswerCache(1 << 20), probes: new ProbeCache(), metrics, log: () => undefined, rrl });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function ask(qname: string, qtype: number, transport: TransportKind, dnssecOk = false, address = '192.0.2.1'): Promise<'SENT' | 'DROP'> {
    const r = await handler(buildQuery({ id: 7, qname, qtype, edns: { udpSize: 1232, do: dnssecOk } }), { transport, remoteAddress: address, remotePort: 5353 });
    return r === null ? 'DROP' : 'SENT';
  }

  it('keeps a cached wildcard answer in its encloser bucket, however the cache was filled', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `host${i}.site7.${DEMO_ZONE}`);
    const expected = ['SENT', ...Array<string>(7).fill('DROP')];
    const cold: string[] = [];
    for (const n of names) cold.push(await ask(n, RrType.TLSA, 'udp'));
    assert.deepEqual(cold, expected);
    ms += 10_000;
    // TCP is never limited, and its answers are cached (the cache admits on the second miss).
    for (const n of names) for (let i = 0; i < 2; i++) assert.equal(await ask(n, RrType.TLSA, 'tcp', false, '198.51.100.1'), 'SENT');
    const warm: string[] = [];
    for (const n of names) warm.push(await ask(n, RrType.TLSA, 'udp'));
    assert.deepEqual(warm, expected);
  });

  it('asks the signer for nothing when it holds an answer back, and does not count it as answered', async () => {
    let sent = 0;
    for (const n of ['a', 'b', 'c', 'd', 'e']) {
      for (let i = 0; i < 6; i++) {
        const before = signerCalls;
        // NODATA in a compact-denial zone: its NSEC3 is signed per question when sent.
        const r = await ask(`${n}.${COMPACT}`, RrType.A, 'udp', true);
        if (r === 'SENT') sent++;
        else assert.equal(signerCalls, before, `${n}: a dropped NODATA called the signer`);
      }
    }
    assert.equal(sent, 5, 'one answer per name per second');
    assert.equal(observed.length, 5, 'only answers sent are counted');
    const before = signerCalls;
    for (let i = 0; i < 5; i++) assert.equal(await ask(`x${i}.nosuch.${DEMO_ZONE}`, RrType.TLSA, 'udp', true), i === 0 ? 'SENT' : 'DROP');
    assert.ok(signerCalls > before, 'the denial that was sent was signed');
    const afterFirst = signerCalls;
    assert.equal(await ask(`x9.nosuch.${DEMO_ZONE}`, RrType.TLSA, 'udp', true), 'DROP');
    assert.equal(signerCalls, afterFirst, 'a dropped denial called the signer');
  });
});
