/**
 * Unit tests of the zone store's packed formats (node blobs, redo-log batches, journal chunks), the
 * shard hash, and the name fast paths, which must agree with core/names.ts on every input.
 */
import assert from 'node:assert/strict';
import { ancestorsBelow, isInZone, joinLabels, labelCount, labelStarts, parseName, rrsigLabelCount, splitLabels } from '../../../core/names.js';
import { decodeNode, encodeNode, fnv1a32, isStoreError, shardOf, StoreErrorCode } from '../../../zone-store/index.js';
import { packShardOps, unpackShardOps } from '../../../zone-store/shard-op-codec.js';
import { JOURNAL_CHUNK, packJournal, unpackJournalChunk } from '../../../zone-store/journal-codec.js';
import { ancestorsUnder, canonicalName, isNameInZone } from '../../../zone-store/name-fast-paths.js';
import { mergeListings } from '../../../zone-store/merge-listings.js';
import type { ShardOp } from '../../../zone-store/shard.js';
import type { JournalEntry, StoredRrset } from '../../../zone-store/index.js';

describe('zone-store codecs', () => {
  it('round-trips node blobs, ENTs included, and refuses unknown versions', () => {
    const rrsets: StoredRrset[] = [
      { type: 44, ttl: 60, rdatas: [Buffer.from([4, 2, 1])], sigs: [Buffer.alloc(100, 1)] },
      { type: 52, ttl: 3600, rdatas: [Buffer.from([3, 1, 1, 9]), Buffer.alloc(300, 2)], sigs: [] },
    ];
    const nsec3Sigs = [Buffer.from('a'), Buffer.from('bc')];
    assert.deepEqual(decodeNode(encodeNode(rrsets, nsec3Sigs)), { rrsets, nsec3Sigs });
    assert.deepEqual(decodeNode(encodeNode([], [])), { rrsets: [], nsec3Sigs: [] });
    const bad = encodeNode([], []);
    bad[0] = 9;
    assert.throws(() => decodeNode(bad), (e: unknown) => isStoreError(e, StoreErrorCode.CORRUPT));
    assert.throws(() => decodeNode(encodeNode(rrsets, []).subarray(0, 20)), (e: unknown) => e instanceof Error);
  });

  it('round-trips redo-log batches', () => {
    const ops: ShardOp[] = [
      { kind: 'put', zoneId: 7, owner: 'a.example.', descendants: 3, hasData: true, node: Buffer.from([1, 2, 3]) },
      { kind: 'descendants', zoneId: 7, owner: 'b.example.', descendants: 0 },
      { kind: 'delete', zoneId: 7, owner: 'c\\.d.example.' },
      { kind: 'purge', zoneId: 7 },
    ];
    assert.deepEqual(unpackShardOps(7, packShardOps(ops)), ops);
  });

  it('packs journal steps in chunks, deletions first', () => {
    const rr = (i: number) => ({ owner: `n${i}.example.`, type: 52, ttl: i, rdata: Buffer.from([i & 0xff]) });
    const added = Array.from({ length: JOURNAL_CHUNK + 5 }, (_, i) => rr(i));
    const deleted = [rr(9999)];
    const chunks = packJournal(deleted, added);
    assert.equal(chunks.length, 2);
    const entry: JournalEntry = { fromSerial: 1, toSerial: 2, deleted: [], added: [] };
    for (const c of chunks) unpackJournalChunk(c, entry);
    assert.deepEqual(entry.deleted, deleted);
    assert.deepEqual(entry.added, added);
    assert.deepEqual(packJournal([], []), []);
  });

  it('hashes owners with FNV-1a 32 (fixed values: the layout depends on them)', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
    assert.equal(shardOf('foobar', 8), 0xbf9cf968 % 8);
  });

  it('merges ordered listings and stops at the limit', () => {
    const a: [string][] = [['a'], ['d'], ['e']];
    const b: [string][] = [['b'], ['c'], ['f']];
    assert.deepEqual(mergeListings([a, b, []], 4).map((r) => r[0]), ['a', 'b', 'c', 'd']);
    assert.deepEqual(mergeListings([a, b], 10).map((r) => r[0]), ['a', 'b', 'c', 'd', 'e', 'f']);
  });
});

describe('zone-store name fast paths agree with core/names', () => {
  const names = ['a.b.example.net.', '*._device.example.net.', 'A.Example.NET', 'x\\.y.example.net.', 'a\\\\.example.net.', 'example.net.', 'xexample.net.',
    'net.', 'h-1_x.example.net.', 'a\\046b.example.net.', 'ñ.example.net.'.replace('ñ', '\\195\\177')];
  const zones = ['example.net.', 'net.', 'y.example.net.'];

  it('canonicalName equals parseName', () => {
    for (const n of names) assert.equal(canonicalName(n), parseName(n), n);
    assert.throws(() => canonicalName('a..b.'));
    assert.throws(() => canonicalName(`${'a'.repeat(64)}.example.`));
  });

  it('labelStarts cuts the same suffixes as splitLabels and joinLabels; rrsigLabelCount skips a leading *', () => {
    for (const n of [...names.map((x) => parseName(x)), '.', '*.', '\\042.example.net.', 'a\\\\.b.']) {
      const labels = splitLabels(n);
      const starts = labelStarts(n);
      assert.equal(starts.length, labels.length, n);
      assert.equal(labelCount(n), labels.length, n);
      starts.forEach((at, k) => assert.equal(n.slice(at), joinLabels(labels.slice(k)), `${n} below label ${k}`));
      assert.equal(rrsigLabelCount(n), labels[0] === '*' ? labels.length - 1 : labels.length, n);
    }
  });

  it('isNameInZone and ancestorsUnder equal isInZone and ancestorsBelow', () => {
    for (const raw of names) {
      const n = parseName(raw);
      for (const z of zones) {
        assert.equal(isNameInZone(n, z), isInZone(n, z), `${n} in ${z}`);
        if (isInZone(n, z)) assert.deepEqual(ancestorsUnder(n, z), ancestorsBelow(n, z), `${n} under ${z}`);
      }
    }
  });
});
