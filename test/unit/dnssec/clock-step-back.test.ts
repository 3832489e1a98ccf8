/**
  * Signatures made while the clock ran ahead keep being served after NTP steps it back,
 * although their inception lies in the future; neither the re-signer, the signature cache nor the
 * answer cache replaces them. Run: npx tsc && npx mocha dist/test/review/clock-step-back.test.js
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { encodeTlsa } from '../../../core/identity-rdata.js';
import { RrType } from '../../../core/rr-types.js';
import { KeyService } from '../../../server/dnssec/key-service.js';
import { Resigner } from '../../../server/dnssec/resigner.js';
import { SigningProvider } from '../../../server/dnssec/signing-provider.js';
import { AnswerCache } from '../../../server/query/answer-cache.js';
import { createQueryHandler } from '../../../server/query/pipeline.js';
import { ProbeCache } from '../../../server/query/probe-cache.js';
import { NO_METRICS } from '../../../server/query/query-metrics.js';
import { SignatureCache } from '../../../signer/signature-cache.js';
import { openSqliteStore } from '../../../zone-store/sqlite-zone-store.js';
import { buildQuery, readMessage, recordsOf, rrsigFields } from '../../helpers/raw-dns.js';

const ZONE = 'ahead.example.';
const DAY = 86400;

describe('dnssec: the clock stepped back after running ahead', () => {
  it('serves no RRSIG whose inception is still in the future once the clock is right again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idzone-ahead-'));
    const real = Math.floor(Date.now() / 1000);
    let now = real + 20 * DAY; // the host clock runs 20 days ahead
    const clock = (): number => now;
    const store = openSqliteStore(dir, { create: true, now: clock });
    const keys = new KeyService({ dataDir: dir, store, log: () => undefined, clock });
    store.setSigner(keys.registry);
    keys.createZoneKeys(store.createZone(ZONE));
    const tlsa = encodeTlsa({ usage: 3, selector: 1, matchingType: 1, data: createHash('sha256').update('x').digest() });
    store.applyChanges(ZONE, [{ op: 'put', owner: `dev.${ZONE}`, rrsets: [{ type: RrType.TLSA, ttl: 60, rdatas: [tlsa] }] }]);
    const provider = new SigningProvider({ dataDir: dir, reader: store, cache: new SignatureCache({ maxBytes: 1 << 20, clock }), clock, log: () => undefined });
    const handler = createQueryHandler({ reader: store, dnssec: provider, cache: new AnswerCache(1 << 20, 32768, clock), probes: new ProbeCache(), metrics: NO_METRICS, log: () => undefined });
    const resigner = new Resigner({ store, signerFor: (z) => keys.registry.get(z), clock, log: () => undefined });
    const ask = async (qname: string, qtype: number): Promise<{ typeCovered: number; inception: number }[]> => {
      const out = await handler(buildQuery({ id: 1, qname, qtype, edns: { udpSize: 1232, do: true } }), { transport: 'tcp', remoteAddress: '192.0.2.1', remotePort: 53 });
      return recordsOf(readMessage(out as Buffer), RrType.RRSIG).map((r) => rrsigFields(r.rdata));
    };
    const qs: [string, number][] = [[`dev.${ZONE}`, RrType.TLSA], [ZONE, RrType.DNSKEY], [ZONE, RrType.SOA], [`nx.${ZONE}`, RrType.TLSA]];
    for (const [n, t] of qs) for (let i = 0; i < 3; i++) await ask(n, t); // warm the caches
    now = real; // NTP steps the clock back
    resigner.runPassSync(ZONE); // the hourly pass
    now += 6 * 3600;
    resigner.runPassSync(ZONE);
    const bad: string[] = [];
    for (const [n, t] of qs) for (const s of await ask(n, t)) if (s.inception > now) bad.push(`${n} RRSIG(${s.typeCovered}) inception +${((s.inception - now) / DAY).toFixed(1)} d`);
    store.close();
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(bad, []);
  });
});
