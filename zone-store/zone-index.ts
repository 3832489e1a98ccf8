/**
 * The in-memory list of served zones, shared by both stores: lookup by name, by id, and the zone whose
 * apex is the longest suffix of a query name (the first step of RFC 1034 §4.3.2). Suffixes are found by
 * walking label boundaries of the canonical name, skipping escaped dots, without allocating labels.
 */
import type { ZoneInfo } from './types.js';

export class ZoneIndex {
  private byName = new Map<string, ZoneInfo>();
  private byId = new Map<number, ZoneInfo>();

  replaceAll(zones: readonly ZoneInfo[]): void {
    this.byName.clear();
    this.byId.clear();
    for (const z of zones) this.set(z);
  }

  set(zone: ZoneInfo): void {
    const old = this.byId.get(zone.id);
    if (old !== undefined) this.byName.delete(old.name);
    this.byName.set(zone.name, zone);
    this.byId.set(zone.id, zone);
  }

  remove(zone: ZoneInfo): void {
    this.byName.delete(zone.name);
    this.byId.delete(zone.id);
  }

  get(name: string): ZoneInfo | undefined {
    return this.byName.get(name);
  }

  getById(id: number): ZoneInfo | undefined {
    return this.byId.get(id);
  }

  list(): ZoneInfo[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Longest-suffix match: `name` itself, then each parent, up to the root. */
  find(name: string): ZoneInfo | undefined {
    if (this.byName.size === 0) return undefined;
    const exact = this.byName.get(name);
    if (exact !== undefined) return exact;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c === 0x5c) {
        i += isDigit(name.charCodeAt(i + 1)) ? 3 : 1;
      } else if (c === 0x2e && i + 1 < name.length) {
        const z = this.byName.get(name.slice(i + 1));
        if (z !== undefined) return z;
      }
    }
    return this.byName.get('.');
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
