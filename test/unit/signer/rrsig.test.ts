/**
 * RRSIG construction and signatures (RFC 4034 §3.1, §6; RFC 6605 §6.1; RFC 8080 §6.1), every
 * signature made here checked by the independent @noble/curves verifier.
 */
import { strict as assert } from 'node:assert';
import { RrType } from '../../../core/rr-types.js';
import { canonicalRrsetWire } from '../../../signer/canonical.js';
import { createSigningKey, dnskeyRdata, generateKeyPair, privateKeyFromRaw, type SigningKey } from '../../../signer/keys.js';
import { parseRrsig, rrsigPrefix, rrsigWindow, signBytes, signRrset, verifyRrsig } from '../../../signer/rrsig.js';
import { verifyRrsigIndependently } from '../../helpers/noble-verify.js';
import { RFC6605, RFC8080 } from './fixtures.js';

function freshKey(algorithm: 13 | 15, flags = 256): SigningKey {
  const k = generateKeyPair(algorithm);
  return createSigningKey(k.privateKey, dnskeyRdata(flags, algorithm, k.publicKey));
}

const TLSA_A = Buffer.from('030101' + 'aa'.repeat(32), 'hex');
const TLSA_B = Buffer.from('030102' + 'bb'.repeat(64), 'hex');
const WINDOW = { inception: 1_700_000_000, expiration: 1_701_209_600 };

describe('signer/rrsig', () => {
  describe('RFC 6605 §6.1 (P-256, verify only: ECDSA is randomised)', () => {
    const rrsig = Buffer.concat([
      rrsigPrefix({ typeCovered: RrType.A, algorithm: 13, labels: 3, originalTtl: 3600, expiration: RFC6605.expiration, inception: RFC6605.inception, keyTag: 55648, signerName: RFC6605.zone }),
      RFC6605.signature,
    ]);
    const rrset = { owner: RFC6605.owner, type: RrType.A, ttl: 3600, rdatas: [RFC6605.aRdata] };
    it('verifies with node:crypto', () => assert.equal(verifyRrsig(rrsig, rrset, RFC6605.dnskey), true));
    it('verifies with the independent verifier', () => {
      assert.equal(verifyRrsigIndependently({ rrsig, owner: RFC6605.owner, type: RrType.A, rdatas: [RFC6605.aRdata], dnskey: RFC6605.dnskey }), true);
    });
    it('fails for other data', () => {
      const other = { ...rrset, rdatas: [Buffer.from([192, 0, 2, 2])] };
      assert.equal(verifyRrsig(rrsig, other, RFC6605.dnskey), false);
      assert.equal(verifyRrsigIndependently({ rrsig, owner: RFC6605.owner, type: RrType.A, rdatas: other.rdatas, dnskey: RFC6605.dnskey }), false);
    });
    it('our own P-256 signature with the RFC key verifies both ways', () => {
      const key = createSigningKey(privateKeyFromRaw(13, RFC6605.privateRaw), RFC6605.dnskey);
      const sig = signRrset(rrset, key, { inception: RFC6605.inception, expiration: RFC6605.expiration }, RFC6605.zone);
      assert.deepEqual(sig.subarray(0, rrsig.length - 64), rrsig.subarray(0, rrsig.length - 64));
      assert.equal(sig.length, rrsig.length);
      assert.equal(verifyRrsig(sig, rrset, RFC6605.dnskey), true);
      assert.equal(verifyRrsigIndependently({ rrsig: sig, owner: RFC6605.owner, type: RrType.A, rdatas: [RFC6605.aRdata], dnskey: RFC6605.dnskey }), true);
    });
  });

  describe('RFC 8080 §6.1 (Ed25519, deterministic)', () => {
    const key = createSigningKey(privateKeyFromRaw(15, RFC8080.seed), RFC8080.dnskey);
    const rrset = { owner: RFC8080.zone, type: RrType.MX, ttl: 3600, rdatas: [RFC8080.mxRdata] };
    const window = { inception: RFC8080.inception, expiration: RFC8080.expiration };
    it('reproduces the Labels = 2 regression vector byte for byte', () => {
      const sig = signRrset(rrset, key, window, RFC8080.zone);
      const expected = Buffer.concat([
        rrsigPrefix({ typeCovered: RrType.MX, algorithm: 15, labels: 2, originalTtl: 3600, expiration: RFC8080.expiration, inception: RFC8080.inception, keyTag: 3613, signerName: RFC8080.zone }),
        RFC8080.correctSignature,
      ]);
      assert.equal(sig.toString('hex'), expected.toString('hex'));
      assert.equal(verifyRrsigIndependently({ rrsig: sig, owner: RFC8080.zone, type: RrType.MX, rdatas: [RFC8080.mxRdata], dnskey: RFC8080.dnskey }), true);
    });
    it('reproduces the printed signature when signed with Labels = 3 (erratum 4935)', () => {
      const prefix = rrsigPrefix({ typeCovered: RrType.MX, algorithm: 15, labels: 3, originalTtl: 3600, expiration: RFC8080.expiration, inception: RFC8080.inception, keyTag: 3613, signerName: RFC8080.zone });
      const data = Buffer.concat([prefix, canonicalRrsetWire(RFC8080.zone, RrType.MX, 3600, [RFC8080.mxRdata])]);
      assert.deepEqual(signBytes(15, key.privateKey, data), RFC8080.printedSignature);
    });
  });

  describe('canonical form (RFC 4034 §6.2, §6.3)', () => {
    const key = freshKey(15);
    it('RDATA order and duplicates do not change the signed data', () => {
      const a = signRrset({ owner: 'x.example.com.', type: RrType.TLSA, ttl: 60, rdatas: [TLSA_A, TLSA_B] }, key, WINDOW, 'example.com.');
      const b = signRrset({ owner: 'x.example.com.', type: RrType.TLSA, ttl: 60, rdatas: [TLSA_B, TLSA_A, TLSA_B] }, key, WINDOW, 'example.com.');
      assert.deepEqual(a, b); // Ed25519 is deterministic
    });
    it('owner and signer name are lowercased', () => {
      const a = signRrset({ owner: 'x.example.com.', type: RrType.TLSA, ttl: 60, rdatas: [TLSA_A] }, key, WINDOW, 'example.com.');
      const b = signRrset({ owner: 'X.Example.COM.', type: RrType.TLSA, ttl: 60, rdatas: [TLSA_A] }, key, WINDOW, 'EXAMPLE.com.');
      assert.deepEqual(a, b);
    });
    it('RR wire: owner, type, class IN, TTL, RDLENGTH, RDATA, sorted', () => {
      const wire = canonicalRrsetWire('a.b.', RrType.TLSA, 60, [Buffer.from([2]), Buffer.from([1, 0])]);
      assert.equal(wire.toString('hex'), '016101620000340001' + '0000003c' + '0002' + '0100' + '016101620000340001' + '0000003c' + '0001' + '02');
    });
  });

  describe('generated keys, verified independently', () => {
    for (const alg of [13, 15] as const) {
      it(`algorithm ${alg}: TLSA RRset`, () => {
        const key = freshKey(alg);
        const rrset = { owner: 'sensor7._device.example.com.', type: RrType.TLSA, ttl: 60, rdatas: [TLSA_B, TLSA_A] };
        const sig = signRrset(rrset, key, WINDOW, 'example.com.');
        const parsed = parseRrsig(sig);
        assert.ok(parsed);
        assert.equal(parsed.labels, 4);
        assert.equal(parsed.signature.length, 64);
        assert.equal(parsed.signerName, 'example.com.');
        assert.equal(parsed.keyTag, key.keyTag);
        assert.deepEqual(rrsigWindow(sig), WINDOW);
        const args = { rrsig: sig, owner: rrset.owner, type: RrType.TLSA, rdatas: rrset.rdatas, dnskey: key.dnskeyRdata };
        assert.equal(verifyRrsigIndependently(args), true);
        assert.equal(verifyRrsigIndependently({ ...args, now: WINDOW.inception + 10 }), true);
        assert.equal(verifyRrsigIndependently({ ...args, now: WINDOW.expiration + 10 }), false);
        assert.equal(verifyRrsigIndependently({ ...args, rdatas: [TLSA_A] }), false);
        assert.equal(verifyRrsigIndependently({ ...args, owner: 'sensor8._device.example.com.' }), false);
        assert.equal(verifyRrsigIndependently({ ...args, dnskey: freshKey(alg).dnskeyRdata }), false);
        const tampered = Buffer.from(sig);
        tampered[tampered.length - 1]! ^= 1;
        assert.equal(verifyRrsigIndependently({ ...args, rrsig: tampered }), false);
      });
      it(`algorithm ${alg}: wildcard signed under its * owner, verified for an expanded name`, () => {
        const key = freshKey(alg);
        const sig = signRrset({ owner: '*._device.example.com.', type: RrType.TLSA, ttl: 60, rdatas: [TLSA_A] }, key, WINDOW, 'example.com.');
        assert.equal(parseRrsig(sig)?.labels, 3);
        const args = { rrsig: sig, type: RrType.TLSA, rdatas: [TLSA_A], dnskey: key.dnskeyRdata };
        assert.equal(verifyRrsigIndependently({ ...args, owner: 'sensor7._device.example.com.' }), true);
        assert.equal(verifyRrsigIndependently({ ...args, owner: '*._device.example.com.' }), true);
        assert.equal(verifyRrsigIndependently({ ...args, owner: 'sensor7.other.example.com.' }), false);
      });
    }
  });

  describe('parseRrsig', () => {
    it('rejects truncated or malformed RDATA', () => {
      assert.equal(parseRrsig(Buffer.alloc(10)), undefined);
      const bad = Buffer.concat([Buffer.alloc(18), Buffer.from([5, 0x61])]);
      assert.equal(parseRrsig(bad), undefined);
      assert.equal(parseRrsig(Buffer.concat([Buffer.alloc(18), Buffer.from([64])])), undefined);
    });
  });
});
