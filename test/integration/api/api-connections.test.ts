/**
 * The API's connection cap (api-config.ts maxConnections): clients that open connections and
 * trickle nothing hold at most that many; the next is closed at accept, and a slot freed by a
 * client that goes away serves a real request again.
 */
import { strict as assert } from 'node:assert';
import net from 'node:net';
import { startApi, type Harness } from './api-harness.js';

describe('api: connection cap', function () {
  this.timeout(20_000);
  let h: Harness;
  const held: net.Socket[] = [];
  before(async () => {
    h = await startApi({ maxConnections: 5 });
  });
  after(async () => {
    for (const s of held) s.destroy();
    await h.close();
  });

  const open = (): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const s = net.connect(h.port, '127.0.0.1', () => resolve(s));
      s.on('error', reject);
    });
  const closedSoon = (s: net.Socket): Promise<boolean> =>
    new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), 1000);
      s.once('close', () => {
        clearTimeout(t);
        resolve(true);
      });
    });

  it('closes connections beyond maxConnections at accept, and serves again once one is freed', async () => {
    for (let i = 0; i < 5; i++) held.push(await open());
    const extra = await open();
    extra.on('error', () => {});
    assert.equal(await closedSoon(extra), true, 'the sixth connection is closed');
    assert.equal(await closedSoon(held[0]!), false, 'the first five stay open');
    held.shift()!.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const r = await fetch(`http://127.0.0.1:${h.port}/healthz`);
    assert.equal(r.status, 200);
  });
});
