/**
 * Read-after-write across processes. The writer (cluster primary) forwards every store event to
 * each DNS worker with a sequence number; a worker applies it (reloads the catalog, drops cached
 * answers and signatures) and acknowledges. An API write answers 2xx only after every live worker
 * has acknowledged the event of its commit, so the very next query, on any worker, sees the
 * change. A worker that dies is replaced and starts from the store's current state, so it is
 * dropped from the wait set, also when the primary learns of its death from a failed send (EPIPE:
 * an unhandled error there used to take the primary down); a worker that does not answer within
 * the timeout is logged and the wait rejects, so the API answers 503 "committed, not confirmed".
 */
import type { Worker } from 'node:cluster';
import type { StoreEvent } from '../zone-store/types.js';
import type { LogFn } from './log.js';

export interface EventMessage {
  t: 'event';
  seq: number;
  event: StoreEvent;
}
export interface AckMessage {
  t: 'ack';
  seq: number;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  timer: NodeJS.Timeout;
}

/** The wait of waitForAll ran out: the change is committed but a live worker has not confirmed it. */
export class PropagationTimeout extends Error {
  constructor(readonly seq: number, readonly timeoutMs: number) {
    super(`DNS workers did not acknowledge change ${seq} within ${timeoutMs} ms`);
    this.name = 'PropagationTimeout';
  }
}

export class EventFanout {
  private seq = 0;
  private readonly acked = new Map<number, number>(); // worker id → highest acked seq
  private readonly workers = new Map<number, Worker>();
  private waiters: Waiter[] = [];

  constructor(
    private readonly log: LogFn,
    private readonly timeoutMs = 5000,
  ) {}

  addWorker(w: Worker): void {
    this.workers.set(w.id, w);
    // A new worker opens the store after the events so far: it has seen them all.
    this.acked.set(w.id, this.seq);
    w.on('message', (m: unknown) => {
      if (isAck(m)) this.onAck(w.id, m.seq);
    });
    w.on('exit', () => this.drop(w));
    // A send to a worker that has just died fails with EPIPE before its exit event arrives.
    w.on('error', (err: Error) => {
      this.log('warn', 'cannot reach a DNS worker; it is no longer waited for', { worker: w.id, err: err.message });
      this.drop(w);
    });
  }

  private drop(w: Worker): void {
    if (!this.workers.delete(w.id)) return;
    this.acked.delete(w.id);
    this.settle();
  }

  publish(event: StoreEvent): number {
    const seq = ++this.seq;
    const msg: EventMessage = { t: 'event', seq, event };
    for (const w of [...this.workers.values()]) {
      if (!w.isConnected()) continue;
      try {
        w.send(msg, (err: Error | null) => {
          if (err !== null) w.emit('error', err);
        });
      } catch (err) {
        w.emit('error', err as Error);
      }
    }
    return seq;
  }

  /** Resolves when every live worker has applied every event published so far; rejects with PropagationTimeout. */
  waitForAll(): Promise<void> {
    const seq = this.seq;
    if (this.allAcked(seq)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.log('warn', 'DNS workers did not acknowledge a change in time; the write answers 503', { seq, timeoutMs: this.timeoutMs });
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new PropagationTimeout(seq, this.timeoutMs));
      }, this.timeoutMs);
      this.waiters.push({ seq, resolve, timer });
    });
  }

  private onAck(id: number, seq: number): void {
    if (seq > (this.acked.get(id) ?? 0)) this.acked.set(id, seq);
    this.settle();
  }

  private allAcked(seq: number): boolean {
    for (const [id, w] of this.workers) if (w.isConnected() && (this.acked.get(id) ?? 0) < seq) return false;
    return true;
  }

  private settle(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (this.allAcked(w.seq)) {
        clearTimeout(w.timer);
        w.resolve();
      } else still.push(w);
    }
    this.waiters = still;
  }
}

function isAck(m: unknown): m is AckMessage {
  return typeof m === 'object' && m !== null && (m as { t?: unknown }).t === 'ack' && typeof (m as { seq?: unknown }).seq === 'number';
}

export function isEventMessage(m: unknown): m is EventMessage {
  return typeof m === 'object' && m !== null && (m as { t?: unknown }).t === 'event' && typeof (m as { seq?: unknown }).seq === 'number';
}
