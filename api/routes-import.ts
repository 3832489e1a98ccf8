/**
 * NDJSON import (one identity body per line, each with `name` or `user`), streamed: the body is split
 * line by line as it arrives, never held whole, and accepted names are committed every
 * `importBatchSize` names in one store transaction each. Lines are judged by ImportParser, on a
 * thread of its own for large bodies (import-thread.ts) while this thread commits. A bad line is
 * rejected with its number and every violation, and the rest goes on. If the client or the server
 * dies mid-import, the committed batches are complete and the uncommitted one is simply absent: the
 * store is never half-written. The answer is a report `{accepted, rejectedCount, rejected: [{line,
 * errors}], batches, serial}` sent only after the last batch has reached every DNS worker.
 */
import type { NamePut, ZoneInfo } from '../zone-store/types.js';
import { checkMediaType } from './body-reader.js';
import { CommittedNotConfirmedError, commitChanges, serialHeaders } from './commit.js';
import { ApiErrorCode, ApiProblemError, makeProblem, problemFromStoreError } from './errors.js';
import type { RejectedLine } from './import-parser.js';
import { createImportSink, type ImportSink } from './import-thread.js';
import type { Reply, Route, RouteContext } from './router.js';

export const importRoutes: Route[] = [
  { method: 'POST', template: '/api/v1/zones/{zone}/import', operationId: 'importNames', access: 'write', handler: importNames },
];

export const NDJSON_TYPES = ['application/x-ndjson', 'application/jsonl'] as const;

interface ImportState {
  accepted: number;
  rejectedCount: number;
  rejected: RejectedLine[];
  batches: number;
  serial: number;
  /** The last committed batch failed after its catalog commit (CommittedNotConfirmedError). */
  lastBatchUnconfirmed?: boolean;
}

/**
 * Imports running at once, over all zones. Each holds a parser, an open batch and a report of up to
 * MAX_REPORT_BYTES (import-parser.ts); past this many the next one gets 503 ERR_API_BUSY with
 * Retry-After before its body is read, so many slow or hostile imports cannot add up to the heap.
 */
export const MAX_CONCURRENT_IMPORTS = 8;
let runningImports = 0;

async function importNames(ctx: RouteContext): Promise<Reply> {
  const media = checkMediaType(ctx.req, NDJSON_TYPES);
  if (media !== undefined) return { kind: 'problem', problem: media };
  if (runningImports >= MAX_CONCURRENT_IMPORTS) {
    const problem = makeProblem(ApiErrorCode.BUSY, `${MAX_CONCURRENT_IMPORTS} imports are running; nothing of this one was read or stored`);
    return { kind: 'problem', problem, headers: { 'Retry-After': '1' }, close: true };
  }
  runningImports++;
  try {
    return await runImport(ctx);
  } finally {
    runningImports--;
  }
}

async function runImport(ctx: RouteContext): Promise<Reply> {
  const zone = ctx.zone!;
  // Imports store names unsigned for the re-signer (commit.ts). A signed zone without keys (one a
  // failed create left behind) would take them and serve them unsigned: refuse, as a PUT is refused.
  if (zone.settings.signed && ctx.deps.keys !== undefined && ctx.deps.keys.describeKeys(zone).length === 0) {
    const problem = makeProblem(ApiErrorCode.UNAVAILABLE, `nothing was stored: zone ${zone.name} is signed but has no keys (a create that failed part-way leaves this; delete the zone and create it again)`);
    return { kind: 'problem', problem, close: true };
  }
  const state: ImportState = { accepted: 0, rejectedCount: 0, rejected: [], batches: 0, serial: zone.serial };
  const { config } = ctx.deps;
  const opts = {
    zone: zone.name,
    defaultTtl: zone.settings.defaultTtl,
    maxTtl: zone.settings.maxTtl,
    maxLineBytes: config.importMaxLineBytes,
    batchSize: config.importBatchSize,
    maxReportedRejections: config.importMaxReportedRejections,
  };
  const sink = createImportSink(opts, declaredLength(ctx));
  const committer = new BatchCommitter(sink, (batch) => flush(ctx, zone, state, batch));
  // A batch the parsing thread finishes is committed at once, not when the next chunk arrives: a
  // producer that pauses (or then goes away) must not leave whole batches it sent uncommitted.
  sink.onBatch(() => committer.kick());
  try {
    for await (const chunk of ctx.req) {
      sink.push(chunk as Buffer);
      await sink.settle();
      // Commit between chunks: the store call is synchronous, and reading pauses while it runs.
      await committer.drain();
    }
    const summary = await sink.end();
    await committer.drain();
    state.accepted = summary.accepted;
    state.rejectedCount = summary.rejectedCount;
    state.rejected = summary.rejected;
  } catch (e) {
    // The batches that were whole before the failure (a client gone, a timeout) are committed, as
    // they would have been had the next chunk arrived; the report then says how far it got.
    const commitFailure = await committer.drain().then(
      () => undefined,
      (err: unknown) => err,
    );
    return failedImport(ctx, zone, state, commitFailure ?? e);
  } finally {
    sink.close();
    countLines(ctx, state);
  }
  const { accepted, rejectedCount, rejected, batches, serial } = state;
  const body = { zone: zone.name, accepted, rejectedCount, rejected, batches, serial };
  return { kind: 'json', status: 200, body, headers: serialHeaders(serial) };
}

/**
 * Commits closed batches one at a time, in order, whether `kick` (a batch arrived) or `drain` (the
 * route wants everything ready committed before it reads on) asked. The first failure stops it.
 */
class BatchCommitter {
  private chain: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly sink: ImportSink,
    private readonly commit: (batch: NamePut[]) => Promise<void>,
  ) {}

  kick(): void {
    this.chain = this.chain.then(() => this.commitReady());
  }

  /** Resolves once every batch closed so far is committed; rejects with the first commit failure. */
  async drain(): Promise<void> {
    this.kick();
    await this.chain;
    if (this.failure !== undefined) throw this.failure.error;
  }

  private async commitReady(): Promise<void> {
    if (this.failure !== undefined) return;
    try {
      for (const batch of this.sink.takeBatches()) await this.commit(batch);
    } catch (error) {
      this.failure = { error };
    }
  }
}

/** Content-Length when the client sent one (chunked uploads have none). */
function declaredLength(ctx: RouteContext): number | undefined {
  const v = ctx.req.headers['content-length'];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

async function flush(ctx: RouteContext, zone: ZoneInfo, state: ImportState, changes: NamePut[]): Promise<void> {
  let serial: number;
  try {
    serial = (await commitChanges(ctx.deps, ctx.metrics, zone.name, changes, 'import_batch')).serial;
  } catch (e) {
    // Committed (the catalog holds it; the store completes it from its redo log) but not completed
    // or not confirmed: the batch counts as committed, and the import stops there.
    if (e instanceof CommittedNotConfirmedError) {
      state.batches++;
      state.serial = e.serial;
      state.lastBatchUnconfirmed = true;
    }
    throw e;
  }
  state.batches++;
  state.serial = serial;
}

function countLines(ctx: RouteContext, state: ImportState): void {
  ctx.metrics.importNames.inc({ result: 'accepted' }, state.accepted);
  ctx.metrics.importNames.inc({ result: 'rejected' }, state.rejectedCount);
}

/** A failure mid-import: say how far it got, since the committed batches stay committed. */
function failedImport(ctx: RouteContext, zone: ZoneInfo, state: ImportState, e: unknown): Reply {
  const last = state.lastBatchUnconfirmed === true ? ', the last of them committed but not yet completed or confirmed' : '';
  const progress = `${state.batches} batch(es) were committed before it stopped${last} (zone ${zone.name} at serial ${state.serial}); lines after the last committed batch were not stored`;
  const known = e instanceof ApiProblemError ? e.problem : problemFromStoreError(e);
  if (known !== undefined) return { kind: 'problem', problem: { ...known, detail: `${known.detail}; ${progress}` } };
  ctx.deps.log?.('error', 'import failed', { zone: zone.name, error: (e as Error).message, batches: state.batches });
  return { kind: 'problem', problem: makeProblem(ApiErrorCode.INTERNAL, `the import failed: ${(e as Error).message}; ${progress}`), close: true };
}
