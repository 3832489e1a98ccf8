/** Type bit maps (RFC 5155 §3.2.1, RFC 4034 §4.1.2) against the encodings of SPECS.md §8.6. */
import { strict as assert } from 'node:assert';
import { decodeTypeBitmap, encodeTypeBitmap } from '../../../signer/type-bitmap.js';
import { RrType as T } from '../../../core/rr-types.js';

const CASES: [string, number[], string][] = [
  ['RFC 5155 App. A apex', [T.NS, T.SOA, T.MX, T.RRSIG, T.DNSKEY, T.NSEC3PARAM], '000722010000000290'],
  ['A RRSIG (App. B.2)', [T.A, T.RRSIG], '0006400000000002'],
  ['TLSA RRSIG', [T.TLSA, T.RRSIG], '000700000000000208'],
  ['SSHFP RRSIG', [T.SSHFP, T.RRSIG], '000600000000000a'],
  ['NXNAME only', [T.NXNAME], '0011' + '00'.repeat(16) + '80'],
  ['empty', [], ''],
];

describe('signer/type-bitmap', () => {
  for (const [label, types, hex] of CASES) {
    it(label, () => {
      assert.equal(encodeTypeBitmap(types).toString('hex'), hex);
      assert.deepEqual(decodeTypeBitmap(Buffer.from(hex, 'hex')), [...types].sort((a, b) => a - b));
    });
  }
  it('ignores order and duplicates', () => {
    assert.equal(encodeTypeBitmap([T.TLSA, T.RRSIG, T.TLSA]).toString('hex'), '000700000000000208');
  });
  it('several windows in increasing order', () => {
    const types = [T.CAA, T.A, 65535];
    const enc = encodeTypeBitmap(types);
    assert.equal(enc.toString('hex'), '000140' + '010140' + 'ff20' + '00'.repeat(31) + '01');
    assert.deepEqual(decodeTypeBitmap(enc), [1, 257, 65535]);
  });
  it('rejects malformed bitmaps', () => {
    assert.equal(decodeTypeBitmap(Buffer.from('00', 'hex')), undefined);
    assert.equal(decodeTypeBitmap(Buffer.from('0000', 'hex')), undefined);
    assert.equal(decodeTypeBitmap(Buffer.from('0021' + '00'.repeat(33), 'hex')), undefined);
    assert.equal(decodeTypeBitmap(Buffer.from('010140000140', 'hex')), undefined); // windows out of order
    assert.equal(decodeTypeBitmap(Buffer.from('000340', 'hex')), undefined); // truncated
  });
});
