/**
 * NDJSON import (one identity body per line, each with `name` or `user`), streamed: the body is split
 * line by line as it arrives, never held whole, and accepted names are committed every
 * `importBatchSize` names in one store transaction each. A bad line is rejected with its number and
 * every violation, and the rest goes on. If the client or the server dies mid-import, the committed
 * batches are complete and the uncommitted one is simply absent: the store is never half-written. The
 * answer is a report `{accepted, rejectedCount, rejected: [{line, errors}], batches, serial}` sent only
 * after the last batch has reached every DNS worker.
 */
import type { Violation } from '../core/identity-rdata.js';
import type { NamePut, ZoneInfo } from '../zone-store/types.js';
import { LineSplitter, checkMediaType } from './body-reader.js';
import { commitChanges, serialHeaders } from './commit.js';
import { ApiErrorCode, ApiProblemError, makeProblem, problemFromStoreError } from './errors.js';
import { parseIdentityBody } from './identity-input.js';
import { jsonErrorOffset } from './json-error-offset.js';
import type { Reply, Route, RouteContext } from './router.js';

export const importRoutes: Route[] = [
  { method: 'POST', template: '/api/v1/zones/{zone}/import', operationId: 'importNames', access: 'write', handler: importNames },
];

export const NDJSON_TYPES = ['application/x-ndjson', 'application/jsonl'] as const;

interface ImportState {
  accepted: number;
  rejectedCount: number;
  rejected: { line: number; errors: Violation[] }[];
  batches: number;
  serial: number;
  /** The open batch, by owner: a later line for the same name replaces an earlier one. */
  batch: Map<string, NamePut>;
}

async function importNames(ctx: RouteContext): Promise<Reply> {
  const zone = ctx.zone!;
  const media = checkMediaType(ctx.req, NDJSON_TYPES);
  if (media !== undefined) return { kind: 'problem', problem: media };
  const state: ImportState = { accepted: 0, rejectedCount: 0, rejected: [], batches: 0, serial: zone.serial, batch: new Map() };
  const splitter = new LineSplitter(ctx.deps.config.importMaxLineBytes, (line, text, problem) => takeLine(ctx, zone, state, line, text, problem));
  try {
    for await (const chunk of ctx.req) {
      splitter.push(chunk as Buffer);
      // Commit between chunks: the store call is synchronous, and reading pauses while it runs.
      if (state.batch.size >= ctx.deps.config.importBatchSize) await flush(ctx, zone, state);
    }
    splitter.end();
    if (state.batch.size > 0) await flush(ctx, zone, state);
  } catch (e) {
    return failedImport(ctx, zone, state, e);
  } finally {
    countLines(ctx, state);
  }
  const { accepted, rejectedCount, rejected, batches, serial } = state;
  const body = { zone: zone.name, accepted, rejectedCount, rejected, batches, serial };
  return { kind: 'json', status: 200, body, headers: serialHeaders(serial) };
}

function takeLine(ctx: RouteContext, zone: ZoneInfo, state: ImportState, line: number, text: string | undefined, problem: string | undefined): void {
  if (text === undefined) return reject(ctx, state, line, [{ pointer: '', message: problem ?? 'unreadable line' }]);
  if (text.trim() === '') return;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return reject(ctx, state, line, [{ pointer: '', message: `invalid JSON at column ${jsonErrorOffset(text) + 1}: ${(e as Error).message}` }]);
  }
  const { defaultTtl, maxTtl } = zone.settings;
  const parsed = parseIdentityBody(value, { zone: zone.name, defaultTtl, maxTtl });
  if (!parsed.ok) return reject(ctx, state, line, parsed.violations);
  state.batch.set(parsed.owner, { op: 'put', owner: parsed.owner, rrsets: parsed.rrsets });
  state.accepted++;
}

function reject(ctx: RouteContext, state: ImportState, line: number, errors: Violation[]): void {
  state.rejectedCount++;
  // The count stays exact; the listed lines are bounded so a file of garbage cannot exhaust memory.
  if (state.rejected.length < ctx.deps.config.importMaxReportedRejections) state.rejected.push({ line, errors });
}

async function flush(ctx: RouteContext, zone: ZoneInfo, state: ImportState): Promise<void> {
  const changes = [...state.batch.values()];
  state.batch = new Map();
  const result = await commitChanges(ctx.deps, ctx.metrics, zone.name, changes, 'import_batch');
  state.batches++;
  state.serial = result.serial;
}

function countLines(ctx: RouteContext, state: ImportState): void {
  ctx.metrics.importNames.inc({ result: 'accepted' }, state.accepted);
  ctx.metrics.importNames.inc({ result: 'rejected' }, state.rejectedCount);
}

/** A failure mid-import: say how far it got, since the committed batches stay committed. */
function failedImport(ctx: RouteContext, zone: ZoneInfo, state: ImportState, e: unknown): Reply {
  const progress = `${state.batches} batch(es) were committed before it stopped (zone ${zone.name} at serial ${state.serial}); lines after the last committed batch were not stored`;
  const known = e instanceof ApiProblemError ? e.problem : problemFromStoreError(e);
  if (known !== undefined) return { kind: 'problem', problem: { ...known, detail: `${known.detail}; ${progress}` } };
  ctx.deps.log?.('error', 'import failed', { zone: zone.name, error: (e as Error).message, batches: state.batches });
  return { kind: 'problem', problem: makeProblem(ApiErrorCode.INTERNAL, `the import failed: ${(e as Error).message}; ${progress}`), close: true };
}
