/**
 * Negative answers against a real server (RFC 2308 §2.1, §2.2, §3; RFC 9077 §3; RFC 8906
 * §3.1.2): NODATA for every type not held at an existing name (device, service name, apex,
 * empty non-terminal), with the apex SOA in AUTHORITY whose TTL is min(SOA TTL, SOA MINIMUM)
 * (60 in the demo zone, whose SOA TTL is 3600); NXDOMAIN for absent names, likewise; an unknown
 * type at an existing name is NODATA, never SERVFAIL or a drop.
 */
import assert from 'node:assert/strict';
import { DEMO_NAMES, RC, T, useServer, ZONE } from '../helpers/conformance-fixture.js';
import { kdigJson } from '../helpers/dns-tools.js';
import { ask, randomLabel, readName, recordsOf, rrsigFields, type RawMessage } from '../helpers/raw-dns.js';
import { fetchDnskeys, verifyResponse } from '../helpers/verify-response.js';

const NEGATIVE_TTL = 60;
const SOA_TTL = 3600;

/** SOA MINIMUM, the last 32-bit field of the SOA RDATA (RFC 1035 §3.3.13). */
function soaMinimum(rdata: Buffer): number {
  return rdata.readUInt32BE(rdata.length - 4);
}

function checkNegativeSoa(m: RawMessage, why: string): void {
  const soa = recordsOf(m, T.SOA, 'authority');
  assert.equal(soa.length, 1, `${why}: one SOA in AUTHORITY`);
  assert.equal(soa[0]!.name, ZONE, `${why}: the apex SOA`);
  assert.equal(soa[0]!.ttl, Math.min(SOA_TTL, soaMinimum(soa[0]!.rdata)), `${why}: SOA TTL = min(SOA TTL, MINIMUM)`);
  assert.equal(soa[0]!.ttl, NEGATIVE_TTL, why);
  assert.deepEqual(recordsOf(m, T.SOA, 'answer'), [], `${why}: no SOA in ANSWER`);
}

describe('conformance: RFC 2308 negative answers', function () {
  this.timeout(15_000);
  const s = useServer();
  const port = (): number => s.t.dnsPort;

  it('the apex SOA itself has TTL 3600 and MINIMUM 60 (premise of the other tests)', async () => {
    const m = await ask(port(), ZONE, T.SOA, { edns: { do: false } });
    const soa = recordsOf(m, T.SOA, 'answer');
    assert.equal(soa.length, 1);
    assert.equal(soa[0]!.ttl, SOA_TTL);
    assert.equal(soaMinimum(soa[0]!.rdata), NEGATIVE_TTL);
    const [mname, end] = readName(soa[0]!.rdata, 0);
    assert.ok(mname.length > 1);
    assert.ok(readName(soa[0]!.rdata, end)[0].length > 1);
  });

  describe('NODATA at every existing name (RFC 2308 §2.2)', () => {
    const cases: [string, number][] = [
      ['sensor1._device.example.net.', T.A],
      ['sensor1._device.example.net.', T.AAAA],
      ['sensor2._device.example.net.', T.SSHFP],
      ['camera7._device.example.net.', T.MX],
      ['_mqtt-client.sensor1._device.example.net.', T.SSHFP],
      ['gw1.site7._device.example.net.', T.TXT],
      ['site7._device.example.net.', T.TLSA], // empty non-terminal
      ['site7._device.example.net.', T.A],
      [ZONE, T.TLSA], // the apex holds no identity data
      [ZONE, T.A],
      ['*._device.example.net.', T.SSHFP], // the wildcard owner asked literally
      ['sensor1._device.example.net.', 65280], // private-use type (RFC 8906 §3.1.2)
      ['sensor1._device.example.net.', 999], // unassigned type
    ];
    for (const [qname, qtype] of cases) {
      for (const dnssec of [false, true]) {
        it(`${qname} type ${qtype} DO=${dnssec ? 1 : 0}: NOERROR, AA, empty answer, SOA TTL 60`, async () => {
          const m = await ask(port(), qname, qtype, { edns: { do: dnssec } });
          assert.equal(m.rcode, RC.NOERROR);
          assert.equal(m.aa, true);
          assert.deepEqual(m.records.filter((r) => r.section === 'answer'), []);
          checkNegativeSoa(m, `${qname}/${qtype}`);
          if (dnssec) {
            assert.equal(recordsOf(m, T.RRSIG, 'authority').filter((r) => r.rdata.readUInt16BE(0) === T.SOA).length, 1, 'SOA RRSIG');
            for (const r of recordsOf(m, T.RRSIG, 'authority')) assert.equal(r.ttl, NEGATIVE_TTL, 'RRSIG TTL in a negative answer');
            // RFC 4034 §3.1.4: the Original TTL is the SOA's TTL in the zone, not the negative TTL.
            const soaSig = recordsOf(m, T.RRSIG, 'authority').find((r) => r.rdata.readUInt16BE(0) === T.SOA)!;
            assert.equal(rrsigFields(soaSig.rdata).originalTtl, 3600, 'SOA RRSIG original TTL');
          }
        });
      }
    }
  });

  describe('NXDOMAIN (RFC 2308 §2.1)', () => {
    const parents = DEMO_NAMES.filter((n) => n !== ZONE);
    for (const parent of parents) {
      for (const dnssec of [false, true]) {
        it(`random label under ${parent} DO=${dnssec ? 1 : 0}: NXDOMAIN, AA, SOA TTL 60`, async () => {
          const m = await ask(port(), `${randomLabel()}.${parent}`, T.TLSA, { edns: { do: dnssec } });
          assert.equal(m.rcode, RC.NXDOMAIN);
          assert.equal(m.aa, true);
          assert.deepEqual(m.records.filter((r) => r.section === 'answer'), []);
          checkNegativeSoa(m, parent);
          for (const r of m.records.filter((x) => x.section === 'authority')) assert.equal(r.ttl, NEGATIVE_TTL, `${r.name}/${r.type} TTL`);
        });
      }
    }

    it('a deep random name (three labels under a device) is NXDOMAIN too', async () => {
      const m = await ask(port(), `${randomLabel()}.${randomLabel()}.${randomLabel()}.camera7.${ZONE}`, T.SSHFP);
      assert.equal(m.rcode, RC.NXDOMAIN);
      checkNegativeSoa(m, 'deep');
    });

    it('kdig sees NXDOMAIN with AA for a random name below a device', async () => {
      const m = await kdigJson(s.t, [`${randomLabel()}.sensor1.${ZONE}`, 'TLSA']);
      assert.equal(m.RCODE, 3);
      assert.equal(m.AA, 1);
      const soa = (m.authorityRRs ?? []).find((r) => r.TYPE === T.SOA);
      assert.equal(soa?.TTL, NEGATIVE_TTL);
    });
  });

  it('negative answers are not cached past a change: a name added later is found at once', async () => {
    const owner = `late-${randomLabel(6)}.sensor2.${ZONE}`;
    const before = await ask(port(), owner, T.TLSA);
    assert.equal(before.rcode, RC.NXDOMAIN);
    s.t.store.applyChanges(ZONE, [{ op: 'put', owner, rrsets: [{ type: T.TLSA, ttl: 60, rdatas: [Buffer.concat([Buffer.from([3, 1, 1]), Buffer.alloc(32, 7)])] }] }]);
    const after = await ask(port(), owner, T.TLSA);
    assert.equal(after.rcode, RC.NOERROR);
    assert.equal(recordsOf(after, T.TLSA, 'answer').length, 1);
    s.t.store.applyChanges(ZONE, [{ op: 'delete', owner }]);
    const gone = await ask(port(), owner, T.TLSA);
    assert.equal(gone.rcode, RC.NXDOMAIN);
  });
  it('empty non-terminals appear and disappear with their descendants (RFC 4592 §2.2.2)', async () => {
    const ent = `e${randomLabel(6)}.sensor2.${ZONE}`;
    const leaf = `leaf.${ent}`;
    assert.equal((await ask(port(), ent, T.TLSA)).rcode, RC.NXDOMAIN);
    s.t.store.applyChanges(ZONE, [{ op: 'put', owner: leaf, rrsets: [{ type: T.TLSA, ttl: 60, rdatas: [Buffer.concat([Buffer.from([3, 1, 1]), Buffer.alloc(32, 8)])] }] }]);
    const asEnt = await ask(port(), ent, T.TLSA);
    assert.equal(asEnt.rcode, RC.NOERROR, 'the parent of a new name is an ENT: NODATA');
    checkNegativeSoa(asEnt, 'new ENT');
    assert.equal((await ask(port(), `x.${ent}`, T.TLSA)).rcode, RC.NXDOMAIN);
    s.t.store.applyChanges(ZONE, [{ op: 'delete', owner: leaf }]);
    assert.equal((await ask(port(), ent, T.TLSA)).rcode, RC.NXDOMAIN, 'the ENT is gone with its only descendant');
    assert.equal((await ask(port(), leaf, T.TLSA)).rcode, RC.NXDOMAIN);
  });

  it('the SOA serial grows with each change and negative answers carry the new one (RFC 1982)', async () => {
    const serialOf = async (): Promise<number> => {
      const m = await ask(port(), `${randomLabel()}.sensor1.${ZONE}`, T.TLSA);
      const soa = recordsOf(m, T.SOA, 'authority')[0]!.rdata;
      return soa.readUInt32BE(soa.length - 20);
    };
    const before = await serialOf();
    const owner = `serial-${randomLabel(6)}.camera7.${ZONE}`;
    s.t.store.applyChanges(ZONE, [{ op: 'put', owner, rrsets: [{ type: T.TLSA, ttl: 60, rdatas: [Buffer.concat([Buffer.from([3, 1, 1]), Buffer.alloc(32, 4)])] }] }]);
    const after = await serialOf();
    assert.ok(((after - before + 2 ** 32) % 2 ** 32) > 0 && ((after - before + 2 ** 32) % 2 ** 32) < 2 ** 31, `serial ${before} → ${after}`);
    const apex = recordsOf(await ask(port(), ZONE, T.SOA), T.SOA, 'answer')[0]!.rdata;
    assert.equal(apex.readUInt32BE(apex.length - 20), after, 'the apex SOA answer has the new serial too');
  });

  it('DS at a device (not a delegation): NODATA with the matching NSEC3, no DS bit', async () => {
    const m = await ask(port(), `sensor1.${ZONE}`, 43);
    assert.equal(m.rcode, RC.NOERROR);
    checkNegativeSoa(m, 'DS');
    assert.equal(recordsOf(m, T.NSEC3).length, 1);
  });
  it('a zone whose SOA TTL (30) is below its MINIMUM (300): negative SOA, NSEC3 and their RRSIGs get 30 (RFC 9077 §3)', async () => {
    const z2 = '_device.short-ttl.example.';
    s.t.server.keys.createZoneKeys(s.t.store.createZone(z2, { soaTtl: 30, negativeTtl: 300 }));
    s.t.store.applyChanges(z2, [{ op: 'put', owner: `d.${z2}`, rrsets: [{ type: T.TLSA, ttl: 60, rdatas: [Buffer.concat([Buffer.from([3, 1, 1]), Buffer.alloc(32, 5)])] }] }]);
    const keys = await fetchDnskeys(port(), z2);
    for (const [qname, qtype] of [[`x.d.${z2}`, T.TLSA], [`d.${z2}`, T.A]] as const) {
      const m = await ask(port(), qname, qtype);
      const auth = m.records.filter((r) => r.section === 'authority');
      assert.ok(auth.length >= 4);
      for (const r of auth) assert.equal(r.ttl, 30, `${r.name} type ${r.type} TTL`);
      assert.equal(soaMinimum(recordsOf(m, T.SOA, 'authority')[0]!.rdata), 300);
      verifyResponse(m, keys, z2);
    }
    const soa = await ask(port(), z2, T.SOA);
    assert.equal(recordsOf(soa, T.SOA, 'answer')[0]!.ttl, 30);
  });
});
