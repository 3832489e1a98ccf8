/**
 * ZoneIndex.find, the first step of every query: the zone whose apex is the longest suffix of the
 * name, on label boundaries. Stores refuse nested zones now (store-common.ts checkNotNested), but
 * the index still picks the deepest apex if a catalog holds both.
 */
import { strict as assert } from 'node:assert';
import { ZoneIndex } from '../../../zone-store/zone-index.js';
import type { ZoneInfo } from '../../../zone-store/types.js';

function zone(id: number, name: string): ZoneInfo {
  return { id, name, serial: 1, createdAt: 0, settings: {} as ZoneInfo['settings'] };
}

describe('zone index', () => {
  it('finds the longest suffix on label boundaries, skipping escaped dots', () => {
    const idx = new ZoneIndex();
    idx.replaceAll([zone(1, 'example.net.'), zone(2, '_device.example.net.'), zone(3, 'example.org.')]);
    assert.equal(idx.find('a.b._device.example.net.')?.name, '_device.example.net.');
    assert.equal(idx.find('_device.example.net.')?.name, '_device.example.net.');
    assert.equal(idx.find('x.example.net.')?.name, 'example.net.');
    assert.equal(idx.find('a\\._device.example.net.')?.name, 'example.net.');
    assert.equal(idx.find('a\\046_device.example.net.')?.name, 'example.net.');
    assert.equal(idx.find('xexample.net.'), undefined);
    assert.equal(idx.find('net.'), undefined);
    idx.remove(zone(2, '_device.example.net.'));
    assert.equal(idx.find('a._device.example.net.')?.name, 'example.net.');
  });
});
