/**
 * Every signature in a sample of DO=1 answers verifies with @noble/curves, an implementation
 * independent of OpenSSL (issue 3 judgement; RFC 4034 §3.1.8.1, §6; RFC 4035 §5.3; RFC 6605):
 * positive TLSA and SSHFP answers, a service-specific name, wildcard expansions, NODATA, ENT
 * NODATA, wildcard NODATA, NXDOMAIN, the apex RRsets (SOA, NS, DNSKEY, CDS, CDNSKEY, NSEC3PARAM),
 * type RRSIG queries, a large answer over TCP and a name written while the server runs. The keys
 * come from the server's own DNSKEY answer; each RRSIG's fields are checked as a validator would.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { T, useServer, ZONE } from '../helpers/conformance-fixture.js';
import { ask, askTcp, randomLabel, recordsOf } from '../helpers/raw-dns.js';
import { fetchDnskeys, verifyResponse } from '../helpers/verify-response.js';

describe('conformance: every RRSIG verifies with @noble/curves', function () {
  this.timeout(20_000);
  const s = useServer();
  const port = (): number => s.t.dnsPort;
  let keys: Buffer[] = [];

  before(async () => {
    keys = await fetchDnskeys(port(), ZONE);
  });

  const samples: [string, () => string, number, number][] = [
    ['TLSA answer', () => `sensor1.${ZONE}`, T.TLSA, 1],
    ['TLSA answer (SHA-512)', () => `sensor2.${ZONE}`, T.TLSA, 1],
    ['SSHFP answer (2 records)', () => `camera7.${ZONE}`, T.SSHFP, 1],
    ['service-specific name', () => `_mqtt-client.sensor1.${ZONE}`, T.TLSA, 1],
    ['two labels below an ENT', () => `gw1.site7.${ZONE}`, T.TLSA, 1],
    ['wildcard TLSA answer', () => `${randomLabel()}.${ZONE}`, T.TLSA, 2],
    ['deep wildcard TLSA answer', () => `x.y.${randomLabel()}.${ZONE}`, T.TLSA, 2],
    ['NODATA (A at a device)', () => `sensor1.${ZONE}`, T.A, 2],
    ['NODATA at the ENT', () => `site7.${ZONE}`, T.TLSA, 2],
    ['NODATA at the apex', () => ZONE, T.TLSA, 2],
    ['wildcard NODATA', () => `${randomLabel()}.${ZONE}`, T.A, 4],
    ['NXDOMAIN (random below a device)', () => `${randomLabel()}.sensor2.${ZONE}`, T.TLSA, 4],
    ['NXDOMAIN (CE = ENT)', () => `${randomLabel()}.site7.${ZONE}`, T.TLSA, 4],
    ['NXDOMAIN (below the wildcard)', () => `${randomLabel()}.*.${ZONE}`, T.TLSA, 4],
    ['DNSKEY', () => ZONE, T.DNSKEY, 1],
    ['SOA', () => ZONE, T.SOA, 1],
    ['NS', () => ZONE, T.NS, 1],
    ['CDS', () => ZONE, T.CDS, 1],
    ['CDNSKEY', () => ZONE, T.CDNSKEY, 1],
    ['NSEC3PARAM', () => ZONE, T.NSEC3PARAM, 1],
    ['ANY at a device', () => `camera7.${ZONE}`, T.ANY, 1],
  ];
  for (const [label, qname, qtype, minSigs] of samples) {
    it(`${label}: all signatures verify (UDP and TCP)`, async () => {
      const name = qname();
      for (const m of [await ask(port(), name, qtype), await askTcp(port(), name, qtype)]) {
        assert.equal(m.tc, false);
        const r = verifyResponse(m, keys, ZONE);
        assert.ok(r.signatures >= minSigs, `${r.signatures} signatures, want at least ${minSigs}`);
      }
    });
  }

  it('the same random NXDOMAIN asked twice (cached answer) still verifies', async () => {
    const q = `${randomLabel()}.camera7.${ZONE}`;
    verifyResponse(await ask(port(), q, T.TLSA), keys, ZONE);
    verifyResponse(await ask(port(), q.toUpperCase(), T.TLSA), keys, ZONE);
  });

  it('type RRSIG query: each returned RRSIG verifies over the RRset it covers', async () => {
    const sigs = recordsOf(await ask(port(), `sensor1.${ZONE}`, T.RRSIG), T.RRSIG, 'answer');
    assert.ok(sigs.length >= 2);
    for (const type of [T.TLSA, T.SSHFP]) {
      const data = await ask(port(), `sensor1.${ZONE}`, type);
      const own = sigs.filter((sg) => sg.rdata.readUInt16BE(0) === type);
      assert.equal(own.length, 1);
      // Put the RRSIG from the RRSIG answer beside the data from the typed answer.
      const merged = { ...data, records: [...data.records.filter((r) => r.type !== T.RRSIG), ...own] };
      verifyResponse(merged, keys, ZONE);
    }
  });

  it('a large answer (30 TLSA over TCP) and a name written while serving verify', async () => {
    const owner = `fleet-${randomLabel(6)}.${ZONE}`;
    const rdatas = Array.from({ length: 30 }, () => Buffer.concat([Buffer.from([3, 1, 1]), randomBytes(32)]));
    s.t.store.applyChanges(ZONE, [{ op: 'put', owner, rrsets: [{ type: T.TLSA, ttl: 300, rdatas }, { type: T.SSHFP, ttl: 300, rdatas: [Buffer.concat([Buffer.from([4, 2]), randomBytes(32)])] }] }]);
    const m = await askTcp(port(), owner, T.TLSA);
    assert.equal(recordsOf(m, T.TLSA, 'answer').length, 30);
    verifyResponse(m, keys, ZONE);
    verifyResponse(await ask(port(), owner, T.SSHFP), keys, ZONE);
    verifyResponse(await ask(port(), owner, T.A), keys, ZONE);
    verifyResponse(await ask(port(), `${randomLabel()}.${owner}`, T.TLSA), keys, ZONE);
  });
});
