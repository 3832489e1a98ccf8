/** NSEC3 hashing (RFC 5155 §5, App. A), base32hex (RFC 4648 §7), ±1, RDATA and white lies (SPECS.md §4.6, §8.1). */
import { strict as assert } from 'node:assert';
import { base32hexDecode, base32hexEncode } from '../../../signer/base32hex.js';
import {
  hashDecrement,
  hashIncrement,
  isNsec3OwnerLike,
  isNsec3OwnerName,
  nsec3CompactNxname,
  nsec3Cover,
  nsec3Hash,
  nsec3Match,
  nsec3OwnerHash,
  nsec3paramRdata,
  nsec3Rdata,
  nsec3Ttl,
  APEX_NSEC3_TYPES,
} from '../../../signer/nsec3.js';
import { decodeTypeBitmap } from '../../../signer/type-bitmap.js';
import { RrType } from '../../../core/rr-types.js';

const APP_A_PARAMS = { iterations: 12, salt: Buffer.from('aabbccdd', 'hex') };

const APP_A: [string, string][] = [
  ['example', '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom'],
  ['a.example', '35mthgpgcu1qg68fab165klnsnk3dpvl'],
  ['ai.example', 'gjeqe526plbf1g8mklp59enfd789njgi'],
  ['ns1.example', '2t7b4g4vsa5smi47k61mv5bv1a22bojr'],
  ['ns2.example', 'q04jkcevqvmu85r014c7dkba38o0ji5r'],
  ['w.example', 'k8udemvp1j2f7eg6jebps17vp3n8i58h'],
  ['*.w.example', 'r53bq7cc2uvmubfu5ocmm6pers9tk9en'],
  ['x.w.example', 'b4um86eghhds6nea196smvmlo4ors995'],
  ['y.w.example', 'ji6neoaepv8b5o6k4ev33abha8ht9fgc'],
  ['x.y.w.example', '2vptu5timamqttgl4luu9kg21e0aor3s'],
  ['xx.example', 't644ebqk9bibcna874givr6joj62mlhv'],
  ['2t7b4g4vsa5smi47k61mv5bv1a22bojr.example', 'kohar7mbb8dc2ce8a9qvl8hon4k53uhi'],
];

const APP_B: [string, string][] = [
  ['c.x.w.example', '0va5bpr2ou0vk0lbqeeljri88laipsfh'],
  ['*.x.w.example', '92pqneegtaue7pjatc3l3qnk738c6v5m'],
  ['c.example', '4g6p9u5gvfshp30pqecj98b3maqbn1ck'],
  ['z.w.example', 'qlu7gtfaeh0ek0c05ksfhdpbcgglbe03'],
  ['a.c.x.w.example', '06pjpo0bna507odhmdh856ignbmhtjf3'],
];

/** SPECS.md §4.6: salt empty, 0 iterations; [name, H, H−1 tail, H+1 tail]. */
const WHITE_LIES: [string, string, string, string][] = [
  ['a.example.com.', 'h64kfa4p1acer2ebps9qsdk6dnp8b3jq', 'b3jp', 'b3jr'],
  ['sensor7._device.example.com.', 'bddvr74g65b6reo3hnufgvs4lmhghd9c', 'hd9b', 'hd9d'],
  ['_device.example.com.', 'nmmbhtoducvbcpkl91890c5umaa14v9j', '14v9i', '14v9k'],
  ['*._device.example.com.', 'n98etd8hq6r5tmf7eqqn8ft0c461d3vg', 'd3vf', 'd3vh'],
  ['example.com.', 'onib9mgub9h0rml3cdf5bgrj59dkjhvk', 'jhvj', 'jhvl'],
];

describe('signer/nsec3', () => {
  describe('RFC 5155 Appendix A hashes (1 0 12 aabbccdd)', () => {
    for (const [name, expected] of [...APP_A, ...APP_B]) {
      it(name, () => assert.equal(base32hexEncode(nsec3Hash(name + '.', APP_A_PARAMS)), expected));
    }
    it('hex of example and a.example', () => {
      assert.equal(nsec3Hash('example.', APP_A_PARAMS).toString('hex'), '065368abeed7ec6e9feba96b8c8bc3e8b791f716');
      assert.equal(nsec3Hash('a.example.', APP_A_PARAMS).toString('hex'), '196dd8c3306783a8190f52c262d2b7e5e836e7f5');
    });
    it('hashes the lowercase name whatever the input case', () => {
      assert.equal(base32hexEncode(nsec3Hash('A.EXAMPLE.', APP_A_PARAMS)), '35mthgpgcu1qg68fab165klnsnk3dpvl');
    });
  });

  describe('zero iterations, empty salt (RFC 9276)', () => {
    it('example and a.example (SPECS.md §8.1)', () => {
      assert.equal(base32hexEncode(nsec3Hash('example.')), '3msev9usmd4br9s97v51r2tdvmr9iqo1');
      assert.equal(base32hexEncode(nsec3Hash('a.example.')), '6cd522290vma0nr8lqu1ivtcofj94rga');
    });
    for (const [name, h, minus, plus] of WHITE_LIES) {
      it(`${name} H, H−1, H+1`, () => {
        const hash = nsec3Hash(name);
        assert.equal(base32hexEncode(hash), h);
        assert.equal(base32hexEncode(hashDecrement(hash)), h.slice(0, 32 - minus.length) + minus);
        assert.equal(base32hexEncode(hashIncrement(hash)), h.slice(0, 32 - plus.length) + plus);
      });
    }
    it('owner names on the apex', () => {
      assert.equal(nsec3OwnerHash('example.com.', 'a.example.com.'), 'h64kfa4p1acer2ebps9qsdk6dnp8b3jq.example.com.');
      assert.equal(nsec3OwnerHash('.', 'com.'), base32hexEncode(nsec3Hash('com.')) + '.');
    });
  });

  describe('hash ±1 modulo 2^160', () => {
    it('wraps ff…ff + 1 to 00…00 and back', () => {
      const max = Buffer.alloc(20, 0xff);
      const zero = Buffer.alloc(20, 0);
      assert.deepEqual(hashIncrement(max), zero);
      assert.deepEqual(hashDecrement(zero), max);
    });
    it('carries and borrows across bytes', () => {
      const h = Buffer.from('00'.repeat(18) + '01ff', 'hex');
      assert.equal(hashIncrement(h).toString('hex'), '00'.repeat(18) + '0200');
      assert.equal(hashDecrement(Buffer.from('00'.repeat(18) + '0200', 'hex')).toString('hex'), '00'.repeat(18) + '01ff');
    });
    it('does not modify its input', () => {
      const h = Buffer.alloc(20, 7);
      hashIncrement(h);
      hashDecrement(h);
      assert.deepEqual(h, Buffer.alloc(20, 7));
    });
  });

  describe('base32hex', () => {
    it('RFC 4648 §10 vectors, lowercase, no padding', () => {
      const cases: [string, string][] = [['', ''], ['f', 'co'], ['fo', 'cpng'], ['foo', 'cpnmu'], ['foob', 'cpnmuog'], ['fooba', 'cpnmuoj1'], ['foobar', 'cpnmuoj1e8']];
      for (const [raw, enc] of cases) {
        assert.equal(base32hexEncode(Buffer.from(raw)), enc);
        assert.equal(base32hexDecode(enc)?.toString(), raw);
        assert.equal(base32hexDecode(enc.toUpperCase())?.toString(), raw);
      }
    });
    it('round-trips 20-byte hashes to 32 characters', () => {
      for (let i = 0; i < 50; i++) {
        const h = nsec3Hash(`n${i}.example.`);
        const enc = base32hexEncode(h);
        assert.equal(enc.length, 32);
        assert.deepEqual(base32hexDecode(enc), h);
      }
    });
    it('rejects characters outside the alphabet and impossible lengths', () => {
      assert.equal(base32hexDecode('w0'), undefined);
      assert.equal(base32hexDecode('c'), undefined);
      assert.equal(base32hexDecode('cp='), undefined);
      assert.equal(base32hexDecode('cp'), undefined); // non-zero leftover bits
    });
  });

  describe('RDATA', () => {
    it('NSEC3PARAM 1 0 0 - and 1 0 12 aabbccdd', () => {
      assert.equal(nsec3paramRdata().toString('hex'), '0100000000');
      assert.equal(nsec3paramRdata(APP_A_PARAMS).toString('hex'), '0100000c04aabbccdd');
    });
    it('NSEC3 layout: alg flags iterations salt hashlen next bitmap', () => {
      const next = Buffer.alloc(20, 0xab);
      const rd = nsec3Rdata(next, [RrType.TLSA, RrType.RRSIG]);
      assert.equal(rd.toString('hex'), '0100000000' + '14' + 'ab'.repeat(20) + '000700000000000208');
    });
  });

  describe('white lies', () => {
    it('match: owner H, next H+1, types plus RRSIG', () => {
      const m = nsec3Match('example.com.', 'a.example.com.', [RrType.TLSA]);
      assert.equal(m.owner, 'h64kfa4p1acer2ebps9qsdk6dnp8b3jq.example.com.');
      assert.equal(base32hexEncode(m.rdata.subarray(6, 26)), 'h64kfa4p1acer2ebps9qsdk6dnp8b3jr');
      assert.deepEqual(decodeTypeBitmap(m.rdata.subarray(26)), [RrType.RRSIG, RrType.TLSA]);
    });
    it('match for an empty non-terminal has an empty bitmap', () => {
      const m = nsec3Match('example.com.', '_device.example.com.', []);
      assert.equal(m.rdata.length, 26);
    });
    it('apex match lists what the caller passes, plus RRSIG', () => {
      const m = nsec3Match('example.com.', 'example.com.', [...APEX_NSEC3_TYPES]);
      assert.deepEqual(decodeTypeBitmap(m.rdata.subarray(26)), [2, 6, 46, 48, 51, 59, 60]);
    });
    it('cover: owner H−1, next H+1, empty bitmap', () => {
      const c = nsec3Cover('example.com.', 'a.example.com.');
      assert.equal(c.owner, 'h64kfa4p1acer2ebps9qsdk6dnp8b3jp.example.com.');
      assert.equal(base32hexEncode(c.rdata.subarray(6, 26)), 'h64kfa4p1acer2ebps9qsdk6dnp8b3jr');
      assert.equal(c.rdata.length, 26);
    });
    it('RFC 9824 compact denial: owner H, next H+1, bitmap NXNAME only', () => {
      const c = nsec3CompactNxname('example.com.', 'a.example.com.');
      assert.equal(c.owner, 'h64kfa4p1acer2ebps9qsdk6dnp8b3jq.example.com.');
      assert.equal(base32hexEncode(c.rdata.subarray(6, 26)), 'h64kfa4p1acer2ebps9qsdk6dnp8b3jr');
      assert.equal(c.rdata.subarray(26).toString('hex'), '0011' + '00'.repeat(16) + '80');
    });
    it('NSEC3 TTL is min(SOA TTL, SOA MINIMUM) (RFC 9077 §3)', () => {
      assert.equal(nsec3Ttl({ soaTtl: 3600, negativeTtl: 60 }), 60);
      assert.equal(nsec3Ttl({ soaTtl: 30, negativeTtl: 60 }), 30);
    });
  });

  describe('NSEC3 owner detection (RFC 5155 §7.2.8)', () => {
    it('32 base32hex characters, either case', () => {
      assert.equal(isNsec3OwnerLike('h64kfa4p1acer2ebps9qsdk6dnp8b3jq'), true);
      assert.equal(isNsec3OwnerLike('H64KFA4P1ACER2EBPS9QSDK6DNP8B3JQ'), true);
      assert.equal(isNsec3OwnerLike('h64kfa4p1acer2ebps9qsdk6dnp8b3j'), false);
      assert.equal(isNsec3OwnerLike('w64kfa4p1acer2ebps9qsdk6dnp8b3jq'), false);
      assert.equal(isNsec3OwnerLike('sensor7'), false);
    });
    it('only directly below the apex', () => {
      assert.equal(isNsec3OwnerName('example.com.', 'h64kfa4p1acer2ebps9qsdk6dnp8b3jq.example.com.'), true);
      assert.equal(isNsec3OwnerName('example.com.', 'x.h64kfa4p1acer2ebps9qsdk6dnp8b3jq.example.com.'), false);
      assert.equal(isNsec3OwnerName('example.com.', 'h64kfa4p1acer2ebps9qsdk6dnp8b3jq.x.example.com.'), false);
    });
  });
});
