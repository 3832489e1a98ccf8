/**
 * `idzone export`: writes a zone as a DNS master file (RFC 1035 §5), one `owner TTL IN TYPE RDATA`
 * record per line with absolute owner names, so the output needs no `$ORIGIN` and re-imports as it
 * is. It starts with the apex SOA and NS, built from the zone settings and serial exactly as the
 * server answers them (RFC 1035 §3.3.13; MINIMUM is the negative TTL, RFC 2308 §4), then lists every
 * name in the store's listing order, a page of 1000 at a time, so memory stays flat whatever the
 * zone's size. TLSA and SSHFP use their own presentation form (RFC 6698 §2.2, RFC 4255 §3.2); any
 * other stored type would be written in RFC 3597 §5 generic form. Signatures are not exported: the
 * importing server signs for itself.
 */
import { once } from 'node:events';
import { sshfpToText, tlsaToText } from '../core/identity-rdata.js';
import { parseName } from '../core/names.js';
import { RrType, typeToString } from '../core/rr-types.js';
import type { RrsetData } from '../core/rrset.js';
import type { ZoneInfo, ZoneReader } from '../zone-store/types.js';

/** What an export needs of the store; any ZoneReader satisfies it. */
export type ExportStore = Pick<ZoneReader, 'getZone' | 'listNames'> & Partial<Pick<ZoneReader, 'refresh'>>;

export interface ExportOptions {
  store: ExportStore;
  zone: string;
  out: NodeJS.WritableStream;
  /** Names per listNames call (default 1000). */
  pageSize?: number;
}

export interface ExportReport {
  zone: string;
  /** Serial written in the SOA. */
  serial: number;
  names: number;
  records: number;
  /** False when the zone's serial moved during the export: the output then mixes two versions. */
  consistent: boolean;
  /** Only when not consistent: the zone's serial when the export ended (undefined: the zone was deleted meanwhile). */
  endSerial?: number | undefined;
}

/** The export cannot start (the CLI maps `code` to its message and exit status, like ImportError). */
export class ExportError extends Error {
  readonly code = 'ERR_EXPORT_ZONE_NOT_FOUND';
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

export async function runExport(opts: ExportOptions): Promise<ExportReport> {
  const zone = parseName(opts.zone);
  const info = opts.store.getZone(zone);
  if (info === undefined) throw new ExportError(`zone ${zone} does not exist`);
  const pageSize = opts.pageSize ?? 1000;
  const report: ExportReport = { zone, serial: info.serial, names: 0, records: 0, consistent: true };
  await write(opts.out, apexLines(info).join(''));
  let after: string | undefined;
  for (;;) {
    const page = opts.store.listNames(info, after, pageSize);
    let text = '';
    for (const node of page) {
      if (node.rrsets.length > 0) report.names++;
      for (const rrset of node.rrsets) {
        const lines = rrsetLines(node.owner, rrset);
        report.records += lines.length;
        text += lines.join('');
      }
    }
    await write(opts.out, text);
    if (page.length < pageSize) break;
    after = page[page.length - 1]!.owner;
  }
  // A read-only store loads the catalog once: reload it, or a writer's serial bumps go unseen.
  opts.store.refresh?.();
  const endSerial = opts.store.getZone(zone)?.serial;
  report.consistent = endSerial === info.serial;
  if (!report.consistent) report.endSerial = endSerial;
  return report;
}

/** The apex SOA then one NS line per name server, as computed from the settings. */
export function apexLines(info: ZoneInfo): string[] {
  const s = info.settings;
  const soa = `${info.name} ${s.soaTtl} IN SOA ${s.mname} ${s.rname} ${info.serial} ${s.soaRefresh} ${s.soaRetry} ${s.soaExpire} ${s.negativeTtl}\n`;
  return [soa, ...s.ns.map((ns) => `${info.name} ${s.nsTtl} IN NS ${ns}\n`)];
}

/** One presentation line per RDATA of `rrset`, each ending in a newline. */
export function rrsetLines(owner: string, rrset: RrsetData): string[] {
  const head = `${owner} ${rrset.ttl} IN ${typeToString(rrset.type)} `;
  return rrset.rdatas.map((rdata) => head + rdataToText(rrset.type, rdata) + '\n');
}

function rdataToText(type: number, rdata: Buffer): string {
  if (type === RrType.TLSA && rdata.length >= 3) return tlsaToText(rdata);
  if (type === RrType.SSHFP && rdata.length >= 2) return sshfpToText(rdata);
  return `\\# ${rdata.length}${rdata.length > 0 ? ' ' + rdata.toString('hex').toUpperCase() : ''}`;
}

/** Writes with back-pressure: waits for 'drain' when the stream's buffer is full. */
async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (text.length === 0) return;
  if (!out.write(text)) await once(out, 'drain');
}
