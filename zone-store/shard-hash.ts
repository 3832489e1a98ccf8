/**
 * Which shard holds a name: FNV-1a 32-bit over the canonical owner's bytes, modulo the shard count.
 * Canonical names are ASCII (core/names.ts escapes every other byte as \DDD), so the UTF-16 code
 * units are the UTF-8 bytes. The function must never change: it decides where existing rows live.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function fnv1a32(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i) & 0xff;
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

export function shardOf(owner: string, shardCount: number): number {
  return fnv1a32(owner) % shardCount;
}
