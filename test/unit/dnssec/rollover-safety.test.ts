/**
 * When rollover steps are safe, driven through RolloverService with an injected clock over a
 * memory store and real key files (review findings of the key rollovers):
 *   - the KSK retire step (the old KSK stops signing the DNSKEY set) waits for the operator's
 *     confirmation that the parent serves the new DS and then for the parent's DS TTL (RFC 7583
 *     §3.3.1, RFC 6781 §4.1.2): a validator that fetched the parent's DS set just before the new DS
 *     was added holds only the old DS that long; the DS TTL is configurable per zone;
 *   - a step that starts signing with a key whose private file does not load is refused (even
 *     forced), manually and by the automatic rollover, and status names the file;
 *   - an activate step cut short between its two catalog writes is recognised and finished;
 *   - a refusal that waits for a condition (re-sign pass, DS confirmation) carries no `safeAt`, so
 *     nothing says "safe: now" about a step that is refused.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyService } from '../../../server/dnssec/key-service.js';
import { DEFAULT_PARENT_DS_TTL, PROPAGATION_SECONDS, largestSignedTtl } from '../../../server/dnssec/rollover.js';
import { RolloverError, RolloverService } from '../../../server/dnssec/rollover-service.js';
import type { KeyRecord } from '../../../zone-store/types.js';

const Z = '_device.example.net.';
import { rolloverFixture as fixture, T0, type Fixture } from '../../helpers/rollover-fixture.js';

/** The refusal `f` throws (fails if it does not throw a RolloverError). */
function refusal(f: () => unknown): RolloverError {
  try {
    f();
  } catch (e) {
    if (e instanceof RolloverError) return e;
    throw e;
  }
  assert.fail('the step was taken; it should have been refused');
}

describe('rollover safety (RolloverService)', () => {
  let dir: string;
  let f: Fixture;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idzone-rollsafe-'));
    f = fixture(dir);
  });
  afterEach(() => {
    f.resigner.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const keysOf = (role: KeyRecord['role']): KeyRecord[] => f.store.listKeys(f.zone).filter((k) => k.role === role && k.state !== 'removed');
  const dnskeyTtl = (): number => f.zone.settings.soaTtl;

  describe('KSK retire waits for the parent DS and its TTL', () => {
    it('is refused at publish + DNSKEY TTL without the confirmation, and says what it waits for (no safeAt)', () => {
      const published = f.rollovers.advance(Z, 'ksk');
      assert.equal(published.action.step, 'publish');
      const newKsk = keysOf('ksk').sort((a, b) => b.id - a.id)[0]!;
      // The old code's safe time: the DNSKEY TTL after publishing. The parent may only now add the new DS.
      f.setNow(T0 + dnskeyTtl() + PROPAGATION_SECONDS + 1);
      const st = f.rollovers.status(Z).ksk;
      assert.equal(st.next.step, 'retire');
      assert.equal(st.blockedBy, 'parent-ds');
      assert.match(st.waitingFor ?? '', new RegExp(`confirmation that the parent serves the DS for KSK ${newKsk.keyTag}`));
      assert.match(st.waitingFor ?? '', /idzone key ds-seen/);
      assert.equal(st.parentDsTtl, DEFAULT_PARENT_DS_TTL);
      const e = refusal(() => f.rollovers.advance(Z, 'ksk'));
      assert.equal(e.code, 'ERR_ROLLOVER_NOT_SAFE');
      assert.equal(e.safeAt, undefined, 'no safe time can be given before the confirmation');
      assert.match(e.message, /waits for your confirmation that the parent serves the DS/);
      assert.deepEqual(keysOf('ksk').map((k) => k.state), ['active', 'active'], 'both KSKs still sign');
    });

    it('after "ds-seen" at S, is refused until S + the parent DS TTL + margin (with safeAt), then taken', () => {
      f.rollovers.advance(Z, 'ksk');
      const seenAt = T0 + dnskeyTtl() + PROPAGATION_SECONDS + 10;
      f.setNow(seenAt);
      const r = f.rollovers.confirmDsSeen(Z);
      assert.equal(r.dsSeenAt, seenAt);
      assert.equal(r.parentDsTtl, 86400);
      const safeAt = seenAt + 86400 + PROPAGATION_SECONDS;
      assert.equal(r.status.ksk.safeAt, safeAt);
      assert.equal(r.status.ksk.waitingFor, undefined, 'only time is left');
      assert.equal(r.status.ksk.dsSeenAt, seenAt);
      f.setNow(safeAt - 1);
      const e = refusal(() => f.rollovers.advance(Z, 'ksk'));
      assert.equal(e.safeAt, safeAt);
      assert.match(e.message, /not safe before/);
      f.setNow(safeAt);
      const done = f.rollovers.advance(Z, 'ksk');
      assert.equal(done.action.step, 'retire');
      assert.equal(done.warning, undefined);
      assert.deepEqual(keysOf('ksk').map((k) => k.state).sort(), ['active', 'retired']);
    });

    it('the DNSKEY condition still holds when the parent serves the DS early; "since" dates the confirmation back, not before publish or into the future', () => {
      f.rollovers.advance(Z, 'ksk');
      f.setNow(T0 + 5);
      const r = f.rollovers.confirmDsSeen(Z, { parentDsTtl: 0 });
      assert.equal(r.status.ksk.safeAt, T0 + dnskeyTtl() + PROPAGATION_SECONDS, 'max(DNSKEY TTL after publish, DS TTL after DS seen)');
      f.setNow(T0 + 7200);
      assert.equal(refusal(() => f.rollovers.confirmDsSeen(Z, { since: T0 - 1 })).code, 'ERR_ROLLOVER_INVALID');
      assert.equal(refusal(() => f.rollovers.confirmDsSeen(Z, { since: T0 + 7201 })).code, 'ERR_ROLLOVER_INVALID');
      assert.equal(refusal(() => f.rollovers.confirmDsSeen(Z, { parentDsTtl: -1 })).code, 'ERR_ROLLOVER_INVALID');
      const back = f.rollovers.confirmDsSeen(Z, { since: T0 + 600, parentDsTtl: 3600 });
      assert.equal(back.status.ksk.safeAt, T0 + 600 + 3600 + PROPAGATION_SECONDS);
    });

    it('the parent DS TTL is per zone (rollover option or ds-seen) and used by retire and remove', () => {
      f.rollovers.advance(Z, 'ksk', false, { parentDsTtl: 3600 });
      assert.equal(f.rollovers.status(Z).ksk.parentDsTtl, 3600, 'remembered from the publish step');
      const seenAt = T0 + 4000;
      f.setNow(seenAt);
      f.rollovers.confirmDsSeen(Z);
      f.setNow(seenAt + 3600 + PROPAGATION_SECONDS);
      assert.equal(f.rollovers.advance(Z, 'ksk').action.step, 'retire');
      const retiredAt = f.now();
      const st = f.rollovers.status(Z).ksk;
      assert.equal(st.next.step, 'remove');
      assert.equal(st.safeAt, retiredAt + 3600 + PROPAGATION_SECONDS);
      assert.equal(st.waitingFor, undefined, 'remove waits for time only');
    });

    it('nothing to confirm outside a KSK rollover; a confirmation does not carry over to the next rollover', () => {
      assert.equal(refusal(() => f.rollovers.confirmDsSeen(Z)).code, 'ERR_ROLLOVER_NO_DS_WAIT');
      f.rollovers.advance(Z, 'ksk');
      f.rollovers.confirmDsSeen(Z);
      f.rollovers.advance(Z, 'ksk', true);
      assert.equal(refusal(() => f.rollovers.confirmDsSeen(Z)).code, 'ERR_ROLLOVER_NO_DS_WAIT', 'after retire nothing waits for a DS');
      f.rollovers.advance(Z, 'ksk', true);
      f.rollovers.advance(Z, 'ksk');
      const st = f.rollovers.status(Z).ksk;
      assert.equal(st.stepTaken, 1);
      assert.equal(st.blockedBy, 'parent-ds', 'the new rollover needs its own confirmation');
    });

    it('--force still retires before the confirmation, with a warning (and a warn log)', () => {
      f.rollovers.advance(Z, 'ksk');
      const r = f.rollovers.advance(Z, 'ksk', true);
      assert.equal(r.action.step, 'retire');
      assert.match(r.warning ?? '', /was forced although it waits for your confirmation that the parent serves the DS/);
      assert.ok(f.logs.some((l) => l.level === 'warn' && /forced/.test(l.msg)));
    });
  });

  describe('a new key must load before it signs', () => {
    function moveNewZskAway(): { file: string; tag: number; restore(): void } {
      f.rollovers.advance(Z, 'zsk');
      const k = keysOf('zsk').find((x) => x.state === 'published')!;
      const file = join(dir, k.privateFile);
      renameSync(file, `${file}.moved`);
      return { file: k.privateFile, tag: k.keyTag, restore: () => renameSync(`${file}.moved`, file) };
    }

    it('ZSK activate is refused, even forced, naming the key file; status warns; nothing changes', () => {
      const moved = moveNewZskAway();
      f.setNow(T0 + dnskeyTtl() + PROPAGATION_SECONDS);
      const st = f.rollovers.status(Z).zsk;
      assert.equal(st.next.step, 'activate');
      assert.equal(st.blockedBy, 'key-file');
      assert.ok(st.waitingFor?.includes(moved.file), st.waitingFor);
      for (const force of [false, true]) {
        const e = refusal(() => f.rollovers.advance(Z, 'zsk', force));
        assert.equal(e.code, 'ERR_ROLLOVER_NOT_SAFE');
        assert.ok(e.message.includes(moved.file), e.message);
        assert.equal(e.safeAt, undefined);
      }
      assert.deepEqual(keysOf('zsk').map((k) => k.state).sort(), ['active', 'published'], 'the old ZSK still signs');
      moved.restore();
      assert.equal(f.rollovers.advance(Z, 'zsk').action.step, 'activate');
    });

    it('the automatic rollover logs an error and retries later instead of activating', () => {
      const lifetime = 86400;
      f.setNow(T0 + lifetime);
      f.rollovers.runAutomaticZsk(lifetime);
      const k = keysOf('zsk').find((x) => x.state === 'published')!;
      const file = join(dir, k.privateFile);
      renameSync(file, `${file}.moved`);
      f.setNow(f.now() + dnskeyTtl() + PROPAGATION_SECONDS);
      f.rollovers.runAutomaticZsk(lifetime);
      assert.equal(keysOf('zsk').find((x) => x.id === k.id)!.state, 'published', 'not activated');
      const err = f.logs.find((l) => l.level === 'error' && /automatic ZSK rollover/.test(l.msg));
      assert.ok(err, JSON.stringify(f.logs));
      assert.ok(JSON.stringify(err.fields).includes(k.privateFile), JSON.stringify(err.fields));
      renameSync(`${file}.moved`, file);
      f.rollovers.runAutomaticZsk(lifetime);
      assert.equal(keysOf('zsk').find((x) => x.id === k.id)!.state, 'active', 'activated at the next check once the file is back');
    });
  });

  it('making a zone\'s keys logs no key error while each key lands (every zone create logged ERROR "no active ZSK")', () => {
    const before = f.logs.length;
    const zone = f.store.createZone('_new.example.org.', { signed: true });
    f.keys.createZoneKeys(zone);
    const errors = f.logs.slice(before).filter((l) => l.level === 'error');
    assert.deepEqual(errors, []);
  });

  it('the automatic rollover says once, as a warning, that it skips a CSK zone (it used to skip it silently)', () => {
    const csk = f.store.createZone('_csk.example.org.');
    new KeyService({ dataDir: dir, store: f.store, log: () => undefined, clock: f.now }).createZoneKeys(csk, 'csk');
    f.setNow(T0 + 10 * 86400);
    f.rollovers.runAutomaticZsk(86400);
    f.rollovers.runAutomaticZsk(86400);
    const warned = f.logs.filter((l) => l.level === 'warn' && /CSK/.test(l.msg) && JSON.stringify(l.fields).includes('_csk.example.org.'));
    assert.equal(warned.length, 1, JSON.stringify(f.logs));
  });

  it('an activate cut short between its two writes (both ZSKs active) is recognised and finished', () => {
    f.rollovers.advance(Z, 'zsk');
    const [oldZsk] = keysOf('zsk').filter((k) => k.state === 'active');
    const newZsk = keysOf('zsk').find((k) => k.state === 'published')!;
    f.setNow(T0 + dnskeyTtl() + PROPAGATION_SECONDS);
    // What the first of the two writes leaves when the process dies before the second.
    f.store.updateKey(newZsk.id, { state: 'active', changedAt: f.now() });
    const st = f.rollovers.status(Z).zsk;
    assert.equal(st.stepTaken, 1, st.description);
    assert.equal(st.next.step, 'activate');
    assert.match(st.description, /interrupted/);
    assert.ok(st.safeAt <= f.now());
    const done = f.rollovers.advance(Z, 'zsk');
    assert.equal(done.action.step, 'activate');
    assert.equal(keysOf('zsk').find((k) => k.id === oldZsk!.id)!.state, 'retired');
    assert.equal(keysOf('zsk').find((k) => k.id === newZsk.id)!.state, 'active');
    assert.equal(done.status.zsk.stepTaken, 2);
  });

  it('a ZSK remove refused only for the re-sign pass says what it waits for, with no safeAt', () => {
    f.rollovers.advance(Z, 'zsk');
    f.setNow(T0 + dnskeyTtl() + PROPAGATION_SECONDS);
    f.rollovers.advance(Z, 'zsk');
    f.setNow(f.now() + largestSignedTtl(f.zone) + PROPAGATION_SECONDS + 60);
    const st = f.rollovers.status(Z).zsk;
    assert.equal(st.next.step, 'remove');
    assert.ok(st.safeAt < f.now(), 'the time condition is met');
    const e = refusal(() => f.rollovers.advance(Z, 'zsk'));
    assert.equal(e.code, 'ERR_ROLLOVER_NOT_SAFE');
    assert.equal(e.safeAt, undefined, 'a safeAt in the past would read "safe: now"');
    assert.match(e.message, /waits for a full re-sign pass/);
    assert.doesNotMatch(e.message, /not safe before/);
  });
});
