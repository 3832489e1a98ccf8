/**
 * The nodes a lookup probes on its way up (the closest encloser candidates and their wildcards),
 * remembered between queries. A flood of random names under one parent probes the same two rows
 * (the parent and `*.parent`) on every query; this keeps those reads off SQLite. Absent names are
 * remembered too (as null). Any store event for a zone drops all of that zone's entries (data,
 * descendant counts and stored signatures can all change), so the cache is never staler than the
 * answer cache beside it. Bounded by entry count: when full it starts again empty.
 */
import type { StoredNode, ZoneInfo, ZoneReader } from '../../zone-store/types.js';
import { ZoneKeyedMap } from './zone-keyed-map.js';

const DEFAULT_LIMIT = 8192;

export class ProbeCache {
  private readonly nodes: ZoneKeyedMap<StoredNode | null>;

  constructor(limit = DEFAULT_LIMIT) {
    this.nodes = new ZoneKeyedMap(limit);
  }

  /** The stored node at `name` in `zone` (undefined when absent), read once per store event. */
  get(reader: ZoneReader, zone: ZoneInfo, name: string): StoredNode | undefined {
    const hit = this.nodes.get(zone.name, name);
    if (hit !== undefined) return hit ?? undefined;
    const node = reader.getNode(zone, name);
    this.nodes.set(zone.name, name, node ?? null);
    return node;
  }

  /** Drops everything remembered for `zone` (called for every store event naming it). */
  onZoneEvent(zone: string): void {
    this.nodes.dropZone(zone);
  }

  clear(): void {
    this.nodes.clear();
  }
}
