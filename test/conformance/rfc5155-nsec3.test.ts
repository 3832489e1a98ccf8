/**
 * NSEC3 white-lies proofs checked structurally against a real server (RFC 5155 §3, §7.2; RFC
 * 9077 §3; RFC 9276 §3.1; SPECS.md §4.3, §4.6), with an independent hash oracle: every NSEC3 has
 * algorithm 1, flags 0, iterations 0, an empty salt, TTL 60 and its own RRSIG; a match is
 * H(name) → H(name)+1 with the name's real bitmap (RRSIG added when any type is present); a cover
 * is H(n)−1 → H(n)+1 with an empty bitmap; NXDOMAIN carries closest-encloser match, next-closer
 * cover and wildcard cover (§7.2.2), NODATA one match (§7.2.3, ENT: empty bitmap), and no span
 * ever covers an existing name. Also: apex NSEC3PARAM `1 0 0 -`, queries for types NSEC3 and
 * RRSIG, and for an NSEC3 owner name (§7.2.8) in a zone without an apex wildcard.
 */
import assert from 'node:assert/strict';
import { DEMO_NAMES, RC, T, useServer, ZONE } from '../helpers/conformance-fixture.js';
import { kdig } from '../helpers/dns-tools.js';
import { base32hex, covers, fromBase32hex, hashAdd, hashName, ownerHash, ownerLabelOf, parseNsec3, parseNsec3param, type Nsec3Fields } from '../helpers/nsec3-oracle.js';
import { ask, randomLabel, recordsOf, rrsigFields, type RawMessage } from '../helpers/raw-dns.js';

const NSEC3_TTL = 60;
const APEX_TYPES = [T.NS, T.SOA, T.RRSIG, T.DNSKEY, T.NSEC3PARAM, T.CDS, T.CDNSKEY];

/** Types held at each existing demo name, as its NSEC3 bitmap must show them. */
const BITMAPS: Record<string, number[]> = {
  [ZONE]: APEX_TYPES,
  [`sensor1.${ZONE}`]: [T.SSHFP, T.RRSIG, T.TLSA],
  [`sensor2.${ZONE}`]: [T.RRSIG, T.TLSA],
  [`camera7.${ZONE}`]: [T.SSHFP, T.RRSIG, T.TLSA],
  [`_mqtt-client.sensor1.${ZONE}`]: [T.RRSIG, T.TLSA],
  [`gw1.site7.${ZONE}`]: [T.RRSIG, T.TLSA],
  [`site7.${ZONE}`]: [],
  [`*.${ZONE}`]: [T.RRSIG, T.TLSA],
};

interface Nsec3Rec {
  name: string;
  hash: Buffer;
  f: Nsec3Fields;
  ttl: number;
}

function nsec3In(m: RawMessage, apex = ZONE): Nsec3Rec[] {
  return recordsOf(m, T.NSEC3).map((r) => {
    const hash = ownerHash(r.name, apex);
    assert.ok(hash !== undefined, `NSEC3 owner ${r.name} is not <base32hex hash>.${apex}`);
    assert.equal(r.section, 'authority', 'NSEC3 records belong in AUTHORITY');
    return { name: r.name, hash, f: parseNsec3(r.rdata), ttl: r.ttl };
  });
}

/** Parameters, TTL and signature common to every NSEC3 of a response (RFC 5155 §7.2: shared parameters). */
function checkCommon(m: RawMessage, recs: Nsec3Rec[]): void {
  const sigs = recordsOf(m, T.RRSIG, 'authority');
  for (const r of recs) {
    assert.equal(r.f.algorithm, 1, 'hash algorithm SHA-1');
    assert.equal(r.f.flags, 0, 'no opt-out');
    assert.equal(r.f.iterations, 0, 'iterations 0 (RFC 9276 §3.1)');
    assert.equal(r.f.salt.length, 0, 'no salt');
    assert.equal(r.f.next.length, 20);
    assert.equal(r.ttl, NSEC3_TTL, 'NSEC3 TTL = min(SOA TTL, MINIMUM) (RFC 9077 §3)');
    assert.ok(!r.f.types.includes(T.NSEC3), 'a bitmap never lists NSEC3');
    const own = sigs.filter((s) => s.name === r.name && rrsigFields(s.rdata).typeCovered === T.NSEC3);
    assert.ok(own.length >= 1, `NSEC3 ${r.name} has no RRSIG`);
    for (const s of own) {
      assert.equal(s.ttl, NSEC3_TTL);
      assert.equal(rrsigFields(s.rdata).originalTtl, NSEC3_TTL);
      assert.equal(rrsigFields(s.rdata).labels, 4, 'NSEC3 owner: hash label + 3 zone labels');
    }
  }
  assert.equal(new Set(recs.map((r) => r.name)).size, recs.length, 'no NSEC3 twice');
}

/** No span covers an existing demo name (white lies never deny what exists). */
function checkNoSpanCoversExisting(recs: Nsec3Rec[]): void {
  for (const r of recs) {
    for (const n of DEMO_NAMES) assert.ok(!covers(r.hash, r.f.next, hashName(n)), `NSEC3 ${r.name} covers the existing name ${n}`);
  }
}

function expectMatch(recs: Nsec3Rec[], name: string, types: number[]): void {
  const h = hashName(name);
  const r = recs.find((x) => x.hash.equals(h));
  assert.ok(r !== undefined, `no NSEC3 matching ${name} (${base32hex(h)})`);
  assert.deepEqual(r.f.next, hashAdd(h, 1), `match for ${name}: next = H+1`);
  assert.deepEqual(r.f.types, [...types].sort((a, b) => a - b), `bitmap of ${name}`);
}

function expectCover(recs: Nsec3Rec[], name: string): void {
  const h = hashName(name);
  const r = recs.find((x) => x.hash.equals(hashAdd(h, -1)));
  assert.ok(r !== undefined, `no NSEC3 covering ${name}: want owner ${base32hex(hashAdd(h, -1))}, got ${recs.map((x) => x.name).join(' ')}`);
  assert.deepEqual(r.f.next, hashAdd(h, 1), `cover for ${name}: next = H+1`);
  assert.ok(covers(r.hash, r.f.next, h));
  assert.deepEqual(r.f.types, [], `cover for ${name}: empty bitmap`);
}

describe('conformance: RFC 5155 NSEC3 white lies', function () {
  this.timeout(15_000);
  const s = useServer();
  const port = (): number => s.t.dnsPort;

  it('the test oracle reproduces the SPECS.md §4.6 vectors', () => {
    assert.equal(ownerLabelOf('a.example.com.'), 'h64kfa4p1acer2ebps9qsdk6dnp8b3jq');
    assert.equal(ownerLabelOf('sensor7._device.example.com.'), 'bddvr74g65b6reo3hnufgvs4lmhghd9c');
    assert.equal(ownerLabelOf('*._device.example.com.'), 'n98etd8hq6r5tmf7eqqn8ft0c461d3vg');
    assert.equal(ownerLabelOf('EXAMPLE.com'), 'onib9mgub9h0rml3cdf5bgrj59dkjhvk');
    assert.equal(base32hex(hashAdd(hashName('example.com.'), 1)), 'onib9mgub9h0rml3cdf5bgrj59dkjhvl');
    assert.equal(base32hex(hashAdd(fromBase32hex('0'.repeat(32)), -1)), 'v'.repeat(32), 'wraps modulo 2^160');
  });

  it('apex NSEC3PARAM is `1 0 0 -`, signed', async () => {
    const m = await ask(port(), ZONE, T.NSEC3PARAM);
    const p = recordsOf(m, T.NSEC3PARAM, 'answer');
    assert.equal(p.length, 1);
    assert.deepEqual(parseNsec3param(p[0]!.rdata), { algorithm: 1, flags: 0, iterations: 0, salt: Buffer.alloc(0) });
    assert.equal(recordsOf(m, T.RRSIG, 'answer').length, 1);
    assert.match(await kdig(s.t, [ZONE, 'NSEC3PARAM', '+short']), /^1 0 0 -\s*$/m);
  });

  describe('NXDOMAIN: CE match, next-closer cover, wildcard cover (RFC 5155 §7.2.2)', () => {
    const cases: [string, string][] = [
      ['sensor2', `sensor2.${ZONE}`],
      ['sensor1', `sensor1.${ZONE}`],
      ['camera7, three labels deeper', `camera7.${ZONE}`],
      ['the ENT site7', `site7.${ZONE}`],
      ['gw1.site7', `gw1.site7.${ZONE}`],
      ['_mqtt-client.sensor1', `_mqtt-client.sensor1.${ZONE}`],
      ['the wildcard owner', `*.${ZONE}`],
    ];
    for (const [label, ce] of cases) {
      it(`closest encloser ${label}`, async () => {
        const nc = `${randomLabel()}.${ce}`;
        const qname = label.includes('deeper') ? `a.b.${nc}` : nc;
        const m = await ask(port(), qname, T.TLSA);
        assert.equal(m.rcode, RC.NXDOMAIN);
        const recs = nsec3In(m);
        assert.equal(recs.length, 3, `3 NSEC3, got ${recs.map((r) => r.name).join(' ')}`);
        checkCommon(m, recs);
        expectMatch(recs, ce, BITMAPS[ce]!);
        expectCover(recs, nc);
        expectCover(recs, `*.${ce}`);
        checkNoSpanCoversExisting(recs);
        // Nothing proves the qname itself when it is deeper than the next closer: no extra records.
        if (qname !== nc) assert.ok(!recs.some((r) => r.hash.equals(hashAdd(hashName(qname), -1))));
      });
    }
  });

  describe('NODATA: one NSEC3 matching the qname with its real bitmap (RFC 5155 §7.2.3)', () => {
    const cases: [string, number][] = [
      [`sensor1.${ZONE}`, T.A],
      [`sensor2.${ZONE}`, T.SSHFP],
      [`camera7.${ZONE}`, T.AAAA],
      [`_mqtt-client.sensor1.${ZONE}`, T.SSHFP],
      [`gw1.site7.${ZONE}`, T.A],
      [`site7.${ZONE}`, T.TLSA], // ENT: empty bitmap (App. B.2.1)
      [ZONE, T.TLSA],
      [ZONE, T.A],
      [`*.${ZONE}`, T.SSHFP],
    ];
    for (const [qname, qtype] of cases) {
      it(`${qname} type ${qtype}`, async () => {
        const m = await ask(port(), qname, qtype);
        assert.equal(m.rcode, RC.NOERROR);
        assert.deepEqual(m.records.filter((r) => r.section === 'answer'), []);
        const recs = nsec3In(m);
        assert.equal(recs.length, 1);
        checkCommon(m, recs);
        expectMatch(recs, qname, BITMAPS[qname]!);
        assert.ok(!recs[0]!.f.types.includes(qtype), 'bitmap must not show the qtype');
        assert.ok(!recs[0]!.f.types.includes(5), 'bitmap must not show CNAME');
        checkNoSpanCoversExisting(recs);
      });
    }

    it('wire bitmap of a TLSA-only device is `00 07 00 00 00 00 00 02 08` (SPECS.md §8.6)', async () => {
      const m = await ask(port(), `sensor2.${ZONE}`, T.A);
      const rdata = recordsOf(m, T.NSEC3)[0]!.rdata;
      assert.equal(rdata.subarray(1 + 1 + 2 + 1 + 1 + 20).toString('hex'), '000700000000000208');
    });

    it('ENT NSEC3 has a zero-length bitmap', async () => {
      const m = await ask(port(), `site7.${ZONE}`, T.TLSA);
      assert.equal(recordsOf(m, T.NSEC3)[0]!.rdata.length, 1 + 1 + 2 + 1 + 1 + 20);
    });
  });

  it('wildcard NODATA: CE match, NC cover, wildcard match (RFC 5155 §7.2.5)', async () => {
    const q = `${randomLabel()}.${ZONE}`;
    const m = await ask(port(), q, T.SSHFP);
    assert.equal(m.rcode, RC.NOERROR);
    const recs = nsec3In(m);
    assert.equal(recs.length, 3);
    checkCommon(m, recs);
    expectMatch(recs, ZONE, APEX_TYPES);
    expectCover(recs, q);
    expectMatch(recs, `*.${ZONE}`, BITMAPS[`*.${ZONE}`]!);
    checkNoSpanCoversExisting(recs);
  });

  it('wildcard answer: one NC cover only (RFC 5155 §7.2.6)', async () => {
    const nc = `${randomLabel()}.${ZONE}`;
    const m = await ask(port(), `deep.${nc}`, T.TLSA);
    assert.equal(m.rcode, RC.NOERROR);
    const recs = nsec3In(m);
    assert.equal(recs.length, 1);
    checkCommon(m, recs);
    expectCover(recs, nc);
    checkNoSpanCoversExisting(recs);
  });

  describe('meta-type and NSEC3-name queries', () => {
    it('type NSEC3 at a device: NODATA with the device match (NSEC3 not in its bitmap)', async () => {
      const m = await ask(port(), `sensor1.${ZONE}`, T.NSEC3);
      assert.equal(m.rcode, RC.NOERROR);
      assert.equal(m.aa, true);
      assert.deepEqual(m.records.filter((r) => r.section === 'answer'), []);
      const recs = nsec3In(m);
      assert.equal(recs.length, 1);
      expectMatch(recs, `sensor1.${ZONE}`, BITMAPS[`sensor1.${ZONE}`]!);
    });

    it('type NSEC3 at the apex: NODATA, never a chain', async () => {
      const m = await ask(port(), ZONE, T.NSEC3);
      assert.equal(m.rcode, RC.NOERROR);
      assert.deepEqual(m.records.filter((r) => r.section === 'answer'), []);
    });

    it('type RRSIG at a device with DO=1: NOERROR, AA, only RRSIGs of that name', async () => {
      const m = await ask(port(), `sensor1.${ZONE}`, T.RRSIG);
      assert.equal(m.rcode, RC.NOERROR);
      assert.equal(m.aa, true);
      const answer = m.records.filter((r) => r.section === 'answer');
      assert.ok(answer.length >= 1);
      for (const r of answer) {
        assert.equal(r.type, T.RRSIG);
        assert.equal(r.name, `sensor1.${ZONE}`);
      }
      assert.deepEqual(answer.map((r) => rrsigFields(r.rdata).typeCovered).sort((a, b) => a - b), [T.SSHFP, T.TLSA]);
    });

    it('type RRSIG at a device with DO=0: an answer (NOERROR), never SERVFAIL or silence', async () => {
      const m = await ask(port(), `sensor1.${ZONE}`, T.RRSIG, { edns: { do: false } });
      assert.equal(m.rcode, RC.NOERROR);
    });

    it('type RRSIG at an absent name: NXDOMAIN', async () => {
      const m = await ask(port(), `${randomLabel()}.sensor1.${ZONE}`, T.RRSIG);
      assert.equal(m.rcode, RC.NXDOMAIN);
    });

    it('an NSEC3 owner name of the demo zone is not served as data: the apex wildcard answers it (never an NSEC3 in ANSWER)', async () => {
      // RFC 5155 §7.2.8 asks for a name error only when nothing exists at or below QNAME *and*
      // the usual response would not differ; here `*._device.example.net` exists, so the name
      // is a wildcard match like any other absent name directly under the apex.
      const owner = `${ownerLabelOf(`sensor1.${ZONE}`)}.${ZONE}`;
      for (const qtype of [T.NSEC3, T.TLSA]) {
        const m = await ask(port(), owner, qtype);
        assert.equal(m.rcode, RC.NOERROR, `type ${qtype}`);
        assert.deepEqual(recordsOf(m, T.NSEC3, 'answer'), []);
      }
    });
  });

  describe('a second signed zone without an apex wildcard', () => {
    const Z2 = '_device.example.com.';
    before(() => {
      const z = s.t.store.createZone(Z2);
      s.t.server.keys.createZoneKeys(z);
      s.t.store.applyChanges(Z2, [{ op: 'put', owner: `sensor7.${Z2}`, rrsets: [{ type: T.TLSA, ttl: 60, rdatas: [Buffer.concat([Buffer.from([3, 1, 1]), Buffer.alloc(32, 1)])] }] }]);
    });

    it('a query for an NSEC3 owner name is a name error (RFC 5155 §7.2.8)', async () => {
      const owner = `${ownerLabelOf(`sensor7.${Z2}`)}.${Z2}`;
      assert.equal(owner, `bddvr74g65b6reo3hnufgvs4lmhghd9c.${Z2}`, 'SPECS.md §4.6 vector');
      for (const qtype of [T.NSEC3, T.TLSA, T.RRSIG]) {
        const m = await ask(port(), owner, qtype);
        assert.equal(m.rcode, RC.NXDOMAIN, `type ${qtype}`);
        const recs = nsec3In(m, Z2);
        assert.equal(recs.length, 3);
        expectMatch(recs, Z2, APEX_TYPES);
        expectCover(recs, owner);
        expectCover(recs, `*.${Z2}`);
      }
    });

    it('a random name directly under the apex is NXDOMAIN with the three proofs', async () => {
      const q = `${randomLabel()}.${Z2}`;
      const m = await ask(port(), q, T.TLSA);
      assert.equal(m.rcode, RC.NXDOMAIN);
      const recs = nsec3In(m, Z2);
      expectMatch(recs, Z2, APEX_TYPES);
      expectCover(recs, q);
      expectCover(recs, `*.${Z2}`);
      for (const r of recs) assert.ok(!covers(r.hash, r.f.next, hashName(`sensor7.${Z2}`)));
    });
  });
});
