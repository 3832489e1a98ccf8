/**
 * The re-signer's test of a stored node (server/dnssec/resigner.ts needsResign): nothing to do while
 * every signature is one per active ZSK, made for the stored TTL (the NSEC3's for the zone's current
 * NSEC3 TTL) and not due for refresh; something to do as soon as any of these stops holding.
 */
import { strict as assert } from 'node:assert';
import { RrType } from '../../../core/rr-types.js';
import { needsResign } from '../../../server/dnssec/resigner.js';
import { nsec3Ttl } from '../../../signer/nsec3.js';
import { ZoneSigner } from '../../../signer/zone-signer.js';
import type { StoredNode } from '../../../zone-store/types.js';
import { APEX, NOW, SETTINGS, ZONE, signingKey } from '../../helpers/signer-fixture.js';

const TLSA = Buffer.from('030101' + 'ab'.repeat(32), 'hex');


describe('re-signer: which stored nodes need signing again', () => {
  const ksk = signingKey(13, 257);
  const zsk = signingKey(13, 256);
  const signer = new ZoneSigner(APEX, { ksks: [ksk], zsks: [zsk] }, { clock: () => NOW });
  const owner = 'a.example.com.';
  const rrsets = [{ type: RrType.TLSA, ttl: 60, rdatas: [TLSA] }];
  const out = signer.signNode(ZONE, owner, rrsets, 0);
  const node: StoredNode = { owner, descendants: 0, rrsets: [{ ...rrsets[0]!, sigs: out.rrsetSigs[0]! }], nsec3Sigs: out.nsec3Sigs };
  const tags = new Set([zsk.keyTag]);

  it('leaves a freshly signed node alone', () => {
    assert.equal(needsResign(node, tags, NOW + 3600, nsec3Ttl(SETTINGS)), false);
  });

  it('signs again when the zone\'s NSEC3 TTL changed since', () => {
    assert.equal(needsResign(node, tags, NOW + 3600, nsec3Ttl({ ...SETTINGS, negativeTtl: 30 })), true);
  });

  it('signs again what is due for refresh or made by a key that no longer signs', () => {
    assert.equal(needsResign(node, tags, NOW + 12 * 86400, nsec3Ttl(SETTINGS)), true);
    assert.equal(needsResign(node, new Set([zsk.keyTag, (zsk.keyTag + 1) & 0xffff]), NOW + 3600, nsec3Ttl(SETTINGS)), true);
    assert.equal(needsResign({ ...node, rrsets: [{ ...node.rrsets[0]!, ttl: 120 }] }, tags, NOW + 3600, nsec3Ttl(SETTINGS)), true);
  });
});
