/**
 * The zone-store contract battery: one set of cases, run unchanged against every store
 * (memory.test.ts, sqlite.test.ts). A factory gives a fresh, empty store per case.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { RrType } from '../../../core/rr-types.js';
import type { RrsetData } from '../../../core/rrset.js';
import type { NodeSigner, StoreEvent, ZoneWriter, ZoneInfo } from '../../../zone-store/index.js';
import { StoreErrorCode, isStoreError } from '../../../zone-store/index.js';

export interface StoreFactoryOptions {
  now: () => number;
  journalLimit?: number;
}
export type StoreFactory = (opts: StoreFactoryOptions) => { store: ZoneWriter; cleanup: () => void };

export const NOW = 1_700_000_000;

export function tlsa(seed: number): Buffer {
  return Buffer.concat([Buffer.from([3, 1, 1]), createHash('sha256').update(`tlsa${seed}`).digest()]);
}

export function sshfp(seed: number): Buffer {
  return Buffer.concat([Buffer.from([4, 2]), createHash('sha256').update(`sshfp${seed}`).digest()]);
}

export function tlsaSet(...seeds: number[]): RrsetData {
  return { type: RrType.TLSA, ttl: 60, rdatas: seeds.map(tlsa) };
}

function expectCode(fn: () => unknown, code: string, text?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isStoreError(e), `expected StoreError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (text !== undefined) assert.match(e.message, text);
    return true;
  });
}

export function runContract(label: string, factory: StoreFactory): void {
  describe(`zone-store contract: ${label}`, () => {
    let store: ZoneWriter;
    let cleanup: () => void;
    let events: StoreEvent[];
    let zone: ZoneInfo;
    const Z = 'example.net.';

    beforeEach(() => {
      ({ store, cleanup } = factory({ now: () => NOW }));
      zone = store.createZone(Z);
      events = [];
      store.onEvent((e) => events.push(e));
    });
    afterEach(() => cleanup());

    const current = (): ZoneInfo => store.getZone(Z)!;
    const put = (owner: string, rrsets: RrsetData[] = [tlsaSet(1)]) => store.applyChanges(Z, [{ op: 'put', owner, rrsets }]);
    const del = (owner: string) => store.applyChanges(Z, [{ op: 'delete', owner }]);
    const node = (owner: string) => store.getNode(current(), owner);

    describe('zones', () => {
      it('creates a zone with defaults and the clock as serial', () => {
        const z = store.createZone('_device.example.org.');
        assert.equal(z.serial, NOW);
        assert.equal(z.createdAt, NOW);
        assert.equal(z.settings.mname, 'ns1.example.org.');
        assert.equal(z.settings.rname, 'hostmaster.example.org.');
        assert.deepEqual(z.settings.ns, ['ns1.example.org.']);
        assert.equal(z.settings.defaultTtl, 60);
        assert.equal(z.settings.maxTtl, 3600);
        assert.equal(z.settings.soaExpire, 1209600);
        assert.equal(z.settings.denial, 'nsec3');
        assert.equal(z.settings.signed, false);
        assert.deepEqual(events, [{ kind: 'zones' }]);
      });

      it('canonicalises the name and overrides given settings', () => {
        const z = store.createZone('Other.Example', { defaultTtl: 30, ns: ['NS.Example.COM'] });
        assert.equal(z.name, 'other.example.');
        assert.equal(z.settings.defaultTtl, 30);
        assert.deepEqual(z.settings.ns, ['ns.example.com.']);
        assert.deepEqual(store.getZone('other.example.'), z);
      });

      it('refuses duplicates, the root, and bad settings', () => {
        expectCode(() => store.createZone(Z), StoreErrorCode.ZONE_EXISTS);
        expectCode(() => store.createZone('.'), StoreErrorCode.NAME_INVALID);
        expectCode(() => store.createZone('a..b'), StoreErrorCode.NAME_INVALID);
        expectCode(() => store.createZone('x.test.', { defaultTtl: -1 }), StoreErrorCode.SETTINGS_INVALID, /defaultTtl/);
        expectCode(() => store.createZone('x.test.', { bogus: 1 } as never), StoreErrorCode.SETTINGS_INVALID, /unknown setting "bogus"/);
        assert.equal(store.getZone('x.test.'), undefined);
      });

      it('refuses a zone inside or above a served zone (no delegations: it would hide names)', () => {
        expectCode(() => store.createZone(`sub.${Z}`), StoreErrorCode.ZONE_NESTED, /inside the served zone/);
        expectCode(() => store.createZone(`a.b.${Z}`), StoreErrorCode.ZONE_NESTED);
        const parent = Z.split('.').slice(1).join('.');
        expectCode(() => store.createZone(parent), StoreErrorCode.ZONE_NESTED, /would contain the served zone/);
        assert.equal(store.getZone(`sub.${Z}`), undefined);
        assert.equal(store.getZone(parent), undefined);
        // Siblings and look-alike suffixes are separate zones.
        assert.equal(store.createZone(`x${Z}`).name, `x${Z}`);
      });

      it('lists and deletes zones, removing their names and keys', () => {
        store.createZone('b.example.');
        assert.deepEqual(store.listZones().map((z) => z.name), ['b.example.', Z]);
        put('a.b.example.net.');
        store.addKey(keyFor(zone.id));
        events = [];
        assert.equal(store.deleteZone(Z), true);
        assert.deepEqual(events, [{ kind: 'zones' }]);
        assert.equal(store.deleteZone(Z), false);
        assert.deepEqual(store.listZones().map((z) => z.name), ['b.example.']);
        const again = store.createZone(Z);
        assert.equal(store.getNode(again, 'a.b.example.net.'), undefined);
        assert.equal(store.getNode(again, 'b.example.net.'), undefined);
        assert.equal(store.countNames(again), 0);
        assert.deepEqual(store.listKeys(again), []);
        assert.deepEqual(store.listNames(again, undefined, 10), []);
      });

      it('finds the zone by suffix, on label boundaries (zones never nest)', () => {
        store.createZone('example.org.');
        assert.equal(store.findZone('a.b._device.example.net.')?.name, Z);
        assert.equal(store.findZone('x.example.net.')?.name, Z);
        assert.equal(store.findZone('example.net.')?.name, Z);
        assert.equal(store.findZone('a.example.org.')?.name, 'example.org.');
        assert.equal(store.findZone('a\\._device.example.net.')?.name, Z);
        assert.equal(store.findZone('xexample.net.'), undefined);
        assert.equal(store.findZone('net.'), undefined);
        assert.equal(store.findZone('example.com.'), undefined);
      });

      it('updates settings with a serial bump, an NS journal step and events', () => {
        const z = store.updateZoneSettings(Z, { ns: ['a.ns.test.', 'b.ns.test.'], negativeTtl: 30 });
        assert.equal(z.serial, NOW + 1);
        assert.deepEqual(z.settings.ns, ['a.ns.test.', 'b.ns.test.']);
        assert.equal(current().settings.negativeTtl, 30);
        assert.deepEqual(events[0], { kind: 'zones' });
        const j = store.readJournal(current(), NOW)!;
        assert.equal(j.length, 1);
        assert.deepEqual(j[0]!.deleted.map((r) => [r.owner, r.type]), [[Z, RrType.NS]]);
        assert.equal(j[0]!.added.length, 2);
        expectCode(() => store.updateZoneSettings(Z, { denial: 'nsec' as never }), StoreErrorCode.SETTINGS_INVALID);
        expectCode(() => store.updateZoneSettings('nope.', {}), StoreErrorCode.ZONE_NOT_FOUND);
      });
    });

    describe('names', () => {
      it('puts, replaces and deletes a name with existed flags', () => {
        const r1 = put('h1._device.example.net.', [tlsaSet(2, 1, 2)]);
        assert.deepEqual(r1.existed, [false]);
        assert.equal(r1.serial, NOW + 1);
        const n = node('h1._device.example.net.')!;
        assert.equal(n.rrsets.length, 1);
        assert.deepEqual(n.rrsets[0]!.rdatas, [tlsa(1), tlsa(2)].sort(Buffer.compare));
        assert.deepEqual(n.rrsets[0]!.sigs, []);
        const r2 = put('h1._device.example.net.', [{ type: RrType.SSHFP, ttl: 120, rdatas: [sshfp(1)] }, tlsaSet(3)]);
        assert.deepEqual(r2.existed, [true]);
        assert.deepEqual(node('h1._device.example.net.')!.rrsets.map((r) => r.type), [RrType.SSHFP, RrType.TLSA]);
        assert.deepEqual(del('h1._device.example.net.').existed, [true]);
        assert.deepEqual(del('h1._device.example.net.').existed, [false]);
        assert.equal(node('h1._device.example.net.'), undefined);
        assert.equal(store.countNames(current()), 0);
      });

      it('treats a put with no RRsets as a delete and lets the last change of an owner win', () => {
        put('a.example.net.');
        const r = store.applyChanges(Z, [{ op: 'put', owner: 'a.example.net.', rrsets: [] }]);
        assert.deepEqual(r.existed, [true]);
        assert.equal(node('a.example.net.'), undefined);
        const r2 = store.applyChanges(Z, [
          { op: 'put', owner: 'b.example.net.', rrsets: [tlsaSet(1)] },
          { op: 'delete', owner: 'b.example.net.' },
          { op: 'put', owner: 'c.example.net.', rrsets: [tlsaSet(1)] },
          { op: 'put', owner: 'C.Example.Net.', rrsets: [tlsaSet(2)] },
        ]);
        assert.deepEqual(r2.existed, [false, false, false, false]);
        assert.equal(node('b.example.net.'), undefined);
        assert.deepEqual(node('c.example.net.')!.rrsets[0]!.rdatas, [tlsa(2)]);
        assert.equal(store.countNames(current()), 1);
      });

      it('refuses bad types, outside names, bad TTLs, and writes nothing', () => {
        put('keep.example.net.');
        const serial = current().serial;
        const cname = { type: RrType.CNAME, ttl: 60, rdatas: [Buffer.from([0])] };
        expectCode(() => store.applyChanges(Z, [{ op: 'put', owner: 'x.example.net.', rrsets: [tlsaSet(1)] }, { op: 'put', owner: 'y.example.net.', rrsets: [cname] }]),
          StoreErrorCode.TYPE_REFUSED, /type CNAME is not accepted: idzone stores only TLSA and SSHFP/);
        expectCode(() => put('a.example.org.'), StoreErrorCode.NAME_OUTSIDE_ZONE, /outside zone example\.net\./);
        expectCode(() => put('xexample.net.'), StoreErrorCode.NAME_OUTSIDE_ZONE);
        expectCode(() => put('x.example.net.', [{ type: RrType.TLSA, ttl: -5, rdatas: [tlsa(1)] }]), StoreErrorCode.TTL_INVALID);
        expectCode(() => put('x.example.net.', [tlsaSet(1), tlsaSet(2)]), StoreErrorCode.RRSET_DUPLICATE);
        expectCode(() => put('bad..example.net.'), StoreErrorCode.NAME_INVALID);
        expectCode(() => store.applyChanges('nope.', []), StoreErrorCode.ZONE_NOT_FOUND);
        for (const t of [RrType.A, RrType.RRSIG, RrType.NS, RrType.SOA]) {
          expectCode(() => put('x.example.net.', [{ type: t, ttl: 60, rdatas: [Buffer.from([1])] }]), StoreErrorCode.TYPE_REFUSED);
        }
        assert.equal(current().serial, serial);
        assert.equal(node('x.example.net.'), undefined);
        assert.equal(store.countNames(current()), 1);
      });

      it('holds identity records at the apex (a _user.<org> zone keeps its user CA there) without ENT bookkeeping', () => {
        const r = store.applyChanges(Z, [{ op: 'put', owner: Z, rrsets: [tlsaSet(2)] }]);
        assert.deepEqual(r.existed, [false]);
        const apex = node(Z)!;
        assert.equal(apex.rrsets[0]!.type, RrType.TLSA);
        assert.equal(apex.descendants, 0);
        put('below.example.net.');
        assert.equal(node(Z)!.descendants, 0, 'the apex is not counted as an ancestor');
        assert.deepEqual(store.applyChanges(Z, [{ op: 'delete', owner: Z }]).existed, [true]);
        assert.equal(node(Z), undefined);
        assert.notEqual(node('below.example.net.'), undefined);
      });

      it('counts identity records: puts, replacements, TTL changes, deletes', () => {
        const z = (): ZoneInfo => current();
        assert.equal(store.countRecords(z()), 0);
        put('r.example.net.', [tlsaSet(1, 2)]);
        store.applyChanges(Z, [{ op: 'put', owner: 's.example.net.', rrsets: [tlsaSet(3), { type: RrType.SSHFP, ttl: 60, rdatas: [Buffer.concat([Buffer.from([4, 2]), Buffer.alloc(32, 9)])] }] }]);
        assert.equal(store.countRecords(z()), 4);
        put('r.example.net.', [tlsaSet(1)]);
        assert.equal(store.countRecords(z()), 3);
        put('r.example.net.', [{ ...tlsaSet(1), ttl: 300 }]);
        assert.equal(store.countRecords(z()), 3, 'a TTL change is a delete and an add');
        del('s.example.net.');
        assert.equal(store.countRecords(z()), 1);
        assert.equal(store.countNames(z()), 1);
      });

      it('bumps the serial once per call that changes something; one that changes nothing keeps it, unjournaled', () => {
        const r = store.applyChanges(Z, [
          { op: 'put', owner: 'a.example.net.', rrsets: [tlsaSet(1)] },
          { op: 'put', owner: 'b.example.net.', rrsets: [tlsaSet(1)] },
        ]);
        assert.equal(r.serial, NOW + 1);
        events = [];
        assert.equal(store.applyChanges(Z, []).serial, NOW + 1);
        const absent = store.applyChanges(Z, [{ op: 'delete', owner: 'nothere.example.net.' }, { op: 'delete', owner: 'nor.example.net.' }]);
        assert.deepEqual([absent.serial, absent.existed, absent.touched], [NOW + 1, [false, false], []]);
        assert.deepEqual(events, [], 'no change event');
        assert.deepEqual(store.readJournal(current(), NOW + 1), [], 'no journal entry');
        assert.equal(put('a.example.net.').serial, NOW + 1, 'the same records again change nothing');
        assert.equal(put('a.example.net.', [tlsaSet(2)]).serial, NOW + 2);
        assert.equal(current().serial, NOW + 2);
      });

      it('stores a wildcard owner as a normal name with its ENT', () => {
        put('*._device.example.net.');
        assert.equal(node('*._device.example.net.')!.rrsets.length, 1);
        assert.deepEqual(node('_device.example.net.')!, { owner: '_device.example.net.', rrsets: [], descendants: 1, nsec3Sigs: [] });
        assert.deepEqual(store.listNames(current(), undefined, 10).map((n) => n.owner), ['*._device.example.net.']);
      });
    });

    describe('empty non-terminals', () => {
      it('creates and removes ENTs at several depths, leaving no orphans', () => {
        const r = put('a.b.c.example.net.');
        assert.deepEqual([...r.touched].sort(), ['a.b.c.example.net.', 'b.c.example.net.', 'c.example.net.']);
        assert.deepEqual(desc('b.c.example.net.'), [0, 1]);
        assert.deepEqual(desc('c.example.net.'), [0, 1]);
        assert.equal(node(Z), undefined);
        put('x.c.example.net.');
        assert.deepEqual(desc('c.example.net.'), [0, 2]);
        const r2 = put('b.c.example.net.');
        assert.deepEqual(r2.touched, ['b.c.example.net.']);
        assert.deepEqual(desc('b.c.example.net.'), [1, 1]);
        assert.deepEqual(desc('c.example.net.'), [0, 3]);
        del('a.b.c.example.net.');
        assert.deepEqual(desc('b.c.example.net.'), [1, 0]);
        assert.deepEqual(desc('c.example.net.'), [0, 2]);
        const r3 = del('b.c.example.net.');
        assert.deepEqual(r3.touched, ['b.c.example.net.']);
        assert.equal(node('b.c.example.net.'), undefined);
        assert.deepEqual(desc('c.example.net.'), [0, 1]);
        const r4 = del('x.c.example.net.');
        assert.deepEqual([...r4.touched].sort(), ['c.example.net.', 'x.c.example.net.']);
        for (const n of ['a.b.c.example.net.', 'b.c.example.net.', 'c.example.net.', 'x.c.example.net.']) assert.equal(node(n), undefined, n);
        assert.equal(store.countNames(current()), 0);
      });

      it('keeps an ENT when a data name above data is removed, and counts in one batch', () => {
        store.applyChanges(Z, [
          { op: 'put', owner: 'd.e.f.g.example.net.', rrsets: [tlsaSet(1)] },
          { op: 'put', owner: 'f.g.example.net.', rrsets: [tlsaSet(1)] },
          { op: 'put', owner: 'z.g.example.net.', rrsets: [tlsaSet(1)] },
        ]);
        assert.deepEqual(desc('e.f.g.example.net.'), [0, 1]);
        assert.deepEqual(desc('f.g.example.net.'), [1, 1]);
        assert.deepEqual(desc('g.example.net.'), [0, 3]);
        const r = store.applyChanges(Z, [{ op: 'delete', owner: 'f.g.example.net.' }, { op: 'delete', owner: 'd.e.f.g.example.net.' }]);
        assert.deepEqual(r.existed, [true, true]);
        assert.equal(node('e.f.g.example.net.'), undefined);
        assert.equal(node('f.g.example.net.'), undefined);
        assert.deepEqual(desc('g.example.net.'), [0, 1]);
        assert.deepEqual(store.listNames(current(), undefined, 10).map((n) => n.owner), ['z.g.example.net.']);
      });

      it('re-counts an unchanged owner of the batch that is an ancestor of a new name', () => {
        put('b.example.net.');
        const r = store.applyChanges(Z, [
          { op: 'put', owner: 'b.example.net.', rrsets: [tlsaSet(1)] },
          { op: 'put', owner: 'a.b.example.net.', rrsets: [tlsaSet(1)] },
        ]);
        assert.deepEqual(r.existed, [true, false]);
        assert.deepEqual(r.touched, ['a.b.example.net.']);
        assert.deepEqual(desc('b.example.net.'), [1, 1]);
        store.applyChanges(Z, [{ op: 'delete', owner: 'a.b.example.net.' }, { op: 'delete', owner: 'zz.example.net.' }]);
        assert.deepEqual(desc('b.example.net.'), [1, 0]);
      });

      it('turns a data name with descendants into an ENT when its data goes', () => {
        put('p.q.example.net.');
        put('q.example.net.');
        const r = del('q.example.net.');
        assert.deepEqual(r.touched, ['q.example.net.']);
        assert.deepEqual(desc('q.example.net.'), [0, 1]);
        assert.equal(store.countNames(current()), 1);
      });
    });

    describe('journal', () => {
      it('records RFC 1995 steps: deletions of old RRs, additions of new ones', () => {
        put('a.example.net.', [tlsaSet(1)]);
        put('a.example.net.', [tlsaSet(1, 2)]);
        put('a.example.net.', [{ type: RrType.TLSA, ttl: 300, rdatas: [tlsa(2)] }]);
        del('a.example.net.');
        const j = store.readJournal(current(), NOW)!;
        assert.deepEqual(j.map((e) => [e.fromSerial, e.toSerial]), [[NOW, NOW + 1], [NOW + 1, NOW + 2], [NOW + 2, NOW + 3], [NOW + 3, NOW + 4]]);
        const brief = (rrs: { owner: string; type: number; ttl: number; rdata: Buffer }[]) => rrs.map((r) => `${r.owner} ${r.type} ${r.ttl} ${r.rdata.equals(tlsa(1)) ? 1 : 2}`);
        assert.deepEqual(brief(j[0]!.deleted), []);
        assert.deepEqual(brief(j[0]!.added), ['a.example.net. 52 60 1']);
        assert.deepEqual(brief(j[1]!.deleted), []);
        assert.deepEqual(brief(j[1]!.added), ['a.example.net. 52 60 2']);
        assert.deepEqual(brief(j[2]!.deleted), ['a.example.net. 52 60 1', 'a.example.net. 52 60 2']);
        assert.deepEqual(brief(j[2]!.added), ['a.example.net. 52 300 2']);
        assert.deepEqual(brief(j[3]!.deleted), ['a.example.net. 52 300 2']);
        assert.deepEqual(brief(j[3]!.added), []);
        assert.equal(store.readJournal(current(), NOW + 2)!.length, 2);
        assert.deepEqual(store.readJournal(current(), NOW + 4), []);
        assert.equal(store.readJournal(current(), NOW - 7), undefined);
        assert.equal(store.readJournal(current(), NOW + 9), undefined);
      });

      it('drops the oldest steps past the retention limit', () => {
        const { store: s, cleanup: c } = factory({ now: () => NOW, journalLimit: 10 });
        try {
          const z = s.createZone(Z);
          for (let i = 0; i < 12; i++) s.applyChanges(Z, [{ op: 'put', owner: `n${i}.example.net.`, rrsets: [tlsaSet(i)] }]);
          const cur = s.getZone(Z)!;
          assert.equal(s.readJournal(cur, z.serial), undefined);
          const tail = s.readJournal(cur, NOW + 9)!;
          assert.deepEqual(tail.map((e) => e.toSerial), [NOW + 10, NOW + 11, NOW + 12]);
        } finally {
          c();
        }
      });
    });

    describe('listing', () => {
      it('pages through data names in owner order, skipping ENTs', () => {
        const owners: string[] = [];
        for (let i = 0; i < 25; i++) owners.push(`h${String(i).padStart(2, '0')}.u${i % 3}.example.net.`);
        store.applyChanges(Z, owners.map((owner) => ({ op: 'put' as const, owner, rrsets: [tlsaSet(1)] })));
        assert.equal(store.countNames(current()), 25);
        const seen: string[] = [];
        let after: string | undefined;
        for (let page = 0; page < 10; page++) {
          const got = store.listNames(current(), after, 7);
          if (got.length === 0) break;
          assert.ok(got.length <= 7);
          seen.push(...got.map((n) => n.owner));
          after = got[got.length - 1]!.owner;
        }
        assert.deepEqual(seen, [...owners].sort());
        assert.equal(store.listNames(current(), undefined, 0).length, 0);
        assert.equal(store.listNames(current(), undefined, 100)[0]!.rrsets[0]!.type, RrType.TLSA);
      });
    });

    describe('keys and tokens', () => {
      it('adds, lists and updates keys with events', () => {
        const k = store.addKey(keyFor(zone.id));
        assert.equal(typeof k.id, 'number');
        assert.deepEqual(store.listKeys(current()), [k]);
        store.updateKey(k.id, { state: 'retired', changedAt: NOW + 5 });
        assert.deepEqual(store.listKeys(current())[0], { ...k, state: 'retired', changedAt: NOW + 5 });
        assert.deepEqual(events, [{ kind: 'keys', zone: Z }, { kind: 'keys', zone: Z }]);
        expectCode(() => store.updateKey(9999, { state: 'active' }), StoreErrorCode.KEY_NOT_FOUND);
        expectCode(() => store.addKey(keyFor(9999)), StoreErrorCode.ZONE_NOT_FOUND);
      });

      it('adds, finds, lists and deletes tokens', () => {
        const t = store.addToken({ hash: 'ab'.repeat(32), zones: [Z], write: true, admin: false, description: 'ci' });
        assert.equal(t.createdAt, NOW);
        assert.deepEqual(store.findToken('ab'.repeat(32)), t);
        assert.equal(store.findToken('cd'.repeat(32)), undefined);
        const t2 = store.addToken({ hash: 'cd'.repeat(32), zones: ['*'], write: false, admin: true, description: '' });
        assert.deepEqual(store.listTokens(), [t, t2]);
        expectCode(() => store.addToken({ hash: 'ab'.repeat(32), zones: [], write: false, admin: false, description: '' }), StoreErrorCode.TOKEN_EXISTS);
        assert.equal(store.deleteToken(t.id), true);
        assert.equal(store.deleteToken(t.id), false);
        assert.deepEqual(store.listTokens(), [t2]);
      });
    });

    describe('events and signing', () => {
      it('emits a change event after each commit and stops after unsubscribe', () => {
        const seen: StoreEvent[] = [];
        const off = store.onEvent((e) => seen.push(e));
        put('a.b.example.net.');
        assert.deepEqual(seen, [{ kind: 'change', zone: Z, serial: NOW + 1, names: ['a.b.example.net.', 'b.example.net.'] }]);
        off();
        put('c.example.net.');
        assert.equal(seen.length, 1);
        assert.equal(events.length, 2);
      });

      it('stores what the signer returns for puts and new ENTs, and re-signs without a serial bump', () => {
        const calls: string[] = [];
        const signer: NodeSigner = {
          signNode: (_z, owner, rrsets, descendants) => {
            calls.push(`${owner}:${rrsets.length}:${descendants}`);
            return { rrsetSigs: rrsets.map((r) => [Buffer.from(`sig-${r.type}`)]), nsec3Sigs: [Buffer.from(`n3-${owner}`)] };
          },
        };
        store.setSigner(signer);
        put('a.b.example.net.', [tlsaSet(1), { type: RrType.SSHFP, ttl: 60, rdatas: [sshfp(1)] }]);
        assert.deepEqual(calls.sort(), ['a.b.example.net.:2:0', 'b.example.net.:0:1']);
        const n = node('a.b.example.net.')!;
        assert.deepEqual(n.rrsets.map((r) => r.sigs.map(String)), [['sig-44'], ['sig-52']]);
        assert.deepEqual(n.nsec3Sigs.map(String), ['n3-a.b.example.net.']);
        assert.deepEqual(node('b.example.net.')!.nsec3Sigs.map(String), ['n3-b.example.net.']);
        const serial = current().serial;
        events = [];
        store.storeSignatures(Z, [
          { owner: 'a.b.example.net.', rrsetSigs: [[Buffer.from('x')], [Buffer.from('y'), Buffer.from('z')]], nsec3Sigs: [] },
          { owner: 'gone.example.net.', rrsetSigs: [], nsec3Sigs: [] },
        ]);
        assert.equal(current().serial, serial);
        assert.deepEqual(node('a.b.example.net.')!.rrsets.map((r) => r.sigs.map(String)), [['x'], ['y', 'z']]);
        assert.deepEqual(node('a.b.example.net.')!.nsec3Sigs, []);
        assert.deepEqual(node('a.b.example.net.')!.rrsets[1]!.rdatas, [tlsa(1)]);
        assert.deepEqual(events, [{ kind: 'resigned', zone: Z, names: ['a.b.example.net.'] }]);
        expectCode(() => store.storeSignatures(Z, [{ owner: 'a.b.example.net.', rrsetSigs: [], nsec3Sigs: [] }]), StoreErrorCode.SIGS_MISMATCH);
        store.setSigner(undefined);
        put('a.b.example.net.', [tlsaSet(5)]);
        assert.deepEqual(node('a.b.example.net.')!.rrsets[0]!.sigs, []);
      });
    });

    describe('re-signing record', () => {
      const pass = { checkedAt: NOW + 10, zskTags: [4242, 17] };

      it('keeps a finished pass through signed writes and re-signing', () => {
        assert.equal(store.resignPass(Z), undefined);
        store.recordResignPass(Z, pass);
        assert.deepEqual(store.resignPass(Z), pass);
        put('a.example.net.');
        del('a.example.net.');
        put('b.example.net.');
        store.storeSignatures(Z, [{ owner: 'b.example.net.', rrsetSigs: [[]], nsec3Sigs: [] }]);
        assert.deepEqual(store.resignPass(Z), pass, 'writes signed when written leave it valid');
        assert.equal(store.resignPass('other.example.'), undefined);
        expectCode(() => store.recordResignPass('other.example.', pass), StoreErrorCode.ZONE_NOT_FOUND);
      });

      it('forgets it on an unsigned write, a key change, a settings change and the zone\'s deletion', () => {
        const forgets = (what: string, act: () => void): void => {
          store.recordResignPass(Z, pass);
          act();
          assert.equal(store.resignPass(Z), undefined, what);
        };
        forgets('deferred signing', () => store.applyChanges(Z, [{ op: 'put', owner: 'c.example.net.', rrsets: [tlsaSet(2)] }], { deferSigning: true }));
        let key = store.addKey(keyFor(zone.id));
        forgets('a new key', () => (key = store.addKey(keyFor(zone.id))));
        forgets('a key state change', () => store.updateKey(key.id, { state: 'retired', changedAt: NOW + 1 }));
        forgets('a settings change', () => store.updateZoneSettings(Z, { defaultTtl: 120 }));
        forgets('deletion', () => {
          store.deleteZone(Z);
          store.createZone(Z);
        });
      });
    });

    function desc(owner: string): [number, number] {
      const n = node(owner);
      assert.ok(n !== undefined, `${owner} should be stored`);
      return [n.rrsets.length, n.descendants];
    }
  });
}

function keyFor(zoneId: number) {
  return {
    zoneId,
    role: 'csk' as const,
    algorithm: 13,
    flags: 257,
    keyTag: 12345,
    publicKey: Buffer.alloc(64, 7),
    privateFile: 'keys/1.pem',
    state: 'active' as const,
    createdAt: NOW,
    changedAt: NOW,
  };
}
