/**
 * The API's write barrier: one store transaction, then a wait until every DNS worker has applied it,
 * and only then the 2xx (ARCHITECTURE.md, read-after-write). Write latency is measured over both
 * steps, because that is what a provisioning client waits for.
 */
import type { ChangeResult, NameChange } from '../zone-store/types.js';
import type { ApiDeps } from './api-deps.js';
import { ApiErrorCode, ApiProblemError, makeProblem, problemFromStoreError } from './errors.js';
import type { ApiMetrics, WriteOp } from './metrics.js';
import type { SingleWriteOutcome, WriteCoalescer } from './write-coalescer.js';

export async function commitChanges(deps: ApiDeps, metrics: ApiMetrics, zone: string, changes: NameChange[], op: WriteOp): Promise<ChangeResult> {
  const stop = metrics.writeDuration.startTimer({ op });
  const serialBefore = deps.store.getZone(zone)?.serial;
  let result: ChangeResult;
  try {
    // Bulk imports store names unsigned: signing caps them near 10k names/s per core; the server's
    // re-signer signs them in the background and queries sign on demand until it has.
    result = deps.store.applyChanges(zone, changes, op === 'import_batch' ? { deferSigning: true } : {});
  } catch (e) {
    throw explainWriteFailure(deps, zone, serialBefore, e);
  }
  await awaitPropagation(deps, zone, result.serial);
  stop();
  return result;
}

/**
 * A write that is committed (the catalog commit, with its serial and redo log, succeeded) but not
 * completed or not confirmed: a shard write failed after the catalog commit (the store completes it
 * from its redo log at the next write or the next open), or the DNS workers did not confirm it.
 * 503 ERR_API_UNAVAILABLE, as for a single-name PUT; `serial` is the serial it was committed as
 * (an import counts the batch as committed).
 */
export class CommittedNotConfirmedError extends ApiProblemError {
  readonly serial: number;
  constructor(serial: number, detail: string) {
    super(makeProblem(ApiErrorCode.UNAVAILABLE, detail));
    this.name = 'CommittedNotConfirmedError';
    this.serial = serial;
  }
}

/**
 * Whether an error is a full disk: SQLite's SQLITE_FULL (also as a store error's `sqliteCode`) or
 * the file system's ENOSPC, on the error or along its `cause` chain, or named in its message
 * (a key-file write reports its errno in the message only).
 */
export function isDiskFull(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    const o = cur as { code?: unknown; sqliteCode?: unknown; errno?: unknown; message?: unknown; cause?: unknown };
    for (const c of [o.code, o.sqliteCode]) if (c === 'SQLITE_FULL' || c === 'ENOSPC') return true;
    if (typeof o.message === 'string' && /SQLITE_FULL|ENOSPC|database or disk is full|no space left on device/i.test(o.message)) return true;
    cur = o.cause;
  }
  return false;
}

/** The cause of a failed write as the answer gives it: its message, and "the disk is full" when it is. */
export function describeCause(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return isDiskFull(e) ? `the disk is full (${message})` : message;
}

/**
 * What a store write that threw becomes. The serial tells a failure after the catalog commit from one
 * before it (as in write-coalescer.ts): moved, the change IS committed (CommittedNotConfirmedError,
 * 503). Unmoved, nothing was stored: expected store and signer refusals go on unchanged (the
 * dispatcher maps them); a full disk or any other fault becomes a 500 that says nothing was stored
 * and why, never the generic "failed to handle this request".
 */
export function explainWriteFailure(deps: Pick<ApiDeps, 'store' | 'log'>, zone: string, serialBefore: number | undefined, e: unknown): Error {
  if (e instanceof ApiProblemError) return e;
  const serialNow = deps.store.getZone(zone)?.serial;
  if (serialNow !== undefined && serialBefore !== undefined && serialNow !== serialBefore) {
    deps.log?.('error', 'write failed after the catalog commit', { zone, serial: serialNow, error: (e as Error)?.message });
    return new CommittedNotConfirmedError(serialNow, `the change to ${zone} was committed as serial ${serialNow}, but not completed: ${describeCause(e)}; the store completes it from its redo log (at the next write or the next start)`);
  }
  if (isExpectedRefusal(e) && !isDiskFull(e)) return e as Error;
  deps.log?.('error', 'write failed before the catalog commit; nothing was stored', { zone, error: (e as Error)?.message });
  return new ApiProblemError(makeProblem(ApiErrorCode.INTERNAL, `the write to ${zone} failed before its commit, so nothing of it was stored: ${describeCause(e)}`));
}

/** Errors the dispatcher already answers precisely: mapped store codes, signer refusals, bad names. */
function isExpectedRefusal(e: unknown): boolean {
  if (problemFromStoreError(e) !== undefined) return true;
  const code = (e as { code?: unknown } | undefined)?.code;
  if (e instanceof Error && typeof code === 'string' && code.startsWith('ERR_SIGNER_')) return true;
  return e instanceof Error && e.name === 'NameError';
}

/**
 * One PUT or DELETE of one name, committed with the others of its event-loop turn
 * (write-coalescer.ts); settles after the commit and the DNS workers' confirmation, like
 * commitChanges. A DELETE of a name without identity records comes back `absent`, unwritten.
 */
export async function commitOneName(writes: WriteCoalescer, metrics: ApiMetrics, zone: string, change: NameChange): Promise<SingleWriteOutcome> {
  const stop = metrics.writeDuration.startTimer({ op: change.op });
  const outcome = await writes.submit(zone, change);
  if (outcome.kind === 'committed') stop();
  return outcome;
}

/** Waits for the workers; a failure becomes 503 saying the change is committed but not yet confirmed. */
export async function awaitPropagation(deps: ApiDeps, zone: string, serial: number): Promise<void> {
  try {
    await deps.propagate(zone, serial);
  } catch (e) {
    deps.log?.('warn', 'propagation to DNS workers failed', { zone, serial, error: (e as Error).message });
    const detail = `the change to ${zone} was committed as serial ${serial}, but not every DNS worker confirmed it: ${(e as Error).message}`;
    throw new CommittedNotConfirmedError(serial, detail);
  }
}

/** Headers every successful write carries: the zone serial the change produced. */
export function serialHeaders(serial: number): Record<string, string> {
  return { 'Idzone-Serial': String(serial) };
}
