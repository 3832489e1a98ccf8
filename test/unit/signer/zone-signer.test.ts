/** ZoneSigner and SignerRegistry: write-time node signatures, apex sets, query-time signing with the cache. */
import { strict as assert } from 'node:assert';
import { RrType } from '../../../core/rr-types.js';
import type { StoredNode, ZoneInfo } from '../../../zone-store/types.js';
import { SignerError } from '../../../signer/errors.js';
import { nsec3paramRdata, type SigningKey } from '../../../signer/index.js';
import { nsec3CompactNxname, nsec3Cover, nsec3OwnerHash } from '../../../signer/nsec3.js';
import { parseRrsig } from '../../../signer/rrsig.js';
import { SignatureCache } from '../../../signer/signature-cache.js';
import { decodeTypeBitmap } from '../../../signer/type-bitmap.js';
import { SignerRegistry, ZoneSigner } from '../../../signer/zone-signer.js';
import { verifyRrsigIndependently } from '../../helpers/noble-verify.js';
import { APEX, NOW, SETTINGS, ZONE, signingKey } from '../../helpers/signer-fixture.js';

const TLSA = Buffer.from('030101' + 'ab'.repeat(32), 'hex');
const SSHFP = Buffer.from('0402' + 'cd'.repeat(32), 'hex');

const key = signingKey;

function verifies(sig: Buffer, owner: string, type: number, rdatas: Buffer[], k: SigningKey): boolean {
  return verifyRrsigIndependently({ rrsig: sig, owner, type, rdatas, dnskey: k.dnskeyRdata, now: NOW });
}

describe('signer/zone-signer', () => {
  const ksk = key(13, 257);
  const zsk = key(13, 256);
  let now = NOW;
  const signer = new ZoneSigner(APEX, { ksks: [ksk], zsks: [zsk] }, { clock: () => now });
  beforeEach(() => {
    now = NOW;
  });

  it('signNode: one RRSIG per RRset per ZSK, and the NSEC3 match record', () => {
    const owner = 'sensor7._device.example.com.';
    const rrsets = [{ type: RrType.TLSA, ttl: 60, rdatas: [TLSA] }, { type: RrType.SSHFP, ttl: 120, rdatas: [SSHFP] }];
    const out = signer.signNode(ZONE, owner, rrsets, 0);
    assert.equal(out.rrsetSigs.length, 2);
    assert.ok(verifies(out.rrsetSigs[0]![0]!, owner, RrType.TLSA, [TLSA], zsk));
    assert.ok(verifies(out.rrsetSigs[1]![0]!, owner, RrType.SSHFP, [SSHFP], zsk));
    assert.equal(parseRrsig(out.rrsetSigs[1]![0]!)?.originalTtl, 120);
    const n = signer.nodeNsec3(ZONE, owner, [RrType.TLSA, RrType.SSHFP], 0);
    assert.ok(n);
    assert.equal(n.owner, nsec3OwnerHash(APEX, owner));
    assert.equal(n.owner, 'bddvr74g65b6reo3hnufgvs4lmhghd9c.example.com.');
    assert.equal(n.ttl, 60);
    assert.deepEqual(decodeTypeBitmap(n.rdata.subarray(26)), [RrType.SSHFP, RrType.RRSIG, RrType.TLSA]);
    assert.equal(out.nsec3Sigs.length, 1);
    assert.ok(verifies(out.nsec3Sigs[0]!, n.owner, RrType.NSEC3, [n.rdata], zsk));
    assert.equal(parseRrsig(out.nsec3Sigs[0]!)?.originalTtl, 60);
  });

  it('window comes from the injected clock: backdated, 14 days + jitter', () => {
    const [sig] = signer.signNode(ZONE, 'a.example.com.', [{ type: RrType.TLSA, ttl: 60, rdatas: [TLSA] }], 0).rrsetSigs[0]!;
    const p = parseRrsig(sig!);
    assert.ok(p);
    assert.equal(p.inception, NOW - 3600);
    assert.ok(p.expiration - p.inception >= 14 * 86400 && p.expiration - p.inception <= 15.4 * 86400);
  });

  it('empty non-terminal: NSEC3 with an empty bitmap, signed', () => {
    const out = signer.signNode(ZONE, '_device.example.com.', [], 3);
    const n = signer.nodeNsec3(ZONE, '_device.example.com.', [], 3);
    assert.ok(n);
    assert.equal(n.rdata.length, 26);
    assert.deepEqual(out.rrsetSigs, []);
    assert.ok(verifies(out.nsec3Sigs[0]!, n.owner, RrType.NSEC3, [n.rdata], zsk));
  });

  it('a name with neither data nor descendants gets nothing', () => {
    assert.deepEqual(signer.signNode(ZONE, 'gone.example.com.', [], 0), { rrsetSigs: [], nsec3Sigs: [] });
  });

  it('apex NSEC3 lists the apex types', () => {
    const n = signer.nodeNsec3(ZONE, APEX, [RrType.TLSA], 5);
    assert.ok(n);
    assert.deepEqual(decodeTypeBitmap(n.rdata.subarray(26)), [2, 6, 46, 48, 51, 52, 59, 60]);
    const out = signer.signNode(ZONE, APEX, [{ type: RrType.TLSA, ttl: 60, rdatas: [TLSA] }], 5);
    assert.ok(verifies(out.nsec3Sigs[0]!, n.owner, RrType.NSEC3, [n.rdata], zsk));
  });

  it('wildcard RRset signed under * with labels not counting it', () => {
    const out = signer.signNode(ZONE, '*._device.example.com.', [{ type: RrType.TLSA, ttl: 60, rdatas: [TLSA] }], 0);
    const sig = out.rrsetSigs[0]![0]!;
    assert.equal(parseRrsig(sig)?.labels, 3);
    assert.ok(verifies(sig, 'device9._device.example.com.', RrType.TLSA, [TLSA], zsk));
  });

  it('DNSKEY, CDS and CDNSKEY signed by the KSK (RFC 7344 §4.1), other apex RRsets by the ZSK', () => {
    const dnskeys = [ksk.dnskeyRdata, zsk.dnskeyRdata];
    const [dsig] = signer.signDnskeySet(dnskeys, 3600);
    assert.equal(parseRrsig(dsig!)?.keyTag, ksk.keyTag);
    assert.ok(verifies(dsig!, APEX, RrType.DNSKEY, dnskeys, ksk));
    assert.deepEqual(signer.signApexRrset(RrType.DNSKEY, 3600, dnskeys).map((s) => parseRrsig(s)?.keyTag), [ksk.keyTag]);
    const [psig] = signer.signApexRrset(RrType.NSEC3PARAM, 0, [nsec3paramRdata()]);
    assert.equal(parseRrsig(psig!)?.keyTag, zsk.keyTag);
    assert.ok(verifies(psig!, APEX, RrType.NSEC3PARAM, [nsec3paramRdata()], zsk));
    const cdnskey = [ksk.dnskeyRdata];
    for (const type of [RrType.CDS, RrType.CDNSKEY]) {
      const sigs = signer.signApexRrset(type, 3600, cdnskey);
      assert.deepEqual(sigs.map((s) => parseRrsig(s)?.keyTag), [ksk.keyTag], `type ${type}`);
      assert.ok(verifies(sigs[0]!, APEX, type, cdnskey, ksk));
    }
  });

  it('every active ZSK signs (rollover), CSK signs both roles', () => {
    const zsk2 = key(15, 256);
    const two = new ZoneSigner(APEX, { ksks: [ksk], zsks: [zsk, zsk2] }, { clock: () => now });
    const sigs = two.signNode(ZONE, 'a.example.com.', [{ type: RrType.TLSA, ttl: 60, rdatas: [TLSA] }], 0).rrsetSigs[0]!;
    assert.equal(sigs.length, 2);
    assert.ok(verifies(sigs[0]!, 'a.example.com.', RrType.TLSA, [TLSA], zsk));
    assert.ok(verifies(sigs[1]!, 'a.example.com.', RrType.TLSA, [TLSA], zsk2));
    const csk = key(15, 257);
    const c = new ZoneSigner(APEX, { ksks: [csk], zsks: [csk] }, { clock: () => now });
    assert.ok(verifies(c.signDnskeySet([csk.dnskeyRdata], 3600)[0]!, APEX, RrType.DNSKEY, [csk.dnskeyRdata], csk));
    assert.ok(verifies(c.signRrsetNow(APEX, RrType.NS, 3600, [Buffer.from('036e7331076578616d706c65036e657400', 'hex')])[0]!, APEX, RrType.NS, [Buffer.from('036e7331076578616d706c65036e657400', 'hex')], csk));
  });

  it('query-time signatures go through the cache and are refreshed at 25 % remaining', () => {
    const cache = new SignatureCache({ maxBytes: 1 << 20, clock: () => now });
    const s = new ZoneSigner(APEX, { ksks: [ksk], zsks: [zsk] }, { clock: () => now, cache });
    const cover = nsec3Cover(APEX, 'nope.example.com.');
    const first = s.signRrsetNow(cover.owner, RrType.NSEC3, 60, [cover.rdata]);
    assert.ok(verifies(first[0]!, cover.owner, RrType.NSEC3, [cover.rdata], zsk));
    now += 3 * 3600;
    assert.equal(s.signRrsetNow(cover.owner, RrType.NSEC3, 60, [cover.rdata])[0], first[0]);
    assert.deepEqual([cache.stats.hits, cache.stats.misses], [1, 1]);
    now += 12 * 86400; // < 25 % of validity left whatever the jitter
    const again = s.signRrsetNow(cover.owner, RrType.NSEC3, 60, [cover.rdata]);
    assert.notEqual(again[0], first[0]);
    assert.equal(cache.stats.misses, 2);
    const compact = nsec3CompactNxname(APEX, 'nope.example.com.');
    assert.ok(verifyRrsigIndependently({ rrsig: s.signRrsetNow(compact.owner, RrType.NSEC3, 60, [compact.rdata])[0]!, owner: compact.owner, type: RrType.NSEC3, rdatas: [compact.rdata], dnskey: zsk.dnskeyRdata, now }));
  });

  describe('signNode with the previous node: keeps what did not change', () => {
    const owner = 'sensor7._device.example.com.';
    const TLSA2 = Buffer.from('030101' + 'ef'.repeat(32), 'hex');
    const stored = (s: ZoneSigner, rrsets: { type: number; ttl: number; rdatas: Buffer[] }[], descendants = 0): StoredNode => {
      const out = s.signNode(ZONE, owner, rrsets, descendants);
      return { owner, descendants, rrsets: rrsets.map((r, i) => ({ ...r, sigs: out.rrsetSigs[i]! })), nsec3Sigs: out.nsec3Sigs };
    };

    it('keeps every signature of an unchanged name, and they still verify', () => {
      const rrsets = [{ type: RrType.TLSA, ttl: 60, rdatas: [TLSA] }, { type: RrType.SSHFP, ttl: 120, rdatas: [SSHFP] }];
      const prev = stored(signer, rrsets);
      now += 3600;
      const out = signer.signNode(ZONE, owner, rrsets, 0, prev);
      assert.equal(out.reused, 3);
      assert.equal(out.rrsetSigs[0]![0], prev.rrsets[0]!.sigs[0]);
      assert.equal(out.nsec3Sigs[0], prev.nsec3Sigs[0]);
      const n = signer.nodeNsec3(ZONE, owner, [RrType.TLSA, RrType.SSHFP], 0)!;
      assert.ok(verifies(out.rrsetSigs[1]![0]!, owner, RrType.SSHFP, [SSHFP], zsk));
      assert.ok(verifies(out.nsec3Sigs[0]!, n.owner, RrType.NSEC3, [n.rdata], zsk));
    });

    it('signs a changed RRset again and keeps the NSEC3 signature when the type set is the same', () => {
      const prev = stored(signer, [{ type: RrType.TLSA, ttl: 60, rdatas: [TLSA] }]);
      const out = signer.signNode(ZONE, owner, [{ type: RrType.TLSA, ttl: 60, rdatas: [TLSA2] }], 0, prev);
      assert.equal(out.reused, 1);
      assert.notEqual(out.rrsetSigs[0]![0], prev.rrsets[0]!.sigs[0]);
      assert.ok(verifies(out.rrsetSigs[0]![0]!, owner, RrType.TLSA, [TLSA2], zsk));
      assert.equal(out.nsec3Sigs[0], prev.nsec3Sigs[0]);
      const ttl = signer.signNode(ZONE, owner, [{ type: RrType.TLSA, ttl: 300, rdatas: [TLSA] }], 0, prev);
      assert.equal(ttl.reused, 1, 'a new TTL is a new RRset to sign');
      assert.equal(parseRrsig(ttl.rrsetSigs[0]![0]!)?.originalTtl, 300);
    });

    it('signs the NSEC3 again when the type set, the NSEC3 TTL or the ENT status changes', () => {
      const prev = stored(signer, [{ type: RrType.TLSA, ttl: 60, rdatas: [TLSA] }]);
      const more = signer.signNode(ZONE, owner, [{ type: RrType.TLSA, ttl: 60, rdatas: [TLSA] }, { type: RrType.SSHFP, ttl: 60, rdatas: [SSHFP] }], 0, prev);
      assert.equal(more.reused, 1, 'only the TLSA signature');
      const n = signer.nodeNsec3(ZONE, owner, [RrType.TLSA, RrType.SSHFP], 0)!;
      assert.ok(verifies(more.nsec3Sigs[0]!, n.owner, RrType.NSEC3, [n.rdata], zsk));
      const zoneTtl: ZoneInfo = { ...ZONE, settings: { ...SETTINGS, negativeTtl: 30 } };
      const ttl = signer.signNode(zoneTtl, owner, [{ type: RrType.TLSA, ttl: 60, rdatas: [TLSA] }], 0, prev);
      assert.equal(ttl.reused, 1);
      assert.equal(parseRrsig(ttl.nsec3Sigs[0]!)?.originalTtl, 30);
      const ent = signer.signNode(ZONE, owner, [], 2, prev);
      assert.equal(ent.reused, 0, 'an empty non-terminal has an empty bitmap');
    });

    it('signs again what is due for refresh, or was made by a key that no longer signs', () => {
      const rrsets = [{ type: RrType.TLSA, ttl: 60, rdatas: [TLSA] }];
      const prev = stored(signer, rrsets);
      now += 12 * 86400; // < 25 % of validity left whatever the jitter
      const due = signer.signNode(ZONE, owner, rrsets, 0, prev);
      assert.equal(due.reused, 0);
      assert.ok(parseRrsig(due.rrsetSigs[0]![0]!)!.expiration > parseRrsig(prev.rrsets[0]!.sigs[0]!)!.expiration);
      const zsk2 = key(13, 256);
      const rolled = new ZoneSigner(APEX, { ksks: [ksk], zsks: [zsk, zsk2] }, { clock: () => now });
      const fresh = stored(signer, rrsets);
      const out = rolled.signNode(ZONE, owner, rrsets, 0, fresh);
      assert.equal(out.reused, 0, 'one signature per active ZSK is needed');
      assert.deepEqual(out.rrsetSigs[0]!.map((s) => parseRrsig(s)?.keyTag), [zsk.keyTag, zsk2.keyTag]);
      const other = new ZoneSigner(APEX, { ksks: [ksk], zsks: [zsk2] }, { clock: () => now });
      assert.equal(other.signNode(ZONE, owner, rrsets, 0, fresh).reused, 0);
    });

    it('refuses a previous node of another owner', () => {
      const prev = stored(signer, [{ type: RrType.TLSA, ttl: 60, rdatas: [TLSA] }]);
      assert.throws(() => signer.signNode(ZONE, 'other.example.com.', [{ type: RrType.TLSA, ttl: 60, rdatas: [TLSA] }], 0, prev), SignerError);
    });
  });

  it('write-time signing does not fill the cache', () => {
    const cache = new SignatureCache({ maxBytes: 1 << 20, clock: () => now });
    const s = new ZoneSigner(APEX, { ksks: [ksk], zsks: [zsk] }, { clock: () => now, cache });
    s.signNode(ZONE, 'a.example.com.', [{ type: RrType.TLSA, ttl: 60, rdatas: [TLSA] }], 0);
    assert.equal(cache.stats.entries, 0);
  });

  it('typed errors: wrong zone, no keys', () => {
    assert.throws(() => signer.signNode({ ...ZONE, name: 'other.' }, 'a.other.', [], 1), (e: unknown) => e instanceof SignerError && e.code === 'ERR_SIGNER_ZONE_MISMATCH');
    assert.throws(() => new ZoneSigner(APEX, { ksks: [], zsks: [zsk] }), (e: unknown) => e instanceof SignerError && e.code === 'ERR_SIGNER_NO_KEYS');
  });

  describe('SignerRegistry', () => {
    it('routes to the zone signer, leaves unsigned zones unsigned, refuses signed zones without keys', () => {
      const reg = new SignerRegistry();
      const rrsets = [{ type: RrType.TLSA, ttl: 60, rdatas: [TLSA] }];
      assert.deepEqual(reg.signNode({ ...ZONE, settings: { ...SETTINGS, signed: false } }, 'a.example.com.', rrsets, 0), { rrsetSigs: [[]], nsec3Sigs: [] });
      assert.throws(() => reg.signNode(ZONE, 'a.example.com.', rrsets, 0), (e: unknown) => e instanceof SignerError && e.code === 'ERR_SIGNER_NO_KEYS');
      reg.set(signer);
      assert.equal(reg.get(APEX), signer);
      const out = reg.signNode(ZONE, 'a.example.com.', rrsets, 0);
      assert.ok(verifies(out.rrsetSigs[0]![0]!, 'a.example.com.', RrType.TLSA, [TLSA], zsk));
      reg.delete(APEX);
      assert.equal(reg.get(APEX), undefined);
    });
  });
});
