/**
 * Packs one batch's row operations for one shard into a single BLOB for the catalog redo log, and
 * unpacks it for replay. Format: a version byte (1), then per op a kind byte and its fields:
 *   put 1: owner, u32 descendants, u8 hasData, node bytes | descendants 2: owner, u32 descendants
 *   delete 3: owner | purge 4: nothing.
 * The zone id travels in the redo-log row beside the blob.
 */
import { ByteReader, ByteWriter } from './byte-buffer.js';
import type { ShardOp } from './shard.js';
import { StoreError, StoreErrorCode } from './errors.js';

const VERSION = 1;
const KIND = { put: 1, descendants: 2, delete: 3, purge: 4 } as const;

export function packShardOps(ops: readonly ShardOp[]): Buffer {
  const w = new ByteWriter(packedSize(ops));
  w.u8(VERSION);
  for (const op of ops) {
    w.u8(KIND[op.kind]);
    if (op.kind === 'purge') continue;
    w.ascii(op.owner);
    if (op.kind === 'put') {
      w.u32(op.descendants);
      w.u8(op.hasData ? 1 : 0);
      w.bytes(op.node);
    } else if (op.kind === 'descendants') {
      w.u32(op.descendants);
    }
  }
  return w.finish();
}

/** The exact size packShardOps writes, so its buffer is neither grown nor copied. */
function packedSize(ops: readonly ShardOp[]): number {
  let n = 1;
  for (const op of ops) {
    n += 1;
    if (op.kind === 'purge') continue;
    n += 2 + op.owner.length;
    if (op.kind === 'put') n += 4 + 1 + 4 + op.node.length;
    else if (op.kind === 'descendants') n += 4;
  }
  return n;
}

export function unpackShardOps(zoneId: number, blob: Buffer): ShardOp[] {
  const r = new ByteReader(blob);
  if (r.u8() !== VERSION) throw new StoreError(StoreErrorCode.CORRUPT, 'redo-log batch has an unknown format version');
  const ops: ShardOp[] = [];
  while (!r.done) {
    const kind = r.u8();
    if (kind === KIND.purge) {
      ops.push({ kind: 'purge', zoneId });
      continue;
    }
    const owner = r.ascii();
    if (kind === KIND.put) ops.push({ kind: 'put', zoneId, owner, descendants: r.u32(), hasData: r.u8() === 1, node: r.bytes() });
    else if (kind === KIND.descendants) ops.push({ kind: 'descendants', zoneId, owner, descendants: r.u32() });
    else if (kind === KIND.delete) ops.push({ kind: 'delete', zoneId, owner });
    else throw new StoreError(StoreErrorCode.CORRUPT, `redo-log op kind ${kind} unknown`);
  }
  return ops;
}
