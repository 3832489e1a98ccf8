/**
 * JSON representations the API answers with. A name is shown in exactly the shape a PUT accepts
 * (`{name, ttl, tlsa: [...], sshfp: [...]}` with lowercase hex), so what GET returns can be sent back
 * unchanged. Zones show their policy, serial, size and, when the signer is wired, their public DNSKEYs
 * and DS records (never anything private).
 */
import { decodeSshfp, decodeTlsa } from '../core/identity-rdata.js';
import { RrType } from '../core/rr-types.js';
import type { RrsetData } from '../core/rrset.js';
import type { ZoneInfo, ZoneReader } from '../zone-store/types.js';
import type { ZoneKeyService } from './api-deps.js';

export interface NameView {
  name: string;
  ttl: number;
  tlsa: { usage: number; selector: number; matchingType: number; data: string }[];
  sshfp: { algorithm: number; type: number; fingerprint: string }[];
}

export function nameView(owner: string, rrsets: readonly RrsetData[]): NameView {
  const view: NameView = { name: owner, ttl: rrsets[0]?.ttl ?? 0, tlsa: [], sshfp: [] };
  for (const r of rrsets) {
    if (r.type === RrType.TLSA) {
      view.tlsa = r.rdatas.map((rd) => {
        const t = decodeTlsa(rd);
        return { usage: t.usage, selector: t.selector, matchingType: t.matchingType, data: t.data.toString('hex') };
      });
    } else if (r.type === RrType.SSHFP) {
      view.sshfp = r.rdatas.map((rd) => {
        const s = decodeSshfp(rd);
        return { algorithm: s.algorithm, type: s.fpType, fingerprint: s.fingerprint.toString('hex') };
      });
    }
  }
  // Both RRsets are written with one TTL by the API; an imported zone file may differ, and then the
  // TLSA TTL (the record DANCE relies on) is the one shown.
  const tlsa = rrsets.find((r) => r.type === RrType.TLSA);
  if (tlsa !== undefined) view.ttl = tlsa.ttl;
  return view;
}

export interface ZoneSummary {
  name: string;
  serial: number;
  names: number;
  /** TLSA and SSHFP records; null while a catalog from before record counting is being counted. */
  records: number | null;
  signed: boolean;
}

export function zoneSummary(store: Pick<ZoneReader, 'countNames' | 'countRecords'>, zone: ZoneInfo): ZoneSummary {
  return { name: zone.name, serial: zone.serial, names: store.countNames(zone), records: store.countRecords(zone) ?? null, signed: zone.settings.signed };
}

export function zoneView(store: Pick<ZoneReader, 'countNames' | 'countRecords'>, zone: ZoneInfo, keys: ZoneKeyService | undefined): object {
  const described = keys?.describeKeys(zone) ?? [];
  return {
    ...zoneSummary(store, zone),
    createdAt: new Date(zone.createdAt * (zone.createdAt < 1e12 ? 1000 : 1)).toISOString(),
    settings: zone.settings,
    keys: described.map(({ ds: _ds, ...k }) => k),
    ds: described.flatMap((k) => (k.ds === undefined ? [] : [k.ds])),
  };
}
