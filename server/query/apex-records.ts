/**
 * The apex RRsets the server manages itself: SOA (RFC 1035 §3.3.13) built from the zone's
 * settings and current serial, and NS. Identity zones hold no addresses, so NS targets are
 * out-of-zone names and no glue is ever served.
 */
import { nameToWire } from '../../core/names.js';
import { RrType } from '../../core/rr-types.js';
import type { ZoneInfo } from '../../zone-store/types.js';

/** Last SOA RDATA built per zone: every negative answer carries it, and it changes only with the serial. */
const soaMemo = new Map<string, { serial: number; settings: ZoneInfo['settings']; rdata: Buffer }>();

export function encodeSoaRdata(zone: ZoneInfo): Buffer {
  const m = soaMemo.get(zone.name);
  if (m !== undefined && m.serial === zone.serial && m.settings === zone.settings) return m.rdata;
  const rdata = buildSoaRdata(zone);
  if (soaMemo.size > 10_000) soaMemo.clear();
  soaMemo.set(zone.name, { serial: zone.serial, settings: zone.settings, rdata });
  return rdata;
}

function buildSoaRdata(zone: ZoneInfo): Buffer {
  const s = zone.settings;
  const tail = Buffer.alloc(20);
  tail.writeUInt32BE(zone.serial >>> 0, 0);
  tail.writeUInt32BE(s.soaRefresh, 4);
  tail.writeUInt32BE(s.soaRetry, 8);
  tail.writeUInt32BE(s.soaExpire, 12);
  tail.writeUInt32BE(s.negativeTtl, 16);
  return Buffer.concat([nameToWire(s.mname), nameToWire(s.rname), tail]);
}

/** TTL of the SOA in negative answers and of NSEC3 records: min(SOA TTL, MINIMUM) (RFC 2308 §3, RFC 9077 §3). */
export function negativeTtl(zone: ZoneInfo): number {
  return Math.min(zone.settings.soaTtl, zone.settings.negativeTtl);
}

export function nsRdatas(zone: ZoneInfo): Buffer[] {
  return zone.settings.ns.map((n) => nameToWire(n)).sort(Buffer.compare);
}

/** Types the apex holds (besides stored identity data), for its NSEC3 bitmap and ANY. */
export function apexManagedTypes(signed: boolean): number[] {
  const base: number[] = [RrType.NS, RrType.SOA];
  if (signed) base.push(RrType.DNSKEY, RrType.NSEC3PARAM, RrType.CDS, RrType.CDNSKEY);
  return base;
}
