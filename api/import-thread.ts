/**
 * Where an NDJSON import's lines are parsed and validated: on the request's thread for small bodies
 * (InlineImportSink), on a thread of its own for large ones (ThreadImportSink, import-worker.ts), so
 * the writer thread spends its time committing batches while the next ones are being judged — the
 * profile of a 300,000-name import had validation at about 40 % of the writer thread's busy time.
 * Both run ImportParser. The thread is bounded: the route waits until at most MAX_CHUNKS_IN_FLIGHT
 * chunks are unparsed, so memory stays bounded whatever the client sends; and at most
 * MAX_IMPORT_THREADS imports have a thread at once.
 */
import { Worker } from 'node:worker_threads';
import type { NamePut } from '../zone-store/types.js';
import { ImportParser, unpackPuts, type ImportParseOptions, type RejectedLine } from './import-parser.js';

export type ImportThreadRequest = { kind: 'chunk'; buf: ArrayBuffer; length: number } | { kind: 'end' };
export type ImportThreadReply =
  | { kind: 'batch'; buf: ArrayBuffer; length: number; count: number }
  | { kind: 'ack' }
  | { kind: 'done'; accepted: number; rejectedCount: number; rejected: RejectedLine[] };

export interface ImportSummary {
  accepted: number;
  rejectedCount: number;
  rejected: RejectedLine[];
}

export interface ImportSink {
  push(chunk: Buffer): void;
  /** Resolves once the sink can take more (rejects if its thread failed). */
  settle(): Promise<void>;
  /** Closed batches so far, oldest first (removed). */
  takeBatches(): NamePut[][];
  /** `cb` runs whenever a batch closes outside a push (a thread's batch arriving). */
  onBatch(cb: () => void): void;
  /** The body is complete: resolves when every batch is available from takeBatches. */
  end(): Promise<ImportSummary>;
  close(): void;
}

/** Bodies at least this large (or of unknown length) are parsed on a thread. */
export const THREAD_MIN_BYTES = 1024 * 1024;
/**
 * Chunks sent but not yet parsed (request chunks are up to 64 KiB: at most ~4 MiB). Deep enough for
 * the thread to parse the next batch while this thread commits the last one; with a shallow queue
 * the two took turns (measured: the writer idle ~40 % of an import).
 */
const MAX_CHUNKS_IN_FLIGHT = 64;
const WORKER_URL = new URL('./import-worker.js', import.meta.url);

/** Imports parsed on threads at once; more concurrent imports are parsed inline (each thread ~10 MB). */
export const MAX_IMPORT_THREADS = 2;
let importThreads = 0;

export function createImportSink(opts: ImportParseOptions, contentLength: number | undefined): ImportSink {
  const small = contentLength !== undefined && contentLength < THREAD_MIN_BYTES;
  if (small || importThreads >= MAX_IMPORT_THREADS) return new InlineImportSink(opts);
  importThreads++;
  return new ThreadImportSink(opts, () => importThreads--);
}

export class InlineImportSink implements ImportSink {
  private readonly parser: ImportParser;

  constructor(opts: ImportParseOptions) {
    this.parser = new ImportParser(opts);
  }

  push(chunk: Buffer): void {
    this.parser.push(chunk);
  }

  settle(): Promise<void> {
    return Promise.resolve();
  }

  takeBatches(): NamePut[][] {
    return this.parser.takeBatches();
  }

  /** Batches close inside push and end, which the route follows with a drain. */
  onBatch(): void {}

  end(): Promise<ImportSummary> {
    this.parser.end();
    const { accepted, rejectedCount, rejected } = this.parser;
    return Promise.resolve({ accepted, rejectedCount, rejected });
  }

  close(): void {}
}

export class ThreadImportSink implements ImportSink {
  private readonly worker: Worker;
  private batches: NamePut[][] = [];
  private sent = 0;
  private acked = 0;
  private summary: ImportSummary | undefined;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  private released = false;
  private batchArrived: () => void = () => undefined;

  constructor(
    opts: ImportParseOptions,
    private readonly onClose: () => void = () => undefined,
  ) {
    this.worker = new Worker(WORKER_URL, { workerData: opts });
    this.worker.on('message', (m: ImportThreadReply) => this.onReply(m));
    this.worker.on('error', (e) => this.fail(new Error(`the import's parsing thread failed: ${e.message}`)));
    this.worker.on('exit', (code) => {
      if (this.summary === undefined) this.fail(new Error(`the import's parsing thread exited (code ${code})`));
    });
  }

  push(chunk: Buffer): void {
    const buf = new ArrayBuffer(chunk.length);
    chunk.copy(Buffer.from(buf));
    const msg: ImportThreadRequest = { kind: 'chunk', buf, length: chunk.length };
    this.worker.postMessage(msg, [buf]);
    this.sent++;
  }

  async settle(): Promise<void> {
    while (this.failure === undefined && this.sent - this.acked > MAX_CHUNKS_IN_FLIGHT) await this.next();
    if (this.failure !== undefined) throw this.failure;
  }

  takeBatches(): NamePut[][] {
    const out = this.batches;
    this.batches = [];
    return out;
  }

  onBatch(cb: () => void): void {
    this.batchArrived = cb;
  }

  async end(): Promise<ImportSummary> {
    const msg: ImportThreadRequest = { kind: 'end' };
    this.worker.postMessage(msg);
    while (this.failure === undefined && this.summary === undefined) await this.next();
    if (this.summary !== undefined) return this.summary;
    throw this.failure!;
  }

  close(): void {
    this.worker.removeAllListeners();
    void this.worker.terminate();
    if (!this.released) {
      this.released = true;
      this.onClose();
    }
  }

  private next(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private onReply(m: ImportThreadReply): void {
    if (m.kind === 'batch') {
      this.batches.push(unpackPuts(Buffer.from(m.buf, 0, m.length)));
      this.batchArrived();
    } else if (m.kind === 'ack') this.acked++;
    else this.summary = { accepted: m.accepted, rejectedCount: m.rejectedCount, rejected: m.rejected };
    this.signal();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.signal();
  }

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
