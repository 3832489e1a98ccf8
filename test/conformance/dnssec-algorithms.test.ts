/**
 * The key layouts and algorithms a zone can be created with (issue 3 deliverable 1; RFC 6605,
 * RFC 8080; RFC 4034 §2.1.1): Ed25519 KSK + ZSK, a P-256 CSK and an Ed25519 CSK, each in its own
 * zone with identity data at the apex (a `_user` CA TLSA, SPECS.md §9.3) and a wildcard. For
 * each: delv with the zone's SEP key as anchor validates positive, wildcard, NXDOMAIN, NODATA and
 * DNSKEY answers; every signature verifies with @noble/curves; the DNSKEY set has the right flags
 * and algorithm; CDS/CDNSKEY name the SEP key; the apex NSEC3 bitmap shows the apex TLSA.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RC, T, useServer } from '../helpers/conformance-fixture.js';
import { delvAsync, writeTrustAnchorAsync } from '../helpers/dns-tools.js';
import { hashName, ownerHash, parseNsec3 } from '../helpers/nsec3-oracle.js';
import { ask, randomLabel, recordsOf } from '../helpers/raw-dns.js';
import { fetchDnskeys, verifyResponse } from '../helpers/verify-response.js';

interface Variant {
  zone: string;
  layout: 'ksk-zsk' | 'csk';
  algorithm: 13 | 15;
  keys: number;
}

const VARIANTS: Variant[] = [
  { zone: '_user.ed25519.example.', layout: 'ksk-zsk', algorithm: 15, keys: 2 },
  { zone: '_user.csk.example.', layout: 'csk', algorithm: 13, keys: 1 },
  { zone: '_user.edcsk.example.', layout: 'csk', algorithm: 15, keys: 1 },
];

const tlsa = (usage: number, fill: number): Buffer => Buffer.concat([Buffer.from([usage, 0, 1]), Buffer.alloc(32, fill)]);

describe('conformance: key layouts and algorithms', function () {
  this.timeout(20_000);
  const s = useServer();
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'idzone-alg-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const v of VARIANTS) {
    describe(`${v.zone} (${v.layout}, algorithm ${v.algorithm})`, () => {
      let keys: Buffer[] = [];
      let anchors = '';
      before(async () => {
        const z = s.t.store.createZone(v.zone);
        s.t.server.keys.createZoneKeys(z, v.layout, v.algorithm);
        s.t.store.applyChanges(v.zone, [
          { op: 'put', owner: v.zone, rrsets: [{ type: T.TLSA, ttl: 60, rdatas: [tlsa(2, 0xca)] }] },
          { op: 'put', owner: `0123abcd.${v.zone}`, rrsets: [{ type: T.TLSA, ttl: 60, rdatas: [tlsa(3, 0x01)] }] },
          { op: 'put', owner: `host.${v.zone}`, rrsets: [{ type: T.SSHFP, ttl: 60, rdatas: [Buffer.concat([Buffer.from([4, 2]), Buffer.alloc(32, 3)])] }] },
        ]);
        keys = await fetchDnskeys(s.t.dnsPort, v.zone);
        anchors = await writeTrustAnchorAsync(s.t, v.zone, join(dir, `${v.zone}conf`));
      });

      it('DNSKEY set: algorithm, flags, count', () => {
        assert.equal(keys.length, v.keys);
        for (const k of keys) assert.equal(k[3], v.algorithm);
        const flags = keys.map((k) => k.readUInt16BE(0)).sort();
        assert.deepEqual(flags, v.layout === 'csk' ? [257] : [256, 257]);
        assert.equal(keys.find((k) => k.readUInt16BE(0) === 257)!.length, 4 + (v.algorithm === 13 ? 64 : 32));
      });

      it('CDS and CDNSKEY name the SEP key (RFC 7344 §3)', async () => {
        const cdnskey = recordsOf(await ask(s.t.dnsPort, v.zone, T.CDNSKEY), T.CDNSKEY, 'answer').map((r) => r.rdata.toString('hex'));
        assert.deepEqual(cdnskey, keys.filter((k) => k.readUInt16BE(0) === 257).map((k) => k.toString('hex')));
        const cds = recordsOf(await ask(s.t.dnsPort, v.zone, T.CDS), T.CDS, 'answer');
        assert.equal(cds.length, 1);
        assert.equal(cds[0]!.rdata[2], v.algorithm);
        assert.equal(cds[0]!.rdata[3], 2, 'digest type SHA-256');
      });

      const questions: [string, (z: string) => string, number, number][] = [
        ['apex TLSA (user CA)', (z) => z, T.TLSA, RC.NOERROR],
        ['hashed user TLSA', (z) => `0123abcd.${z}`, T.TLSA, RC.NOERROR],
        ['SSHFP', (z) => `host.${z}`, T.SSHFP, RC.NOERROR],
        ['NXDOMAIN', (z) => `${randomLabel()}.${z}`, T.TLSA, RC.NXDOMAIN],
        ['NODATA', (z) => `host.${z}`, T.TLSA, RC.NOERROR],
        ['apex NODATA', (z) => z, T.SSHFP, RC.NOERROR],
        ['DNSKEY', (z) => z, T.DNSKEY, RC.NOERROR],
      ];
      for (const [label, name, qtype, rcode] of questions) {
        it(`${label}: @noble/curves verifies every signature`, async () => {
          const m = await ask(s.t.dnsPort, name(v.zone), qtype);
          assert.equal(m.rcode, rcode);
          const r = verifyResponse(m, keys, v.zone);
          assert.ok(r.signatures >= 1);
        });
      }

      it('apex NODATA: the apex NSEC3 bitmap lists the apex TLSA', async () => {
        const m = await ask(s.t.dnsPort, v.zone, T.SSHFP);
        const rec = recordsOf(m, T.NSEC3).find((r) => ownerHash(r.name, v.zone)?.equals(hashName(v.zone)));
        assert.ok(rec !== undefined);
        const types = parseNsec3(rec.rdata).types;
        for (const t of [T.NS, T.SOA, T.RRSIG, T.DNSKEY, T.NSEC3PARAM, T.TLSA]) assert.ok(types.includes(t), `bitmap lacks ${t}: ${types.join(' ')}`);
      });

      const delvCases: [string, (z: string) => string, string, RegExp][] = [
        ['apex TLSA', (z) => z, 'TLSA', /^; fully validated$/m],
        ['hashed user TLSA', (z) => `0123abcd.${z}`, 'TLSA', /^; fully validated$/m],
        ['NXDOMAIN', (z) => `${randomLabel()}.${z}`, 'TLSA', /^; negative response, fully validated$/m],
        ['NODATA', (z) => `host.${z}`, 'A', /^; negative response, fully validated$/m],
        ['DNSKEY', (z) => z, 'DNSKEY', /^; fully validated$/m],
      ];
      for (const [label, name, qtype, verdict] of delvCases) {
        it(`delv: ${label}`, async () => {
          const out = await delvAsync(s.t, v.zone, anchors, name(v.zone), qtype);
          assert.match(out, verdict, out);
        });
      }
    });
  }
});
