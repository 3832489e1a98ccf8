/**
 * signer/sha1.ts against node:crypto (OpenSSL): every input length across the block and padding
 * boundaries, the FIPS 180-2 example messages, and inputs longer than any before (the scratch
 * block grows).
 */
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { sha1 } from '../../../signer/sha1.js';

const openssl = (d: Uint8Array): Buffer => createHash('sha1').update(d).digest();

describe('sha1', () => {
  it('matches node:crypto for every length from 0 to 600 octets', () => {
    for (let n = 0; n <= 600; n++) {
      const d = randomBytes(n);
      assert.deepEqual(sha1(d), openssl(d), `length ${n}`);
    }
  });

  it('gives the FIPS 180-2 example digests', () => {
    assert.equal(sha1(Buffer.from('abc')).toString('hex'), 'a9993e364706816aba3e25717850c26c9cd0d89d');
    assert.equal(sha1(Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toString('hex'), '84983e441c3bd26ebaae4aa1f95129e5e54670f1');
    assert.equal(sha1(Buffer.alloc(0)).toString('hex'), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
  });

  it('stays right after a long input grew its scratch block, and for all-ones input', () => {
    const long = randomBytes(100_000);
    assert.deepEqual(sha1(long), openssl(long));
    const short = Buffer.alloc(31, 0xff);
    assert.deepEqual(sha1(short), openssl(short));
    assert.deepEqual(sha1(long.subarray(5, 70)), openssl(long.subarray(5, 70)));
  });
});
