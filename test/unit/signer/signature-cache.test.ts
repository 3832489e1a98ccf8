/** The signature cache: hits, 25 % freshness rule, byte-bounded LRU eviction, counters. */
import { strict as assert } from 'node:assert';
import { rrsigPrefix } from '../../../signer/rrsig.js';
import { SignatureCache } from '../../../signer/signature-cache.js';

function fakeRrsig(inception: number, expiration: number, fill = 1): Buffer {
  const prefix = rrsigPrefix({ typeCovered: 52, algorithm: 13, labels: 3, originalTtl: 60, expiration, inception, keyTag: 1, signerName: 'example.com.' });
  return Buffer.concat([prefix, Buffer.alloc(64, fill)]);
}

describe('signer/signature-cache', () => {
  it('returns the cached signature while fresh', () => {
    let now = 1000;
    const cache = new SignatureCache({ maxBytes: 1 << 20, clock: () => now });
    let signings = 0;
    const sign = (): Buffer => {
      signings++;
      return fakeRrsig(now, now + 1000, signings);
    };
    const key = Buffer.from('some wire bytes');
    const first = cache.getOrSign(key, sign);
    now += 700; // 30 % remains
    assert.equal(cache.getOrSign(key, sign), first);
    assert.equal(signings, 1);
    now += 60; // 24 % remains: treated as a miss and re-signed
    const second = cache.getOrSign(key, sign);
    assert.notEqual(second, first);
    assert.equal(signings, 2);
    assert.deepEqual({ ...cache.stats, bytes: 0 }, { hits: 1, misses: 2, evictions: 0, entries: 1, bytes: 0 });
  });
  it('distinguishes keys by their bytes', () => {
    const cache = new SignatureCache({ maxBytes: 1 << 20, clock: () => 0 });
    const a = cache.getOrSign(Buffer.from([1, 2, 3]), () => fakeRrsig(0, 1000, 1));
    const b = cache.getOrSign(Buffer.from([1, 2, 4]), () => fakeRrsig(0, 1000, 2));
    assert.notDeepEqual(a, b);
    assert.equal(cache.getOrSign(Buffer.from([1, 2, 3]), () => assert.fail('should hit')), a);
  });
  it('evicts least recently used entries to stay under maxBytes', () => {
    const cache = new SignatureCache({ maxBytes: 1500, clock: () => 0 });
    for (let i = 0; i < 20; i++) cache.getOrSign(Buffer.from([i]), () => fakeRrsig(0, 1000, i));
    const { bytes, entries, evictions } = cache.stats;
    assert.ok(bytes <= 1500);
    assert.ok(entries >= 1 && entries < 20);
    assert.equal(evictions, 20 - entries);
    // The most recent key survived, the oldest did not.
    assert.deepEqual(cache.getOrSign(Buffer.from([19]), () => assert.fail('should hit')), fakeRrsig(0, 1000, 19));
    let resigned = false;
    cache.getOrSign(Buffer.from([0]), () => {
      resigned = true;
      return fakeRrsig(0, 1000, 0);
    });
    assert.equal(resigned, true);
  });
  it('a hit refreshes recency', () => {
    const cache = new SignatureCache({ maxBytes: 900, clock: () => 0 });
    cache.getOrSign(Buffer.from([1]), () => fakeRrsig(0, 1000, 1));
    cache.getOrSign(Buffer.from([2]), () => fakeRrsig(0, 1000, 2));
    cache.getOrSign(Buffer.from([1]), () => assert.fail('should hit'));
    cache.getOrSign(Buffer.from([3]), () => fakeRrsig(0, 1000, 3)); // evicts 2, not 1
    cache.getOrSign(Buffer.from([1]), () => assert.fail('1 should have survived'));
  });
  it('does not store what cannot fit, and clear() empties it', () => {
    const cache = new SignatureCache({ maxBytes: 100, clock: () => 0 });
    cache.getOrSign(Buffer.from([1]), () => fakeRrsig(0, 1000));
    assert.equal(cache.stats.entries, 0);
    const big = new SignatureCache({ maxBytes: 1 << 20, clock: () => 0 });
    big.getOrSign(Buffer.from([1]), () => fakeRrsig(0, 1000));
    big.clear();
    assert.deepEqual([big.stats.entries, big.stats.bytes], [0, 0]);
  });
});

describe('signer/signature-cache admission window', () => {
  it('stores a signature only on its second miss, so one-off covers never evict reused ones', async () => {
    const { SignatureCache } = await import('../../../signer/signature-cache.js');
    const { signRrset } = await import('../../../signer/rrsig.js');
    const { generateKeyPair, dnskeyRdata, createSigningKey } = await import('../../../signer/keys.js');
    const kp = generateKeyPair(13);
    const key = createSigningKey(kp.privateKey, dnskeyRdata(256, 13, kp.publicKey));
    const now = 1_800_000_000;
    const cache = new SignatureCache({ maxBytes: 1 << 20, clock: () => now, admissionWindow: 100 });
    let signed = 0;
    const sign = (): Buffer => {
      signed++;
      return signRrset({ owner: 'a.example.', type: 52, ttl: 60, rdatas: [Buffer.from([3, 1, 1, 0])] }, key, { inception: now - 3600, expiration: now + 86400 * 14 }, 'example.');
    };
    const k = Buffer.from('key-a');
    cache.getOrSign(k, sign);
    assert.equal(cache.stats.entries, 0, 'first miss: not stored');
    cache.getOrSign(k, sign);
    assert.equal(cache.stats.entries, 1, 'second miss: stored');
    cache.getOrSign(k, sign);
    assert.equal(signed, 2, 'third ask is a hit');
  });
});
