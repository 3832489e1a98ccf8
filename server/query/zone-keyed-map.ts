/**
 * What the query path remembers between queries, per zone: every store event naming a zone drops
 * all of that zone's entries at once, and the whole map is bounded by entry count (when full it
 * starts again empty, which costs a few re-reads and keeps the bookkeeping to a counter). The probe
 * cache and the NXDOMAIN templates are kept in these.
 */
export class ZoneKeyedMap<V> {
  private zones = new Map<string, Map<string, V>>();
  private entries = 0;

  constructor(private readonly limit: number) {}

  get(zone: string, key: string): V | undefined {
    return this.zones.get(zone)?.get(key);
  }

  set(zone: string, key: string, value: V): void {
    let byKey = this.zones.get(zone);
    if (byKey?.has(key) !== true) {
      if (this.entries >= this.limit) {
        this.clear();
        byKey = undefined;
      }
      if (byKey === undefined) {
        byKey = new Map();
        this.zones.set(zone, byKey);
      }
      this.entries++;
    }
    byKey.set(key, value);
  }

  /** Drops everything kept for `zone` (called for every store event naming it). */
  dropZone(zone: string): void {
    const byKey = this.zones.get(zone);
    if (byKey === undefined) return;
    this.entries -= byKey.size;
    this.zones.delete(zone);
  }

  clear(): void {
    this.zones = new Map();
    this.entries = 0;
  }
}
