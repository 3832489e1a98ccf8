/**
 * Compact Denial of Existence (RFC 9824, NSEC3 form; SPECS.md §4.7) as a per-zone option, against
 * a real server. A second signed zone with `denial: 'compact'` holds a device, an ENT and a
 * wildcard below it. Checked: an absent name with DO=1 is NOERROR with one NSEC3 at H(qname),
 * next H+1, bitmap NXNAME only (§3.1, §4); DO=0 keeps NXDOMAIN (§5), and so does DO=1 with the
 * Compact Answers OK flag, which the response echoes (§5.1); NODATA at an existing name is
 * one matching NSEC3 with the real types (§3.2); a wildcard expansion is signed as if the name
 * existed (RRSIG Labels = qname labels) with no NSEC3 (§3.3); qtype NXNAME is FORMERR in any zone,
 * with the Extended DNS Error "Invalid Query Type" (30) when the query had EDNS (§3.5); every
 * signature verifies with @noble/curves and delv validates the negative answers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RC, T, useServer, ZONE } from '../helpers/conformance-fixture.js';
import { delvAsync, kdig, writeTrustAnchorAsync } from '../helpers/dns-tools.js';
import { hashAdd, hashName, ownerHash, parseNsec3 } from '../helpers/nsec3-oracle.js';
import { ask, buildQuery, labelCount, randomLabel, readMessage, recordsOf, rrsigFields, udpExchange } from '../helpers/raw-dns.js';
import { fetchDnskeys, verifyResponse } from '../helpers/verify-response.js';

const CZ = '_device.compact.example.';
const tlsa = (fill: number): Buffer => Buffer.concat([Buffer.from([3, 1, 1]), Buffer.alloc(32, fill)]);

describe('conformance: RFC 9824 compact denial (NSEC3 form)', function () {
  this.timeout(20_000);
  const s = useServer();
  const port = (): number => s.t.dnsPort;
  let keys: Buffer[] = [];
  let dir = '';
  let anchors = '';

  before(async () => {
    const z = s.t.store.createZone(CZ, { denial: 'compact' });
    s.t.server.keys.createZoneKeys(z);
    s.t.store.applyChanges(CZ, [
      { op: 'put', owner: `dev1.${CZ}`, rrsets: [{ type: T.TLSA, ttl: 60, rdatas: [tlsa(1)] }] },
      { op: 'put', owner: `gw.site.${CZ}`, rrsets: [{ type: T.TLSA, ttl: 60, rdatas: [tlsa(2)] }] },
      { op: 'put', owner: `*.fleet.${CZ}`, rrsets: [{ type: T.TLSA, ttl: 60, rdatas: [tlsa(3)] }] },
    ]);
    keys = await fetchDnskeys(port(), CZ);
    dir = mkdtempSync(join(tmpdir(), 'idzone-compact-'));
    anchors = await writeTrustAnchorAsync(s.t, CZ, join(dir, 'anchors.conf'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function oneNsec3(qname: string, m: ReturnType<typeof readMessage>): ReturnType<typeof parseNsec3> {
    const recs = recordsOf(m, T.NSEC3, 'authority');
    assert.equal(recs.length, 1, 'exactly one NSEC3');
    const h = hashName(qname);
    assert.deepEqual(ownerHash(recs[0]!.name, CZ), h, 'owner = H(qname)');
    const f = parseNsec3(recs[0]!.rdata);
    assert.deepEqual(f.next, hashAdd(h, 1), 'next = H(qname)+1');
    assert.equal(f.iterations, 0);
    assert.equal(f.salt.length, 0);
    assert.equal(recs[0]!.ttl, 60);
    return f;
  }

  it('absent name, DO=1: NOERROR, AA, SOA, one NSEC3 at H(qname) with bitmap NXNAME only', async () => {
    const q = `${randomLabel()}.${CZ}`;
    const m = await ask(port(), q, T.TLSA);
    assert.equal(m.rcode, RC.NOERROR);
    assert.equal(m.aa, true);
    assert.deepEqual(m.records.filter((r) => r.section === 'answer'), []);
    assert.equal(recordsOf(m, T.SOA, 'authority').length, 1);
    assert.deepEqual(oneNsec3(q, m).types, [T.NXNAME]);
    verifyResponse(m, keys, CZ);
  });

  it('absent deep name (below a device): same single record, no closest-encloser proof', async () => {
    const q = `a.${randomLabel()}.dev1.${CZ}`;
    const m = await ask(port(), q, T.TLSA);
    assert.equal(m.rcode, RC.NOERROR);
    assert.deepEqual(oneNsec3(q, m).types, [T.NXNAME]);
  });

  it('absent name, DO=0: NXDOMAIN (RFC 9824 §5 rcode restoration)', async () => {
    const m = await ask(port(), `${randomLabel()}.${CZ}`, T.TLSA, { edns: { do: false } });
    assert.equal(m.rcode, RC.NXDOMAIN);
    assert.deepEqual(recordsOf(m, T.NSEC3), []);
  });

  it('absent name, DO=1 with Compact Answers OK: NXDOMAIN beside the same NXNAME proof, CO echoed (§5.1)', async () => {
    const q = `${randomLabel()}.${CZ}`;
    // Asked first without CO: the cached NOERROR answer must not be served to the CO query.
    assert.equal((await ask(port(), q, T.TLSA)).rcode, RC.NOERROR);
    for (let i = 0; i < 2; i++) {
      const m = await ask(port(), q, T.TLSA, { edns: { do: true, co: true } });
      assert.equal(m.rcode, RC.NXDOMAIN);
      assert.equal(m.opt?.co, true);
      assert.equal(m.opt?.do, true);
      assert.deepEqual(oneNsec3(q, m).types, [T.NXNAME]);
      verifyResponse(m, keys, CZ);
    }
    const plain = await ask(port(), q, T.TLSA);
    assert.equal(plain.rcode, RC.NOERROR);
    assert.equal(plain.opt?.co, false, 'CO only when the query set it');
  });

  it('Compact Answers OK changes nothing else: NODATA stays NOERROR, white-lies zones answer as before', async () => {
    const nodata = await ask(port(), `dev1.${CZ}`, T.A, { edns: { do: true, co: true } });
    assert.equal(nodata.rcode, RC.NOERROR);
    assert.equal(nodata.opt?.co, true);
    assert.deepEqual(oneNsec3(`dev1.${CZ}`, nodata).types, [T.RRSIG, T.TLSA]);
    // Below a device: the fixture's white-lies zone has a wildcard at its apex.
    const wl = await ask(port(), `${randomLabel()}.sensor1.${ZONE}`, T.TLSA, { edns: { do: true, co: true } });
    assert.equal(wl.rcode, RC.NXDOMAIN);
    assert.equal(wl.opt?.co, true);
    assert.equal(recordsOf(wl, T.NSEC3, 'authority').length, 3);
    verifyResponse(wl, await fetchDnskeys(port(), ZONE), ZONE);
  });

  it('absent name without EDNS: NXDOMAIN', async () => {
    const m = await ask(port(), `${randomLabel()}.${CZ}`, T.TLSA, { edns: null });
    assert.equal(m.rcode, RC.NXDOMAIN);
  });

  it('NODATA at an existing name: one matching NSEC3 with the real types (§3.2)', async () => {
    const q = `dev1.${CZ}`;
    const m = await ask(port(), q, T.A);
    assert.equal(m.rcode, RC.NOERROR);
    assert.deepEqual(oneNsec3(q, m).types, [T.RRSIG, T.TLSA]);
    verifyResponse(m, keys, CZ);
  });

  it('NODATA at the ENT: an empty bitmap', async () => {
    const q = `site.${CZ}`;
    const m = await ask(port(), q, T.TLSA);
    assert.equal(m.rcode, RC.NOERROR);
    assert.deepEqual(oneNsec3(q, m).types, []);
  });

  it('wildcard expansion: RRSIG Labels = qname labels, no NSEC3 (§3.3)', async () => {
    const q = `car-${randomLabel(5)}.fleet.${CZ}`;
    const m = await ask(port(), q, T.TLSA);
    assert.equal(m.rcode, RC.NOERROR);
    assert.deepEqual(recordsOf(m, T.TLSA, 'answer').map((r) => r.name), [q]);
    const sig = recordsOf(m, T.RRSIG, 'answer');
    assert.equal(sig.length, 1);
    assert.equal(rrsigFields(sig[0]!.rdata).labels, labelCount(q));
    assert.deepEqual(recordsOf(m, T.NSEC3), []);
    verifyResponse(m, keys, CZ);
  });

  it('type RRSIG at an expanded name: the wildcard\'s RRSIGs at the qname, not a NODATA whose bitmap lists RRSIG', async () => {
    const q = `car-${randomLabel(5)}.fleet.${CZ}`;
    const m = await ask(port(), q, T.RRSIG);
    assert.equal(m.rcode, RC.NOERROR);
    const sig = recordsOf(m, T.RRSIG, 'answer');
    assert.equal(sig.length, 1);
    assert.equal(sig[0]!.name, q);
    assert.equal(rrsigFields(sig[0]!.rdata).typeCovered, T.TLSA);
    // The stored wildcard signature (Labels = the wildcard's), made once, not one per random name.
    assert.equal(rrsigFields(sig[0]!.rdata).labels, labelCount(q) - 1);
    const again = await ask(port(), `car-${randomLabel(5)}.fleet.${CZ}`, T.RRSIG);
    assert.deepEqual(recordsOf(again, T.RRSIG, 'answer').map((r) => r.rdata.toString('hex')), [sig[0]!.rdata.toString('hex')]);
    assert.deepEqual(recordsOf(m, T.NSEC3), []);
  });

  it('wildcard NODATA: one NSEC3 at H(qname) with the wildcard types', async () => {
    const q = `car-${randomLabel(5)}.fleet.${CZ}`;
    const m = await ask(port(), q, T.SSHFP);
    assert.equal(m.rcode, RC.NOERROR);
    const types = oneNsec3(q, m).types;
    assert.ok(types.includes(T.TLSA) && !types.includes(T.SSHFP) && !types.includes(T.NXNAME), `bitmap ${types.join(' ')}`);
  });

  describe('qtype NXNAME → FORMERR (RFC 9824 §3.5)', () => {
    for (const zone of [CZ, ZONE]) {
      for (const name of [`dev1.${zone}`, `${randomLabel()}.${zone}`, zone]) {
        it(`${name} NXNAME`, async () => {
          const m = await ask(port(), name, T.NXNAME);
          assert.equal(m.rcode, RC.FORMERR);
          assert.equal(m.records.length, 0);
          assert.ok(m.opt !== undefined);
          const ede = m.opt.rdata.length >= 6 && m.opt.rdata.readUInt16BE(0) === 15 ? m.opt.rdata.readUInt16BE(4) : undefined;
          assert.equal(ede, 30, 'Extended DNS Error 30 "Invalid Query Type"');
        });
      }
    }

    it('without EDNS: FORMERR and no OPT', async () => {
      const m = readMessage(await udpExchange(port(), buildQuery({ qname: `dev1.${CZ}`, qtype: T.NXNAME })));
      assert.equal(m.rcode, RC.FORMERR);
      assert.equal(m.opt, undefined);
    });

    it('kdig TYPE128 shows FORMERR', async () => {
      assert.match(await kdig(s.t, [`dev1.${CZ}`, 'TYPE128']), /status: FORMERR/);
    });
  });

  describe('delv validates compact answers', () => {
    const cases: [string, () => string, string, RegExp][] = [
      ['positive TLSA', () => `dev1.${CZ}`, 'TLSA', /^; fully validated$/m],
      ['wildcard TLSA', () => `car-${randomLabel(5)}.fleet.${CZ}`, 'TLSA', /^; fully validated$/m],
      ['absent name (NXNAME)', () => `${randomLabel()}.${CZ}`, 'TLSA', /^; negative response, fully validated$/m],
      ['NODATA', () => `dev1.${CZ}`, 'SSHFP', /^; negative response, fully validated$/m],
      ['ENT NODATA', () => `site.${CZ}`, 'TLSA', /^; negative response, fully validated$/m],
    ];
    for (const [label, qname, qtype, verdict] of cases) {
      it(label, async () => {
        const out = await delvAsync(s.t, CZ, anchors, qname(), qtype);
        assert.match(out, verdict, out);
      });
    }
  });

  it('the white-lies demo zone is unaffected (still NXDOMAIN with three NSEC3)', async () => {
    const m = await ask(port(), `${randomLabel()}.sensor1.${ZONE}`, T.TLSA);
    assert.equal(m.rcode, RC.NXDOMAIN);
    assert.equal(recordsOf(m, T.NSEC3).length, 3);
  });
});
