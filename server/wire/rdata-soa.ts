/**
 * SOA RDATA (RFC 1035 §3.3.13): MNAME, RNAME, then SERIAL, REFRESH, RETRY, EXPIRE, MINIMUM as
 * unsigned 32-bit integers. Encoded uncompressed with canonical (lowercase) names, which is the
 * form RRSIGs cover (RFC 4034 §6.2) and the form answers carry, so signing needs no re-encoding.
 */
import { nameFromWireLabels, nameToWire } from '../../core/names.js';
import { readUncompressedName } from './rdata-ns.js';

export interface SoaRdata {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export function encodeSoa(soa: SoaRdata): Buffer {
  const m = nameToWire(soa.mname);
  const r = nameToWire(soa.rname);
  const out = Buffer.allocUnsafe(m.length + r.length + 20);
  m.copy(out, 0);
  r.copy(out, m.length);
  let o = m.length + r.length;
  for (const v of [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum]) {
    out.writeUInt32BE(v >>> 0, o);
    o += 4;
  }
  return out;
}

/** Decodes uncompressed SOA RDATA (as stored or as encodeSoa makes it); undefined if malformed. */
export function decodeSoa(rdata: Uint8Array): SoaRdata | undefined {
  const m = readUncompressedName(rdata, 0);
  if (m === undefined) return undefined;
  const r = readUncompressedName(rdata, m.end);
  if (r === undefined || rdata.length - r.end !== 20) return undefined;
  const view = Buffer.from(rdata.buffer, rdata.byteOffset + r.end, 20);
  return {
    mname: nameFromWireLabels(m.labels),
    rname: nameFromWireLabels(r.labels),
    serial: view.readUInt32BE(0),
    refresh: view.readUInt32BE(4),
    retry: view.readUInt32BE(8),
    expire: view.readUInt32BE(12),
    minimum: view.readUInt32BE(16),
  };
}
