/**
 * The re-signer's test of a stored node (server/dnssec/resigner.ts needsResign): nothing to do while
 * every signature is one per active ZSK, made for the stored TTL (the NSEC3's for the zone's current
 * NSEC3 TTL) and not due for refresh; something to do as soon as any of these stops holding.
 */
import { strict as assert } from 'node:assert';
import { RrType } from '../../../core/rr-types.js';
import { needsResign } from '../../../server/dnssec/resigner.js';
import { createSigningKey, dnskeyRdata, generateKeyPair, type SigningKey } from '../../../signer/index.js';
import { nsec3Ttl } from '../../../signer/nsec3.js';
import { ZoneSigner } from '../../../signer/zone-signer.js';
import type { StoredNode, ZoneInfo, ZoneSettings } from '../../../zone-store/types.js';

const APEX = 'example.com.';
const SETTINGS: ZoneSettings = {
  defaultTtl: 60, maxTtl: 86400, soaTtl: 3600, negativeTtl: 60, soaRefresh: 3600, soaRetry: 600, soaExpire: 604800,
  mname: 'ns1.example.net.', rname: 'hostmaster.example.com.', ns: ['ns1.example.net.'], nsTtl: 3600, denial: 'nsec3', signed: true,
};
const ZONE: ZoneInfo = { id: 1, name: APEX, serial: 1, settings: SETTINGS, createdAt: 0 };
const NOW = 1_767_225_600;
const TLSA = Buffer.from('030101' + 'ab'.repeat(32), 'hex');

function key(flags: number): SigningKey {
  const k = generateKeyPair(13);
  return createSigningKey(k.privateKey, dnskeyRdata(flags, 13, k.publicKey));
}

describe('re-signer: which stored nodes need signing again', () => {
  const ksk = key(257);
  const zsk = key(256);
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
