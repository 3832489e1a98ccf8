/**
 * What a zone's rollovers need besides the key states in the catalog: facts only the operator
 * knows about the parent zone. Kept per zone in `<data-dir>/keys/<zone>/rollover-state.json`
 * (beside the zone's key files, so it goes with them when the zone is deleted, backed up or moved):
 *   parentDsTtl  the TTL of the zone's DS RRset at the parent (default DEFAULT_PARENT_DS_TTL);
 *   dsSeen       the operator's confirmation that the parent serves the DS of the new KSK of the
 *                KSK rollover under way (`idzone key ds-seen`, POST …/keys/ds-seen), with the time
 *                from which it does — like BIND's `rndc dnssec -checkds published` or Knot's
 *                `knotc zone-ksk-submitted`. It names the key (catalog id and tag), so a
 *                confirmation never carries over to a later rollover.
 * Written atomically (temporary file + rename); a missing file is an empty state, an unreadable
 * or malformed one is an error (guessing could shorten a wait that protects validators).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { zoneDirName } from '../../signer/key-files.js';

export const ROLLOVER_STATE_FILE = 'rollover-state.json';

/** Largest TTL (RFC 2181 §8). */
export const MAX_TTL = 2147483647;

export interface DsSeen {
  /** Catalog id of the KSK whose DS the parent serves. */
  keyId: number;
  keyTag: number;
  /** Unix seconds from which the parent serves it. */
  at: number;
}

export interface ZoneRolloverState {
  parentDsTtl?: number;
  dsSeen?: DsSeen;
}

export function rolloverStateFile(dataDir: string, zone: string): string {
  return join(dataDir, 'keys', zoneDirName(zone), ROLLOVER_STATE_FILE);
}

const isSeconds = (v: unknown, max = Number.MAX_SAFE_INTEGER): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

export function readRolloverState(dataDir: string, zone: string): ZoneRolloverState {
  const file = rolloverStateFile(dataDir, zone);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`cannot read the rollover state ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = undefined;
  }
  const bad = (): Error => new Error(`the rollover state ${file} is malformed; fix or delete it (deleting forgets the parent's DS TTL and any DS confirmation)`);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad();
  const o = v as Record<string, unknown>;
  const out: ZoneRolloverState = {};
  if (o['parentDsTtl'] !== undefined) {
    if (!isSeconds(o['parentDsTtl'], MAX_TTL)) throw bad();
    out.parentDsTtl = o['parentDsTtl'];
  }
  if (o['dsSeen'] !== undefined) {
    const d = o['dsSeen'] as Record<string, unknown> | null;
    if (typeof d !== 'object' || d === null || !isSeconds(d['keyId']) || !isSeconds(d['keyTag'], 65535) || !isSeconds(d['at'])) throw bad();
    out.dsSeen = { keyId: d['keyId'], keyTag: d['keyTag'], at: d['at'] };
  }
  return out;
}

export function writeRolloverState(dataDir: string, zone: string, state: ZoneRolloverState): void {
  const file = rolloverStateFile(dataDir, zone);
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(state) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
