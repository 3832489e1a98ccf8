/** DNSKEY, key tag (RFC 4034 App. B), DS (RFC 4034 §5.1, RFC 4509), CDS/CDNSKEY (RFC 7344, RFC 8078). */
import { strict as assert } from 'node:assert';
import {
  CDNSKEY_DELETE_RDATA,
  CDS_DELETE_RDATA,
  cdnskeyRdata,
  cdsRdata,
  createSigningKey,
  dnskeyRdata,
  dsDigest,
  dsPresentation,
  dsRdata,
  generateKeyPair,
  keyTag,
  parseDnskeyRdata,
  privateKeyFromRaw,
  publicKeyField,
} from '../../../signer/keys.js';
import { SignerError } from '../../../signer/errors.js';
import { RFC4034_DNSKEY, RFC6605, RFC8080 } from './fixtures.js';

describe('signer/keys', () => {
  describe('key tags and DS digests', () => {
    it('RFC 4034 §5.4: tag 60485, SHA-1 digest', () => {
      assert.equal(keyTag(RFC4034_DNSKEY), 60485);
      assert.equal(dsDigest('dskey.example.com.', RFC4034_DNSKEY, 1).toString('hex').toUpperCase(), '2BB183AF5F22588179A53B0A98631FAD1A292118');
    });
    it('RFC 6605 §6.1: tag 55648, DS 55648 13 2 b4c8…', () => {
      assert.equal(keyTag(RFC6605.dnskey), 55648);
      assert.equal(dsRdata(RFC6605.zone, RFC6605.dnskey).toString('hex'), 'd960' + '0d' + '02' + 'b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17');
    });
    it('RFC 8080 §6.1: tag 3613 and DS', () => {
      assert.equal(keyTag(RFC8080.dnskey), 3613);
      assert.equal(dsDigest(RFC8080.zone, RFC8080.dnskey, 2).toString('hex'), '3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b');
    });
    it('RFC 8080 §6.2: tag 35217 and DS', () => {
      assert.equal(keyTag(RFC8080.dnskey2), 35217);
      assert.equal(dsDigest(RFC8080.zone, RFC8080.dnskey2, 2).toString('hex'), '401781b934e392de492ec77ae2e15d70f6575a1c0bc59c5275c04ebe80c6614c');
    });
    it('DS presentation line', () => {
      assert.equal(dsPresentation(RFC6605.zone, RFC6605.dnskey), 'example.net. IN DS 55648 13 2 B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17');
    });
    it('DS digest uses the lowercase owner', () => {
      assert.deepEqual(dsRdata('EXAMPLE.NET.', RFC6605.dnskey), dsRdata('example.net.', RFC6605.dnskey));
    });
  });

  describe('public keys', () => {
    it('RFC 6605 private scalar derives the published DNSKEY', () => {
      const priv = privateKeyFromRaw(13, RFC6605.privateRaw);
      assert.deepEqual(dnskeyRdata(257, 13, publicKeyField(13, priv)), RFC6605.dnskey);
    });
    it('RFC 8080 seed derives the published DNSKEY', () => {
      const priv = privateKeyFromRaw(15, RFC8080.seed);
      assert.deepEqual(dnskeyRdata(257, 15, publicKeyField(15, priv)), RFC8080.dnskey);
    });
    it('generated keys have the RFC 6605 §4 / RFC 8080 §3 public key sizes', () => {
      const p = generateKeyPair(13);
      assert.equal(p.publicKey.length, 64);
      const e = generateKeyPair(15);
      assert.equal(e.publicKey.length, 32);
      assert.deepEqual(publicKeyField(15, e.privateKey), e.publicKey);
    });
    it('DNSKEY RDATA layout: flags, protocol 3, algorithm, key', () => {
      const k = generateKeyPair(13);
      const rd = dnskeyRdata(256, 13, k.publicKey);
      assert.deepEqual(parseDnskeyRdata(rd), { flags: 256, protocol: 3, algorithm: 13, publicKey: k.publicKey });
    });
    it('rejects unsupported algorithms with a typed error', () => {
      assert.throws(() => generateKeyPair(8), (e: unknown) => e instanceof SignerError && e.code === 'ERR_SIGNER_ALGORITHM');
    });
    it('createSigningKey refuses a private key that does not match the DNSKEY', () => {
      const k = generateKeyPair(13);
      assert.throws(() => createSigningKey(k.privateKey, RFC6605.dnskey), (e: unknown) => e instanceof SignerError && e.code === 'ERR_SIGNER_KEY_MISMATCH');
      assert.throws(() => createSigningKey(k.privateKey, RFC8080.dnskey), (e: unknown) => e instanceof SignerError);
      const ok = createSigningKey(privateKeyFromRaw(13, RFC6605.privateRaw), RFC6605.dnskey);
      assert.equal(ok.keyTag, 55648);
      assert.equal(ok.algorithm, 13);
    });
  });

  describe('CDS / CDNSKEY', () => {
    it('CDS equals DS, CDNSKEY equals DNSKEY (RFC 7344 §3)', () => {
      assert.deepEqual(cdsRdata(RFC6605.zone, RFC6605.dnskey), dsRdata(RFC6605.zone, RFC6605.dnskey));
      assert.deepEqual(cdnskeyRdata(RFC6605.dnskey), RFC6605.dnskey);
    });
    it('RFC 8078 §4 delete forms: CDS 0 0 0 00, CDNSKEY 0 3 0 AA==', () => {
      assert.equal(CDS_DELETE_RDATA.toString('hex'), '0000000000');
      assert.equal(CDNSKEY_DELETE_RDATA.toString('hex'), '0000030000');
    });
  });
});
