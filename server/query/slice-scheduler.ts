/**
 * Runs deferred query work in bounded slices between I/O polls. A DO=1 denial needs one fresh
 * signature (the cover of the next closer name); done inline, a flood of random names would make
 * every answer — positive ones that need no signing included — wait behind the signing (measured:
 * positive latency 0.8 ms → 30 ms, event-loop lag p50 10 ms under a saturating NXDOMAIN flood).
 * Deferred jobs instead run from setImmediate for at most `sliceMs` per event-loop turn, so the
 * loop keeps polling the sockets and answers that need no signing go out at once. The queue is
 * bounded: when it is full, work is refused (the caller drops the query, as a full socket buffer
 * would), so memory stays bounded under any flood.
 */

export class SliceScheduler {
  private jobs: (() => void)[] = [];
  private head = 0;
  private scheduled = false;
  private rejected = 0;

  constructor(
    private readonly sliceMs = 2,
    private readonly maxQueue = 8192,
  ) {}

  /** Queues a job; false (nothing queued) when the queue is full. */
  enqueue(job: () => void): boolean {
    if (this.jobs.length - this.head >= this.maxQueue) {
      this.rejected++;
      return false;
    }
    this.jobs.push(job);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.run());
    }
    return true;
  }

  get pending(): number {
    return this.jobs.length - this.head;
  }

  get refused(): number {
    return this.rejected;
  }

  private run(): void {
    const deadline = performance.now() + this.sliceMs;
    while (this.head < this.jobs.length) {
      const job = this.jobs[this.head]!;
      this.jobs[this.head++] = NOOP;
      job();
      if (performance.now() >= deadline) break;
    }
    if (this.head >= this.jobs.length) {
      this.jobs = [];
      this.head = 0;
      this.scheduled = false;
      return;
    }
    if (this.head > 1024 && this.head * 2 > this.jobs.length) {
      this.jobs = this.jobs.slice(this.head);
      this.head = 0;
    }
    setImmediate(() => this.run());
  }
}

const NOOP = (): void => undefined;
