/**
 * The API's write barrier: one store transaction, then a wait until every DNS worker has applied it,
 * and only then the 2xx (ARCHITECTURE.md, read-after-write). Write latency is measured over both
 * steps, because that is what a provisioning client waits for.
 */
import type { ChangeResult, NameChange } from '../zone-store/types.js';
import type { ApiDeps } from './api-deps.js';
import { ApiErrorCode, ApiProblemError, makeProblem } from './errors.js';
import type { ApiMetrics, WriteOp } from './metrics.js';
import type { SingleWriteOutcome, WriteCoalescer } from './write-coalescer.js';

export async function commitChanges(deps: ApiDeps, metrics: ApiMetrics, zone: string, changes: NameChange[], op: WriteOp): Promise<ChangeResult> {
  const stop = metrics.writeDuration.startTimer({ op });
  // Bulk imports store names unsigned: signing caps them near 10k names/s per core; the server's
  // re-signer signs them in the background and queries sign on demand until it has.
  const result = deps.store.applyChanges(zone, changes, op === 'import_batch' ? { deferSigning: true } : {});
  await awaitPropagation(deps, zone, result.serial);
  stop();
  return result;
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
    throw new ApiProblemError(makeProblem(ApiErrorCode.UNAVAILABLE, detail));
  }
}

/** Headers every successful write carries: the zone serial the change produced. */
export function serialHeaders(serial: number): Record<string, string> {
  return { 'Idzone-Serial': String(serial) };
}
