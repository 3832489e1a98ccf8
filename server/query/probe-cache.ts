/**
 * The nodes a lookup probes on its way up (the closest encloser candidates and their wildcards),
 * remembered between queries. A flood of random names under one parent probes the same two rows
 * (the parent and `*.parent`) on every query; this keeps those reads off SQLite. Absent names are
 * remembered too (as null). Any store event for a zone drops all of that zone's entries (data,
 * descendant counts and stored signatures can all change), so the cache is never staler than the
 * answer cache beside it. Bounded by entry count: when full it starts again empty.
 */
import type { StoredNode, ZoneInfo, ZoneReader } from '../../zone-store/types.js';

const DEFAULT_LIMIT = 8192;

export class ProbeCache {
  private zones = new Map<string, Map<string, StoredNode | null>>();
  private entries = 0;

  constructor(private readonly limit = DEFAULT_LIMIT) {}

  /** The stored node at `name` in `zone` (undefined when absent), read once per store event. */
  get(reader: ZoneReader, zone: ZoneInfo, name: string): StoredNode | undefined {
    let byName = this.zones.get(zone.name);
    const hit = byName?.get(name);
    if (hit !== undefined) return hit ?? undefined;
    const node = reader.getNode(zone, name);
    if (this.entries >= this.limit) this.clear();
    if (byName === undefined || !this.zones.has(zone.name)) {
      byName = new Map();
      this.zones.set(zone.name, byName);
    }
    byName.set(name, node ?? null);
    this.entries++;
    return node;
  }

  /** Drops everything remembered for `zone` (called for every store event naming it). */
  onZoneEvent(zone: string): void {
    const byName = this.zones.get(zone);
    if (byName === undefined) return;
    this.entries -= byName.size;
    this.zones.delete(zone);
  }

  clear(): void {
    this.zones = new Map();
    this.entries = 0;
  }
}
