/**
 * Canonical form of an RRset for signing (RFC 4034 §6.2, §6.3) and the RRSIG signing input
 * (RFC 4034 §3.1.8.1): `RRSIG RDATA without signature || RR(1) || … || RR(n)`, each RR being
 * `owner | type | class IN | original TTL | RDLENGTH | RDATA`, owner uncompressed and lowercase,
 * RRs sorted by RDATA octets with duplicates removed. A wildcard RRset is signed under its
 * unexpanded `*` owner (RFC 4034 §3.1.8.1, RFC 4035 §5.3.2): callers pass the wildcard name, never
 * the query name. RDATA is already canonical wire (idzone stores it so, core/rrset.ts); no name
 * inside TLSA, SSHFP, DNSKEY, NSEC3 or CDS RDATA needs lowercasing, and the server builds SOA/NS
 * RDATA from canonical (lowercase) names.
 */
import { nameToWire } from '../core/names.js';
import { RrClass } from '../core/rr-types.js';
import { canonicalRdatas } from '../core/rrset.js';

/** Uncompressed wire form with ASCII letters lowercased (RFC 4034 §6.2 items 1–3). */
export function canonicalOwnerWire(name: string): Buffer {
  const wire = nameToWire(name);
  // Length octets are at most 63, below 'A' (0x41), so lowercasing every byte is safe.
  for (let i = 0; i < wire.length; i++) {
    const b = wire[i]!;
    if (b >= 0x41 && b <= 0x5a) wire[i] = b + 32;
  }
  return wire;
}

/** The RR part of the signing input: every RR of the RRset in canonical form and order. */
export function canonicalRrsetWire(owner: string, type: number, ttl: number, rdatas: readonly Buffer[]): Buffer {
  const ownerWire = canonicalOwnerWire(owner);
  const sorted = canonicalRdatas(rdatas);
  let len = 0;
  for (const r of sorted) len += ownerWire.length + 10 + r.length;
  const out = Buffer.allocUnsafe(len);
  let o = 0;
  for (const r of sorted) {
    ownerWire.copy(out, o);
    o += ownerWire.length;
    o = out.writeUInt16BE(type, o);
    o = out.writeUInt16BE(RrClass.IN, o);
    o = out.writeUInt32BE(ttl >>> 0, o);
    o = out.writeUInt16BE(r.length, o);
    r.copy(out, o);
    o += r.length;
  }
  return out;
}

/** RFC 4034 §3.1.8.1 signed data: RRSIG RDATA up to the signature, then the canonical RRs. */
export function signingInput(rrsigPrefix: Buffer, rrsetWire: Buffer): Buffer {
  return Buffer.concat([rrsigPrefix, rrsetWire]);
}
