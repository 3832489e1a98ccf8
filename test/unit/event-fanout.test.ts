/**
 * server/event-fanout.ts with stand-in cluster workers: an acknowledged change settles the wait; a
 * worker that never acknowledges makes it reject (the API then answers 503, committed but not
 * confirmed); a send that fails because the worker just died (EPIPE) neither throws nor leaves the
 * write waiting for a dead worker.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Worker } from 'node:cluster';
import { EventFanout, PropagationTimeout, type EventMessage } from '../../server/event-fanout.js';

class FakeWorker extends EventEmitter {
  sent: EventMessage[] = [];
  constructor(
    readonly id: number,
    private readonly failSend = false,
  ) {
    super();
  }
  isConnected(): boolean {
    return true;
  }
  send(msg: EventMessage, cb?: (err: Error | null) => void): boolean {
    this.sent.push(msg);
    if (this.failSend) setImmediate(() => cb?.(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })));
    else setImmediate(() => cb?.(null));
    return true;
  }
  ack(seq: number): void {
    this.emit('message', { t: 'ack', seq });
  }
}

const event = { kind: 'change', zone: 'z.example.', serial: 1, touched: [] } as unknown as Parameters<EventFanout['publish']>[0];

describe('event-fanout', () => {
  it('settles once every live worker acknowledged the change', async () => {
    const f = new EventFanout(() => undefined, 1000);
    const a = new FakeWorker(1);
    const b = new FakeWorker(2);
    f.addWorker(a as unknown as Worker);
    f.addWorker(b as unknown as Worker);
    const seq = f.publish(event);
    const wait = f.waitForAll();
    a.ack(seq);
    b.ack(seq);
    await wait;
  });

  it('rejects with PropagationTimeout when a live worker does not acknowledge in time', async () => {
    const logged: string[] = [];
    const f = new EventFanout((_level, msg) => logged.push(msg), 50);
    f.addWorker(new FakeWorker(1) as unknown as Worker);
    f.publish(event);
    await assert.rejects(f.waitForAll(), (e: unknown) => e instanceof PropagationTimeout);
    assert.equal(logged.length, 1);
  });

  it('a send that fails (the worker just died) drops that worker instead of crashing or waiting on it', async () => {
    const f = new EventFanout(() => undefined, 2000);
    const alive = new FakeWorker(1);
    const dead = new FakeWorker(2, true);
    f.addWorker(alive as unknown as Worker);
    f.addWorker(dead as unknown as Worker);
    const seq = f.publish(event);
    const wait = f.waitForAll();
    alive.ack(seq);
    const t0 = Date.now();
    await wait;
    assert.ok(Date.now() - t0 < 1000, 'not held until the timeout');
    // Later changes no longer go to it.
    f.publish(event);
    assert.equal(dead.sent.length, 1);
  });
});
