/**
 * Denial signatures prepared on the signing pool (server/dnssec/signing-provider.ts
 * prepareDenial): identical questions in flight share one signing and every answer waiting for it
 * gets it; later answers sign inline; compact denial prepares the NXNAME record; every signature
 * verifies with @noble/curves.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RrType } from '../../../core/rr-types.js';
import { SigningProvider } from '../../../server/dnssec/signing-provider.js';
import { isUnavailable, type SignedRrset, type ZoneSigning } from '../../../server/query/zone-signing.js';
import { generateZoneKeys } from '../../../signer/key-files.js';
import { dnskeyRdata } from '../../../signer/keys.js';
import { SignatureCache } from '../../../signer/signature-cache.js';
import { SigningPool } from '../../../signer/signing-pool.js';
import { createMemoryStore } from '../../../zone-store/memory-zone-store.js';
import { verifyRrsigIndependently } from '../../helpers/noble-verify.js';

const NOW = Math.floor(Date.now() / 1000);
const clock = (): number => NOW;

describe('server/dnssec/signing-provider with a signing pool', function () {
  this.timeout(20_000);
  let dir: string;
  let pool: SigningPool;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idzone-prep-'));
    pool = new SigningPool({ threads: 1 });
  });
  afterEach(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function setup(zoneName: string, denial: 'nsec3' | 'compact'): { signing: ZoneSigning; zsk: Buffer } {
    const store = createMemoryStore({ now: clock });
    const zone = store.createZone(zoneName, { signed: true, denial });
    const keys = generateZoneKeys(dir, zoneName, { layout: 'ksk-zsk', algorithm: 13, now: NOW });
    for (const k of keys) store.addKey({ ...k, zoneId: zone.id });
    const provider = new SigningProvider({ dataDir: dir, reader: store, cache: new SignatureCache({ maxBytes: 1 << 20, clock }), clock, log: () => undefined, pool });
    const signing = provider.forZone(store.getZone(zoneName)!);
    assert.ok(signing !== undefined && !isUnavailable(signing));
    const zsk = keys.find((k) => k.role === 'zsk')!;
    return { signing, zsk: dnskeyRdata(zsk.flags, zsk.algorithm, zsk.publicKey) };
  }

  function verifies(r: SignedRrset, dnskey: Buffer): boolean {
    return r.sigs.length === 1 && verifyRrsigIndependently({ rrsig: r.sigs[0]!, owner: r.owner, type: RrType.NSEC3, rdatas: r.rdatas, dnskey, now: NOW });
  }

  it('shares one signing between identical questions in flight; each waiting answer gets it', async () => {
    const Z = 'prep.example.';
    const { signing, zsk } = setup(Z, 'nsec3');
    const nc = `nosuch.${Z}`;
    const waits = [signing.prepareDenial!(`a.${nc}`, nc, 'nxdomain'), signing.prepareDenial!(`b.${nc}`, nc, 'nxdomain')];
    assert.ok(waits.every((w) => w !== undefined));
    await Promise.all(waits);
    assert.equal(pool.stats.signed, 1);
    const first = signing.nsec3Cover(nc);
    const second = signing.nsec3Cover(nc);
    assert.deepEqual(second.sigs, first.sigs, 'both answers got the pooled signature');
    assert.ok(verifies(first, zsk));
    const third = signing.nsec3Cover(nc);
    assert.equal(pool.stats.signed, 1, 'a later answer signs inline');
    assert.notDeepEqual(third.sigs, first.sigs);
    assert.ok(verifies(third, zsk));
  });

  it('prepares the RFC 9824 NXNAME record for compact denial, and leaves compact wildcards inline', async () => {
    const Z = 'compact.example.';
    const { signing, zsk } = setup(Z, 'compact');
    const q = `x.y.${Z}`;
    await signing.prepareDenial!(q, `y.${Z}`, 'nxdomain');
    assert.equal(pool.stats.signed, 1);
    const rec = signing.nsec3Compact(q, undefined);
    assert.ok(verifies(rec, zsk));
    assert.equal(signing.prepareDenial!(q, `y.${Z}`, 'wildcard'), undefined);
  });
});
