/**
 * Automatic ZSK rollover (issue 3 §4): once the active ZSK is older than the configured lifetime,
 * the server starts a pre-publication rollover and takes each later step as soon as it is safe
 * (DNSKEY TTL after publishing; the largest data TTL plus a finished re-sign pass after
 * activating). Driven with an injected clock over a memory store and real key files.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROPAGATION_SECONDS, largestSignedTtl, rolloverStatus } from '../../../server/dnssec/rollover.js';
import { createMemoryStore } from '../../../zone-store/memory-zone-store.js';
import { rolloverFixture } from '../../helpers/rollover-fixture.js';

const Z = '_device.example.net.';
const DAY = 86400;

describe('automatic ZSK rollover', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idzone-autoroll-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts when the ZSK lifetime ends and takes each step once it is safe', () => {
    const { store, zone, rollovers, resigner, setNow, now } = rolloverFixture(dir);
    const advance = (seconds: number): void => setNow(now() + seconds);
    const lifetime = 30 * DAY;
    const zsks = (): { tag: number; state: string }[] => store.listKeys(zone).filter((k) => k.role === 'zsk').map((k) => ({ tag: k.keyTag, state: k.state }));
    const oldTag = zsks()[0]!.tag;

    advance(10 * DAY);
    rollovers.runAutomaticZsk(lifetime);
    assert.deepEqual(zsks().map((k) => k.state), ['active'], 'nothing happens before the lifetime ends');

    advance(21 * DAY);
    rollovers.runAutomaticZsk(lifetime);
    assert.deepEqual(zsks().map((k) => k.state).sort(), ['active', 'published'], 'step 1: a new ZSK is pre-published');

    advance(60);
    rollovers.runAutomaticZsk(lifetime);
    assert.deepEqual(zsks().map((k) => k.state).sort(), ['active', 'published'], 'activation waits for the DNSKEY TTL');

    advance(zone.settings.soaTtl + PROPAGATION_SECONDS);
    rollovers.runAutomaticZsk(lifetime);
    const afterActivate = zsks();
    assert.equal(afterActivate.find((k) => k.tag === oldTag)?.state, 'retired', 'step 2: the old ZSK is retired');
    assert.ok(afterActivate.some((k) => k.tag !== oldTag && k.state === 'active'), 'step 2: the new ZSK signs');

    advance(largestSignedTtl(zone) + PROPAGATION_SECONDS);
    rollovers.runAutomaticZsk(lifetime);
    assert.equal(zsks().find((k) => k.tag === oldTag)?.state, 'retired', 'removal waits for a finished re-sign pass');

    const pass = resigner.runPassSync(Z)!;
    assert.equal(pass.resigned, 1, 'the stored name is re-signed with the new ZSK');
    const newTag = zsks().find((k) => k.state === 'active')!.tag;
    assert.equal(store.getNode(store.getZone(Z)!, `d1.${Z}`)!.rrsets[0]!.sigs[0]!.readUInt16BE(16), newTag);
    rollovers.runAutomaticZsk(lifetime);
    assert.deepEqual(zsks().filter((k) => k.state !== 'removed').map((k) => k.tag), [newTag], 'step 3: the old ZSK is removed');
    resigner.stop();
  });

  it('waits, before removing the old ZSK, for the largest TTL it signed: the apex SOA/NS too, not only identity data', () => {
    const store = createMemoryStore({ now: () => 1_800_000_000 });
    const zone = store.createZone(Z, { maxTtl: 300, soaTtl: 3600, nsTtl: 7200 });
    const key = (id: number, state: 'active' | 'retired', changedAt: number) => ({ id, zoneId: zone.id, role: 'zsk' as const, algorithm: 13, flags: 256, keyTag: id, publicKey: Buffer.alloc(64), privateFile: '', state, createdAt: 0, changedAt });
    const since = 1_800_000_000;
    const status = rolloverStatus({ zone, keys: [key(1, 'retired', since), key(2, 'active', since)], resignedAt: since + 10 }, 'zsk');
    assert.equal(status.next.step, 'remove');
    assert.equal(largestSignedTtl(zone), 7200);
    assert.equal(status.safeAt, since + 7200 + PROPAGATION_SECONDS);
    assert.equal(status.waitingFor, undefined);
  });
});
