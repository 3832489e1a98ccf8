/**
 * Group commit of single-name writes (api/write-coalescer.ts) against the in-memory store: writes of
 * one event-loop turn share one serial step, a repeated owner or a full group starts another group,
 * DELETE of an absent name is answered without a write, one bad write in a group fails alone, and a
 * failed propagation fails the whole group.
 */
import assert from 'node:assert/strict';
import { createMemoryStore, StoreErrorCode, isStoreError } from '../../../zone-store/index.js';
import type { ChangeResult, NameChange } from '../../../zone-store/types.js';
import { MAX_GROUP, WriteCoalescer, type SingleWriteOutcome } from '../../../api/write-coalescer.js';
import { ApiProblemError } from '../../../api/errors.js';
import { NOW, tlsaSet } from '../zone-store/contract.js';
import { RrType } from '../../../core/rr-types.js';

const Z = '_device.example.net.';
const put = (label: string, seed = 1): NameChange => ({ op: 'put', owner: `${label}.${Z}`, rrsets: [tlsaSet(seed)] });
const del = (label: string): NameChange => ({ op: 'delete', owner: `${label}.${Z}` });

/** Counts event-loop turns (a setImmediate ticker) and notes the count at each group commit. */
function countTurns(): { atCommit: () => Promise<void>; stop: () => number[] } {
  let turns = 0;
  let ticking = true;
  const seen: number[] = [];
  const tick = (): void => {
    turns++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    atCommit: () => {
      seen.push(turns);
      return Promise.resolve();
    },
    stop: () => {
      ticking = false;
      return seen;
    },
  };
}

describe('api write coalescer (group commit of single-name writes)', () => {
  let clock: number;
  let committed: ChangeResult[];
  const setup = (afterCommit?: (r: ChangeResult) => Promise<void>): { store: ReturnType<typeof createMemoryStore>; w: WriteCoalescer } => {
    clock = NOW;
    committed = [];
    const store = createMemoryStore({ now: () => clock });
    store.createZone(Z);
    const w = new WriteCoalescer(store, {
      afterCommit: (r) => {
        committed.push(r);
        return afterCommit === undefined ? Promise.resolve() : afterCommit(r);
      },
    });
    return { store, w };
  };
  const serialOf = (o: SingleWriteOutcome): number => (o.kind === 'committed' ? o.serial : -1);

  it('commits the writes of one turn as one serial step, each with its own before-state', async () => {
    const { store, w } = setup();
    await w.submit(Z, put('old'));
    const before = store.getZone(Z)!.serial;
    const outcomes = await Promise.all([w.submit(Z, put('a')), w.submit(Z, put('old', 2)), w.submit(Z, put('b')), w.submit(Z, del('old2'))]);
    assert.equal(committed.length, 2, 'one commit for the first write, one for the group');
    assert.deepEqual(committed[1]!.touched.filter((n) => n !== Z).sort(), [`a.${Z}`, `b.${Z}`, `old.${Z}`]);
    assert.deepEqual(
      outcomes.map((o) => (o.kind === 'committed' ? o.existed : 'absent')),
      [false, true, false, 'absent'],
    );
    for (const o of outcomes.slice(0, 3)) assert.equal(serialOf(o), before + 1);
    assert.equal(store.getZone(Z)!.serial, before + 1);
    assert.equal(store.readJournal(store.getZone(Z)!, before)!.length, 1, 'one journal step for the group');
    assert.equal(store.getNode(store.getZone(Z)!, `old.${Z}`)!.rrsets[0]!.rdatas[0]!.equals(tlsaSet(2).rdatas[0]!), true);
  });

  it('starts a new group for a repeated owner, so the second write sees the first', async () => {
    const { store, w } = setup();
    const [first, second, third] = await Promise.all([w.submit(Z, put('x', 1)), w.submit(Z, put('x', 2)), w.submit(Z, del('x'))]);
    assert.equal(committed.length, 3);
    assert.deepEqual([first, second, third].map((o) => o.kind === 'committed' && o.existed), [false, true, true]);
    assert.ok(serialOf(first!) < serialOf(second!) && serialOf(second!) < serialOf(third!));
    assert.equal(store.getNode(store.getZone(Z)!, `x.${Z}`), undefined);
  });

  it('answers a DELETE of an absent name without a write, and only the first of two concurrent DELETEs commits', async () => {
    const { store, w } = setup();
    await w.submit(Z, put('gone'));
    const serial = store.getZone(Z)!.serial;
    const missing = await w.submit(Z, del('never'));
    assert.deepEqual(missing, { kind: 'absent' });
    assert.equal(store.getZone(Z)!.serial, serial, 'no serial step for nothing');
    const [a, b] = await Promise.all([w.submit(Z, del('gone')), w.submit(Z, del('gone'))]);
    assert.equal(a!.kind, 'committed');
    assert.deepEqual(b, { kind: 'absent' });
    assert.equal(store.getZone(Z)!.serial, serial + 1);
  });

  it('fails only the bad write of a group; the others are committed', async () => {
    const { store, w } = setup();
    const bad: NameChange = { op: 'put', owner: `c.${Z}`, rrsets: [{ type: RrType.A, ttl: 60, rdatas: [Buffer.from([192, 0, 2, 1])] }] };
    const settled = await Promise.allSettled([w.submit(Z, put('a')), w.submit(Z, bad), w.submit(Z, put('b'))]);
    assert.equal(settled[0]!.status, 'fulfilled');
    assert.equal(settled[2]!.status, 'fulfilled');
    assert.equal(settled[1]!.status, 'rejected');
    assert.ok(isStoreError((settled[1] as PromiseRejectedResult).reason, StoreErrorCode.TYPE_REFUSED));
    const zone = store.getZone(Z)!;
    assert.ok(store.getNode(zone, `a.${Z}`) !== undefined && store.getNode(zone, `b.${Z}`) !== undefined);
    assert.equal(store.getNode(zone, `c.${Z}`), undefined);
  });

  it('fails every write of a group whose propagation fails, after committing it', async () => {
    const { store, w } = setup(() => Promise.reject(new Error('worker 2 did not confirm')));
    const settled = await Promise.allSettled([w.submit(Z, put('a')), w.submit(Z, put('b'))]);
    assert.deepEqual(settled.map((s) => s.status), ['rejected', 'rejected']);
    assert.equal(committed.length, 1);
    assert.ok(store.getNode(store.getZone(Z)!, `a.${Z}`) !== undefined, 'committed, only not confirmed');
  });

  it('does not split a group on an error no single write can cause (busy database): one attempt, every write fails', async () => {
    const { store } = setup();
    let calls = 0;
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    const w = new WriteCoalescer(
      { getZone: (n) => store.getZone(n), getNode: (z, o) => store.getNode(z, o), applyChanges: () => { calls++; throw busy; } },
      { afterCommit: () => Promise.resolve() },
    );
    const settled = await Promise.allSettled([w.submit(Z, put('a')), w.submit(Z, put('b')), w.submit(Z, put('c'))]);
    assert.equal(calls, 1);
    for (const r of settled) assert.equal(r.status === 'rejected' && r.reason, busy);
  });

  it('answers 503 to every write of a group that failed after its commit (a shard write)', async () => {
    const { store } = setup();
    const logged: string[] = [];
    const w = new WriteCoalescer(
      {
        getZone: (n) => store.getZone(n),
        getNode: (z, o) => store.getNode(z, o),
        applyChanges: (zone, changes) => {
          store.applyChanges(zone, changes);
          throw new Error('disk I/O error');
        },
      },
      { afterCommit: () => Promise.resolve(), log: (_level, msg) => void logged.push(msg) },
    );
    const settled = await Promise.allSettled([w.submit(Z, put('a')), w.submit(Z, put('b'))]);
    for (const r of settled) {
      assert.equal(r.status, 'rejected');
      const e = (r as PromiseRejectedResult).reason as ApiProblemError;
      assert.ok(e instanceof ApiProblemError);
      assert.equal(e.problem.status, 503);
      assert.match(e.problem.detail, /committed as serial \d+/);
    }
    assert.equal(logged.length, 1);
  });

  it('retries the writes of a group split by one bad write one per turn', async () => {
    const turns = countTurns();
    const { w } = setup(turns.atCommit);
    const bad: NameChange = { op: 'put', owner: `c.${Z}`, rrsets: [{ type: RrType.A, ttl: 60, rdatas: [Buffer.from([192, 0, 2, 1])] }] };
    await Promise.allSettled([w.submit(Z, put('a')), w.submit(Z, bad), w.submit(Z, put('b'))]);
    const seen = turns.stop();
    assert.equal(seen.length, 2, 'a and b, each committed alone');
    assert.ok(seen[1]! > seen[0]!, `turns seen at the two commits: ${seen.join(', ')}`);
  });

  it('does not hold other names back behind repeated writes to one name', async () => {
    const { w } = setup();
    await Promise.all([w.submit(Z, put('x', 1)), w.submit(Z, put('x', 2)), w.submit(Z, put('x', 3)), w.submit(Z, put('y')), w.submit(Z, put('z'))]);
    assert.deepEqual(committed.map((c) => c.touched.filter((n) => n !== Z).sort()), [[`x.${Z}`, `y.${Z}`, `z.${Z}`], [`x.${Z}`], [`x.${Z}`]]);
  });

  it('refuses a write to a zone that does not exist', async () => {
    const { w } = setup();
    await assert.rejects(w.submit('_device.nowhere.example.', put('a')), (e: unknown) => isStoreError(e, StoreErrorCode.ZONE_NOT_FOUND));
  });

  it(`caps a group at ${MAX_GROUP} writes`, async () => {
    const { w } = setup();
    const n = MAX_GROUP + 3;
    const outcomes = await Promise.all(Array.from({ length: n }, (_, i) => w.submit(Z, put(`d${i}`))));
    assert.deepEqual(committed.map((c) => c.existed.length), [MAX_GROUP, 3]);
    assert.equal(new Set(outcomes.map(serialOf)).size, 2);
  });

  it('lets the event loop turn between two groups (queries on this thread are not held up by both)', async () => {
    const turns = countTurns();
    const { w } = setup(turns.atCommit);
    await Promise.all(Array.from({ length: MAX_GROUP + 1 }, (_, i) => w.submit(Z, put(`t${i}`))));
    const seen = turns.stop();
    assert.equal(seen.length, 2);
    assert.ok(seen[1]! > seen[0]!, `turns seen at the two commits: ${seen.join(', ')}`);
  });
});
