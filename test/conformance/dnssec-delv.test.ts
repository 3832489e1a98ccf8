/**
 * BIND's delv, with the zone's KSK as its only trust anchor, validates the server's answers
 * (issue 3 judgement; RFC 4035 §5, RFC 5155 §8): positive TLSA/SSHFP answers, a wildcard TLSA
 * expansion, NXDOMAIN, NODATA at a device, at the empty non-terminal and at the wildcard, and the
 * apex RRsets (DNSKEY, SOA, NS, CDS, CDNSKEY, NSEC3PARAM). delv prints "; fully validated" for
 * positive answers and "; negative response, fully validated" for proven denials. Everything runs
 * twice: with the denial signature made on a signing thread, and on the answering thread.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useServer, ZONE } from '../helpers/conformance-fixture.js';
import { delvAsync, writeTrustAnchorAsync } from '../helpers/dns-tools.js';
import { randomLabel } from '../helpers/raw-dns.js';

const POSITIVE = /^; fully validated$/m;
const NEGATIVE = /^; negative response, fully validated$/m;

// Each case runs with denial signatures made on a signing thread and on the answering thread.
for (const signingThreads of [1, 0]) describe(`conformance: delv validates with the zone KSK as trust anchor (${signingThreads} signing thread${signingThreads === 1 ? '' : 's'})`, function () {
  this.timeout(20_000);
  const s = useServer({ signingThreads });
  let dir = '';
  let anchors = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'idzone-delv-'));
    anchors = await writeTrustAnchorAsync(s.t, ZONE, join(dir, 'anchors.conf'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, () => string, string, RegExp, RegExp?][] = [
    ['TLSA answer', () => `sensor1.${ZONE}`, 'TLSA', POSITIVE, /\sIN\s+TLSA\s+3 1 1 /],
    ['SSHFP answer (two records)', () => `camera7.${ZONE}`, 'SSHFP', POSITIVE, /\sIN\s+SSHFP\s+1 2 /],
    ['SSHFP answer', () => `sensor1.${ZONE}`, 'SSHFP', POSITIVE, /\sIN\s+SSHFP\s+4 2 /],
    ['service-specific TLSA', () => `_mqtt-client.sensor1.${ZONE}`, 'TLSA', POSITIVE],
    ['TLSA below an ENT', () => `gw1.site7.${ZONE}`, 'TLSA', POSITIVE],
    ['wildcard TLSA answer', () => `${randomLabel()}.${ZONE}`, 'TLSA', POSITIVE, /\sIN\s+TLSA\s+2 0 1 /],
    ['deep wildcard TLSA answer', () => `a.${randomLabel()}.${ZONE}`, 'TLSA', POSITIVE],
    ['NXDOMAIN, random name below a device', () => `${randomLabel()}.sensor2.${ZONE}`, 'TLSA', NEGATIVE, /NXDOMAIN/],
    ['NXDOMAIN, CE = ENT', () => `${randomLabel()}.site7.${ZONE}`, 'TLSA', NEGATIVE, /NXDOMAIN/],
    ['NXDOMAIN, below the wildcard owner', () => `${randomLabel()}.*.${ZONE}`, 'TLSA', NEGATIVE, /NXDOMAIN/],
    ['NODATA, type A at a device', () => `sensor1.${ZONE}`, 'A', NEGATIVE],
    ['NODATA, SSHFP at a TLSA-only device', () => `sensor2.${ZONE}`, 'SSHFP', NEGATIVE],
    ['NODATA at the empty non-terminal', () => `site7.${ZONE}`, 'TLSA', NEGATIVE],
    ['wildcard NODATA', () => `${randomLabel()}.${ZONE}`, 'A', NEGATIVE],
    ['NODATA at the apex', () => ZONE, 'TLSA', NEGATIVE],
    ['DNSKEY', () => ZONE, 'DNSKEY', POSITIVE],
    ['SOA', () => ZONE, 'SOA', POSITIVE],
    ['NS', () => ZONE, 'NS', POSITIVE],
    ['CDS', () => ZONE, 'CDS', POSITIVE],
    ['CDNSKEY', () => ZONE, 'CDNSKEY', POSITIVE],
    ['NSEC3PARAM', () => ZONE, 'NSEC3PARAM', POSITIVE],
  ];
  for (const [label, qname, qtype, verdict, content] of cases) {
    it(`${label}: ${verdict === POSITIVE ? 'fully validated' : 'negative response, fully validated'}`, async () => {
      const out = await delvAsync(s.t, ZONE, anchors, qname(), qtype);
      assert.match(out, verdict, `delv said:\n${out}`);
      assert.doesNotMatch(out, /validation failed|insecurity proof failed|broken trust chain|unsigned answer|SERVFAIL/, out);
      if (content !== undefined) assert.match(out, content, out);
    });
  }

  it('a name added while serving validates at once, and so does its removal (NXDOMAIN)', async () => {
    const owner = `new-${randomLabel(6)}.sensor1.${ZONE}`;
    s.t.store.applyChanges(ZONE, [{ op: 'put', owner, rrsets: [{ type: 52, ttl: 60, rdatas: [Buffer.concat([Buffer.from([3, 1, 1]), Buffer.alloc(32, 9)])] }] }]);
    assert.match(await delvAsync(s.t, ZONE, anchors, owner, 'TLSA'), POSITIVE);
    s.t.store.applyChanges(ZONE, [{ op: 'delete', owner }]);
    const out = await delvAsync(s.t, ZONE, anchors, owner, 'TLSA');
    assert.match(out, NEGATIVE, out);
    assert.match(out, /NXDOMAIN/, out);
  });
});
