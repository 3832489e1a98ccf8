/**
 * Merges per-shard listings, each already ordered by owner (SQLite BINARY collation, i.e. byte order;
 * canonical names are ASCII so JavaScript string order agrees), into the first `limit` rows overall.
 * Shard counts are small (≤ 256), so a linear pick of the smallest head is cheaper than a heap.
 */

export function mergeListings<R extends [string, ...unknown[]]>(lists: readonly R[][], limit: number): R[] {
  const heads = lists.map(() => 0);
  const out: R[] = [];
  while (out.length < limit) {
    let best = -1;
    let bestOwner = '';
    for (let i = 0; i < lists.length; i++) {
      const row = lists[i]![heads[i]!];
      if (row !== undefined && (best < 0 || row[0] < bestOwner)) {
        best = i;
        bestOwner = row[0];
      }
    }
    if (best < 0) break;
    out.push(lists[best]![heads[best]!]!);
    heads[best]! += 1;
  }
  return out;
}
