/**
 * Wildcards against a real server (RFC 4592 §2.2, §3.3.1, §4; RFC 4035 §3.1.3.3, §5.3.2; RFC
 * 5155 §7.2.5, §7.2.6). The demo zone holds `*._device.example.net` (TLSA, DANE-TA). Checked:
 * synthesis gives owner = qname with the wildcard's RDATA, the RRSIG's Labels field is smaller
 * than the qname's label count (the wildcard's own count), one NSEC3 covering the next closer name
 * proves the qname itself does not exist; existing names and empty non-terminals block the
 * wildcard (§2.2.2); names below the wildcard or below other names do not match it; a type the
 * wildcard lacks gives wildcard NODATA; DO=0 gets no DNSSEC records.
 */
import assert from 'node:assert/strict';
import { RC, T, useServer, ZONE } from '../helpers/conformance-fixture.js';
import { covers, hashAdd, hashName, ownerHash, parseNsec3 } from '../helpers/nsec3-oracle.js';
import { ask, labelCount, randomLabel, recordsOf, rrsigFields, type RawMessage } from '../helpers/raw-dns.js';

const WILD = '*._device.example.net.';

describe('conformance: RFC 4592 wildcards', function () {
  this.timeout(15_000);
  const s = useServer();
  const port = (): number => s.t.dnsPort;
  let wildRdatas: string[] = [];

  before(async () => {
    // The wildcard owner asked literally is an ordinary existing name (RFC 4592 §2.1.1).
    const m = await ask(port(), WILD, T.TLSA);
    assert.equal(m.rcode, RC.NOERROR);
    wildRdatas = recordsOf(m, T.TLSA, 'answer').map((r) => r.rdata.toString('hex')).sort();
    assert.equal(wildRdatas.length, 1, 'demo wildcard holds one TLSA');
    const sig = rrsigFields(recordsOf(m, T.RRSIG, 'answer')[0]!.rdata);
    assert.equal(sig.labels, 3, 'the literal wildcard owner: Labels excludes the `*` (RFC 4034 §3.1.3)');
  });

  function checkExpansion(m: RawMessage, qname: string, nextCloser: string): void {
    assert.equal(m.rcode, RC.NOERROR);
    assert.equal(m.aa, true);
    const tlsa = recordsOf(m, T.TLSA, 'answer');
    assert.deepEqual(tlsa.map((r) => r.name), [qname], 'owner of the synthesised RRset is the qname (RFC 4592 §3.3.1)');
    assert.deepEqual(tlsa.map((r) => r.rdata.toString('hex')).sort(), wildRdatas, 'RDATA is the wildcard RDATA');
    const sigs = recordsOf(m, T.RRSIG, 'answer');
    assert.equal(sigs.length, 1);
    assert.equal(sigs[0]!.name, qname);
    const f = rrsigFields(sigs[0]!.rdata);
    assert.equal(f.typeCovered, T.TLSA);
    assert.equal(f.labels, labelCount(WILD), 'Labels = the wildcard owner label count');
    assert.ok(f.labels < labelCount(qname), 'Labels < qname labels shows the expansion (RFC 4035 §5.3.2)');
    // RFC 5155 §7.2.6: one NSEC3 covering the next closer name (the CE is the apex here).
    const nsec3 = recordsOf(m, T.NSEC3, 'authority');
    assert.equal(nsec3.length, 1, 'exactly one NSEC3: the next-closer cover');
    const owner = ownerHash(nsec3[0]!.name, ZONE);
    assert.ok(owner !== undefined);
    const f3 = parseNsec3(nsec3[0]!.rdata);
    const h = hashName(nextCloser);
    assert.ok(covers(owner, f3.next, h), 'the NSEC3 covers H(next closer)');
    assert.deepEqual(owner, hashAdd(h, -1));
    assert.deepEqual(f3.next, hashAdd(h, 1));
    assert.deepEqual(recordsOf(m, T.SOA), [], 'no SOA in a positive wildcard answer');
  }

  it('one label under the apex: synthesised TLSA with a wildcard RRSIG and a next-closer cover', async () => {
    const q = `${randomLabel()}.${ZONE}`;
    checkExpansion(await ask(port(), q, T.TLSA), q, q);
  });

  it('three labels under the apex: the next closer is the label right under the apex', async () => {
    const nc = `${randomLabel()}.${ZONE}`;
    const q = `a.b.${nc}`;
    checkExpansion(await ask(port(), q, T.TLSA), q, nc);
  });

  it('DANCE-style client name under the wildcard (`dev-42._device.example.net`)', async () => {
    const q = `dev-42.${ZONE}`;
    checkExpansion(await ask(port(), q, T.TLSA), q, q);
  });

  it('DO=0: the synthesised RRset without RRSIG or NSEC3', async () => {
    const q = `${randomLabel()}.${ZONE}`;
    const m = await ask(port(), q, T.TLSA, { edns: { do: false } });
    assert.equal(m.rcode, RC.NOERROR);
    assert.equal(recordsOf(m, T.TLSA, 'answer').length, 1);
    assert.deepEqual(m.records.filter((r) => r.type === T.RRSIG || r.type === T.NSEC3), []);
  });

  it('wildcard NODATA (type A): NOERROR, AA, SOA, CE match + NC cover + wildcard match (RFC 5155 §7.2.5)', async () => {
    const q = `${randomLabel()}.${ZONE}`;
    const m = await ask(port(), q, T.A);
    assert.equal(m.rcode, RC.NOERROR);
    assert.equal(m.aa, true);
    assert.deepEqual(m.records.filter((r) => r.section === 'answer'), []);
    assert.equal(recordsOf(m, T.SOA, 'authority').length, 1);
    const nsec3 = recordsOf(m, T.NSEC3, 'authority');
    assert.equal(nsec3.length, 3);
    const owners = nsec3.map((r) => ownerHash(r.name, ZONE)!.toString('hex'));
    assert.ok(owners.includes(hashName(ZONE).toString('hex')), 'match for the closest encloser (apex)');
    assert.ok(owners.includes(hashName(WILD).toString('hex')), 'match for the wildcard');
    assert.ok(owners.includes(hashAdd(hashName(q), -1).toString('hex')), 'cover for the next closer');
    const wild = nsec3.find((r) => ownerHash(r.name, ZONE)!.equals(hashName(WILD)))!;
    const types = parseNsec3(wild.rdata).types;
    assert.ok(types.includes(T.TLSA) && !types.includes(T.A), 'wildcard bitmap: TLSA, not A');
  });

  describe('what the wildcard does not match (RFC 4592 §2.2, §3.3.1)', () => {
    it('an existing name without the type: plain NODATA, no expansion (sensor2 SSHFP)', async () => {
      const m = await ask(port(), `sensor2.${ZONE}`, T.SSHFP);
      assert.equal(m.rcode, RC.NOERROR);
      assert.deepEqual(recordsOf(m, T.TLSA), []);
      assert.equal(recordsOf(m, T.NSEC3).length, 1, 'a single matching NSEC3 (RFC 5155 §7.2.3)');
    });

    it('an empty non-terminal blocks the wildcard (site7 TLSA → NODATA, RFC 4592 §2.2.2)', async () => {
      const m = await ask(port(), `site7.${ZONE}`, T.TLSA);
      assert.equal(m.rcode, RC.NOERROR);
      assert.deepEqual(recordsOf(m, T.TLSA), []);
      assert.equal(recordsOf(m, T.SOA, 'authority').length, 1);
    });

    it('a name under an empty non-terminal does not match the apex wildcard: NXDOMAIN', async () => {
      const m = await ask(port(), `${randomLabel()}.site7.${ZONE}`, T.TLSA);
      assert.equal(m.rcode, RC.NXDOMAIN);
      assert.deepEqual(recordsOf(m, T.TLSA), []);
    });

    it('a name under an existing device does not match the apex wildcard: NXDOMAIN', async () => {
      const m = await ask(port(), `${randomLabel()}.sensor1.${ZONE}`, T.TLSA);
      assert.equal(m.rcode, RC.NXDOMAIN);
    });

    it('a name below the wildcard owner (x.*._device) is NXDOMAIN: the closest encloser is `*` itself', async () => {
      const m = await ask(port(), `x.${WILD}`, T.TLSA);
      assert.equal(m.rcode, RC.NXDOMAIN);
      const owners = recordsOf(m, T.NSEC3).map((r) => ownerHash(r.name, ZONE)!.toString('hex'));
      assert.ok(owners.includes(hashName(WILD).toString('hex')), 'match for the closest encloser `*._device`');
    });

    it('a wildcard does not answer for the apex itself', async () => {
      const m = await ask(port(), ZONE, T.TLSA);
      assert.equal(m.rcode, RC.NOERROR);
      assert.deepEqual(recordsOf(m, T.TLSA), []);
    });
  });

  it('a wildcard added under a device is used there and only there', async () => {
    const data = Buffer.concat([Buffer.from([2, 0, 1]), Buffer.alloc(32, 0x5a)]);
    s.t.store.applyChanges(ZONE, [{ op: 'put', owner: `*.camera7.${ZONE}`, rrsets: [{ type: T.TLSA, ttl: 60, rdatas: [data] }] }]);
    try {
      const q = `svc.camera7.${ZONE}`;
      const m = await ask(port(), q, T.TLSA);
      assert.equal(m.rcode, RC.NOERROR);
      assert.deepEqual(recordsOf(m, T.TLSA, 'answer').map((r) => r.rdata.toString('hex')), [data.toString('hex')]);
      assert.equal(rrsigFields(recordsOf(m, T.RRSIG, 'answer')[0]!.rdata).labels, labelCount(`*.camera7.${ZONE}`));
      const other = await ask(port(), `svc.sensor2.${ZONE}`, T.TLSA);
      assert.equal(other.rcode, RC.NXDOMAIN);
    } finally {
      s.t.store.applyChanges(ZONE, [{ op: 'delete', owner: `*.camera7.${ZONE}` }]);
    }
    assert.equal((await ask(port(), `svc.camera7.${ZONE}`, T.TLSA)).rcode, RC.NXDOMAIN);
  });

  it('type RRSIG at an expanded name: the wildcard RRset\'s RRSIG at the qname and the next-closer cover, not a NODATA the wildcard\'s own NSEC3 would contradict', async () => {
    const qname = `${randomLabel()}._device.example.net.`;
    const m = await ask(port(), qname, T.RRSIG);
    assert.equal(m.rcode, RC.NOERROR);
    const sigs = recordsOf(m, T.RRSIG, 'answer');
    assert.equal(sigs.length, 1);
    assert.equal(sigs[0]!.name, qname);
    const f = rrsigFields(sigs[0]!.rdata);
    assert.equal(f.typeCovered, T.TLSA);
    assert.equal(f.labels, labelCount(WILD));
    assert.equal(recordsOf(m, T.SOA, 'authority').length, 0, 'not a NODATA');
    const nsec3 = recordsOf(m, T.NSEC3, 'authority');
    assert.equal(nsec3.length, 1, 'the next-closer cover');
    assert.ok(covers(ownerHash(nsec3[0]!.name, ZONE)!, parseNsec3(nsec3[0]!.rdata).next, hashName(qname)));
    // The RRSIG verifies over the expansion (the typed answer's TLSA at the same name).
    const typed = await ask(port(), qname, T.TLSA);
    assert.deepEqual(recordsOf(typed, T.RRSIG, 'answer').map((r) => r.rdata.toString('hex')), [sigs[0]!.rdata.toString('hex')]);
  });
});
