/**
 * Signing on worker threads (node:worker_threads), for the one signature a DNSSEC denial needs per
 * random question (the NSEC3 covering the next closer name). On the answering thread that signature
 * was about half of a denial's CPU time (bench/README.md); here it runs on another core while the
 * answering thread keeps reading, looking up and encoding.
 *
 * - Jobs queued during one event-loop turn go to a thread as one message (a transferred buffer,
 *   signing-worker.ts), flushed from setImmediate, so a burst of datagrams costs one postMessage.
 * - Threads are picked by fewest jobs in flight. Private keys are posted to a thread once, as
 *   KeyObjects (never serialised to text), the first time a job needs them there.
 * - Bounded: with `maxInFlight` jobs outstanding, `sign` returns undefined and the caller signs the
 *   way it would without a pool. A thread that dies fails its jobs (callers fall back the same
 *   way) and is replaced; after repeated deaths the pool stops using threads.
 */
import { Worker } from 'node:worker_threads';
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { BatchMessage, KeyMessage, ResultMessage } from './signing-worker.js';
import { UNKNOWN_KEY } from './signing-worker.js';

export interface SigningPoolOptions {
  threads: number;
  /** Jobs outstanding across all threads before `sign` refuses (default 4096). */
  maxInFlight?: number;
  /** Called when a thread fails; the pool replaces it. */
  onError?: (message: string) => void;
  /** The first key id handed out (tests start it near a boundary); default 1. */
  firstKeyId?: number;
}

export interface SigningPoolStats {
  threads: number;
  signed: number;
  inFlight: number;
  refused: number;
  failures: number;
  /** Distinct keys the pool has given an id (a reloaded key keeps its id). */
  keys: number;
}

interface Job {
  resolve: (sig: Buffer) => void;
  reject: (e: Error) => void;
}

/** Deaths after which the pool gives up on threads (callers then sign inline). */
const MAX_RESTARTS = 5;
const WORKER_URL = new URL('./signing-worker.js', import.meta.url);
/** A job's head in a batch: id (u32), key id (u32), data length (u16). */
const JOB_HEAD = 10;
/**
 * A signing thread holds keys and one batch at a time, so its heap is bounded well below V8's
 * defaults; a thread that exceeds the limits dies and is replaced like any other failure. Even so a
 * thread costs ~17 MB of RSS (measured: ~10 MB for the isolate, ~7 MB of OpenSSL per-thread state
 * once it has signed), which is why server/main.ts starts none by default on small machines.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 };

class SigningThread {
  readonly jobs = new Map<number, Job>();
  readonly keysSent = new Set<number>();
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private worker: Worker;

  constructor(private readonly onResult: (thread: SigningThread, msg: ResultMessage) => void, private readonly onExit: (thread: SigningThread, why: string) => void) {
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const w = new Worker(WORKER_URL, { resourceLimits: WORKER_LIMITS });
    w.unref();
    w.on('message', (msg: ResultMessage) => this.onResult(this, msg));
    w.on('error', (e) => this.onExit(this, e.message));
    w.on('exit', (code) => this.onExit(this, `exited with code ${code}`));
    return w;
  }

  restart(): void {
    this.keysSent.clear();
    this.queue = [];
    this.queuedBytes = 0;
    this.worker.removeAllListeners();
    void this.worker.terminate();
    this.worker = this.spawn();
  }

  sendKey(id: number, algorithm: number, key: KeyObject): void {
    const msg: KeyMessage = { kind: 'key', id, algorithm, key };
    this.worker.postMessage(msg);
    this.keysSent.add(id);
  }

  enqueue(id: number, keyId: number, data: Buffer): void {
    const head = Buffer.allocUnsafe(JOB_HEAD);
    head.writeUInt32LE(id, 0);
    head.writeUInt32LE(keyId, 4);
    head.writeUInt16LE(data.length, 8);
    this.queue.push(head, data);
    this.queuedBytes += JOB_HEAD + data.length;
  }

  flush(): void {
    if (this.queue.length === 0) return;
    const jobs = new ArrayBuffer(this.queuedBytes);
    const view = Buffer.from(jobs);
    let at = 0;
    for (const part of this.queue) at += part.copy(view, at);
    const msg: BatchMessage = { kind: 'batch', jobs, length: at };
    this.queue = [];
    this.queuedBytes = 0;
    this.worker.postMessage(msg, [jobs]);
  }

  terminate(): Promise<number> {
    this.worker.removeAllListeners();
    return this.worker.terminate();
  }
}

export class SigningPool {
  private readonly threads: SigningThread[] = [];
  private readonly keyIds = new WeakMap<KeyObject, number>();
  /**
   * Key ids by public key. Every key reload (a rollover step, any zone created or deleted) makes
   * new KeyObjects; ids by KeyObject alone grew by one per key per reload, and with 16-bit ids every
   * denial in every zone failed after 65,536 of them (a reviewer's 250-zone server got there after
   * ~66 zone changes) while the threads kept every stale copy. A reloaded key now keeps its id, so
   * threads hold one copy per distinct key, and ids are 32 bits.
   */
  private readonly idsByPublicKey = new Map<string, number>();
  private readonly maxInFlight: number;
  private nextKeyId: number;
  private nextJobId = 1;
  private inFlight = 0;
  private flushScheduled = false;
  private restarts = 0;
  private broken = false;
  private signed = 0;
  private refused = 0;
  private failures = 0;

  constructor(private readonly opts: SigningPoolOptions) {
    this.maxInFlight = opts.maxInFlight ?? 4096;
    this.nextKeyId = opts.firstKeyId ?? 1;
    for (let i = 0; i < Math.max(0, Math.floor(opts.threads)); i++) {
      this.threads.push(new SigningThread((t, m) => this.onResult(t, m), (t, why) => this.onExit(t, why)));
    }
  }

  /** True when `sign` can be used at all (threads configured and not given up on). */
  get available(): boolean {
    return this.threads.length > 0 && !this.broken;
  }

  get stats(): SigningPoolStats {
    return { threads: this.threads.length, signed: this.signed, inFlight: this.inFlight, refused: this.refused, failures: this.failures, keys: this.idsByPublicKey.size };
  }

  /**
   * The raw signature (RFC 6605 r‖s for P-256, RFC 8080 for Ed25519) over `data`, made on a
   * thread; undefined when the pool is unavailable or full (sign inline instead).
   */
  sign(algorithm: number, key: KeyObject, data: Buffer): Promise<Buffer> | undefined {
    if (!this.available || this.inFlight >= this.maxInFlight || data.length > 0xffff) {
      this.refused++;
      return undefined;
    }
    const thread = this.leastLoaded();
    const keyId = this.keyIdOf(key);
    if (!thread.keysSent.has(keyId)) thread.sendKey(keyId, algorithm, key);
    const id = this.nextJobId;
    this.nextJobId = (this.nextJobId % 0xfffffffe) + 1;
    thread.enqueue(id, keyId, data);
    this.inFlight++;
    this.scheduleFlush();
    return new Promise<Buffer>((resolve, reject) => thread.jobs.set(id, { resolve, reject }));
  }

  /** The id of `key`'s material: the same for every KeyObject of one key (see idsByPublicKey). */
  private keyIdOf(key: KeyObject): number {
    let id = this.keyIds.get(key);
    if (id !== undefined) return id;
    const spki = createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('base64');
    id = this.idsByPublicKey.get(spki);
    if (id === undefined) {
      id = this.nextKeyId;
      this.nextKeyId = (this.nextKeyId % 0xfffffffe) + 1;
      this.idsByPublicKey.set(spki, id);
    }
    this.keyIds.set(key, id);
    return id;
  }

  async close(): Promise<void> {
    this.broken = true;
    for (const t of this.threads) {
      this.failJobs(t, new Error('signing pool closed'));
      await t.terminate();
    }
  }

  private leastLoaded(): SigningThread {
    let best = this.threads[0]!;
    for (const t of this.threads) if (t.jobs.size < best.jobs.size) best = t;
    return best;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      for (const t of this.threads) t.flush();
    });
  }

  private onResult(thread: SigningThread, msg: ResultMessage): void {
    const buf = Buffer.from(msg.results, 0, msg.length);
    for (let at = 0; at < buf.length; ) {
      const id = buf.readUInt32LE(at);
      const len = buf.readUInt16LE(at + 4);
      at += 6;
      const job = thread.jobs.get(id);
      thread.jobs.delete(id);
      if (job !== undefined) this.inFlight--;
      if (len === UNKNOWN_KEY) {
        job?.reject(new Error('signing thread does not hold the key'));
        continue;
      }
      const sig = Buffer.from(buf.subarray(at, at + len));
      at += len;
      this.signed++;
      job?.resolve(sig);
    }
  }

  private onExit(thread: SigningThread, why: string): void {
    this.failures++;
    this.opts.onError?.(`signing thread failed: ${why}`);
    this.failJobs(thread, new Error(`signing thread failed: ${why}`));
    if (++this.restarts > MAX_RESTARTS) {
      this.broken = true;
      this.opts.onError?.('signing threads keep failing; signing inline from now on');
      void thread.terminate();
      return;
    }
    thread.restart();
  }

  private failJobs(thread: SigningThread, e: Error): void {
    for (const job of thread.jobs.values()) job.reject(e);
    this.inFlight -= thread.jobs.size;
    thread.jobs.clear();
  }
}
