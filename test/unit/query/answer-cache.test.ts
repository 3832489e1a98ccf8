/**
 * server/query/answer-cache.ts: admission on the second miss, a byte bound with LRU eviction, and
 * invalidation that follows the store's events (a name's own answers on a change of that name;
 * denials and wildcard answers on any change in the zone; everything of a zone on a key reset).
 */
import { strict as assert } from 'node:assert';
import { AnswerCache } from '../../../server/query/answer-cache.js';

const Z = '_device.example.net.';
const bytes = (n: number, fill = 1): Buffer => Buffer.alloc(n, fill);

function admit(c: AnswerCache, key: string, qname: string, scope: 'name' | 'zone', b: Buffer): void {
  c.set(key, qname, Z, scope, b); // first offer: remembered by the doorkeeper only
  assert.equal(c.set(key, qname, Z, scope, b), true);
}

describe('server/query AnswerCache', () => {
  it('stores an answer the second time it is offered (random floods never enter)', () => {
    const c = new AnswerCache(1 << 20);
    assert.equal(c.set('a|52|11', 'a.' + Z, Z, 'name', bytes(100)), false);
    assert.equal(c.get('a|52|11'), undefined);
    assert.equal(c.set('a|52|11', 'a.' + Z, Z, 'name', bytes(100)), true);
    assert.deepEqual(c.get('a|52|11'), bytes(100));
    assert.equal(c.stats.hits, 1);
  });

  it('forgets old misses once the doorkeeper is full', () => {
    const c = new AnswerCache(1 << 20, 4);
    c.set('k0', 'x', Z, 'name', bytes(10));
    for (let i = 1; i <= 4; i++) c.set(`k${i}`, 'x', Z, 'name', bytes(10));
    assert.equal(c.set('k0', 'x', Z, 'name', bytes(10)), false, 'k0 was forgotten when the window filled');
  });

  it('stays within its byte budget, evicting the least recently used', () => {
    const c = new AnswerCache(8000);
    for (let i = 0; i < 10; i++) admit(c, `k${i}`, `n${i}.` + Z, 'name', bytes(500));
    assert.ok(c.stats.bytes <= 8000, `${c.stats.bytes} bytes`);
    assert.ok(c.stats.evictions > 0);
    assert.equal(c.get('k0'), undefined);
    assert.notEqual(c.get('k9'), undefined);
  });

  it('drops a name-scoped answer when its name changes, and keeps it for other names', () => {
    const c = new AnswerCache(1 << 20);
    admit(c, 'a', 'a.' + Z, 'name', bytes(10));
    admit(c, 'b', 'b.' + Z, 'name', bytes(10));
    c.onChange(Z, ['a.' + Z]);
    assert.equal(c.get('a'), undefined);
    assert.notEqual(c.get('b'), undefined);
  });

  it('drops zone-scoped answers (denials, wildcards, apex) on any change in their zone only', () => {
    const c = new AnswerCache(1 << 20);
    admit(c, 'nx', 'nx.' + Z, 'zone', bytes(10));
    c.set('other', 'x.other.', 'other.', 'zone', bytes(10));
    c.set('other', 'x.other.', 'other.', 'zone', bytes(10));
    c.onChange(Z, ['unrelated.' + Z]);
    assert.equal(c.get('nx'), undefined);
    assert.notEqual(c.get('other'), undefined);
  });

  it('drops everything of a zone on a key reset', () => {
    const c = new AnswerCache(1 << 20);
    admit(c, 'a', 'a.' + Z, 'name', bytes(10));
    admit(c, 'nx', 'nx.' + Z, 'zone', bytes(10));
    c.onZoneReset(Z);
    assert.equal(c.get('a'), undefined);
    assert.equal(c.get('nx'), undefined);
  });

  it('never stores uncacheable answers or anything when sized 0', () => {
    const c = new AnswerCache(0);
    assert.equal(c.set('a', 'a', Z, 'name', bytes(1)), false);
    assert.equal(new AnswerCache(1000).set('b', 'b', Z, 'none', bytes(1)), false);
  });
});
