/**
 * Checks every RRSIG of a response with @noble/curves (noble-verify.ts, independent of OpenSSL
 * and of signer/) against a DNSKEY set fetched from the server, and that every RRset of a DO=1
 * answer is covered (RFC 4035 §3.1.1, §3.1.3). Also checks the RRSIG fields a validator relies
 * on (RFC 4034 §3.1; RFC 4035 §5.3.1): TTL = original TTL = the RRset's TTL (for a negative
 * answer's SOA, served at the negative TTL, original TTL ≥ TTL), signer = the zone,
 * Labels ≤ the owner's label count, now within inception…expiration, DNSKEY signed by a SEP key.
 */
import assert from 'node:assert/strict';
import { verifyRrsigIndependently } from './noble-verify.js';
import { askTcp, labelCount, recordsOf, rrsigFields, type RawMessage } from './raw-dns.js';

const RRSIG = 46;
const SOA = 6;
const DNSKEY = 48;
const OPT = 41;

/** The zone's DNSKEY RDATAs, over TCP with DO=1 (and themselves verified by a KSK). */
export async function fetchDnskeys(port: number, zone: string): Promise<Buffer[]> {
  const m = await askTcp(port, zone, DNSKEY);
  const keys = recordsOf(m, DNSKEY, 'answer').map((r) => r.rdata);
  assert.ok(keys.length >= 1, `no DNSKEY for ${zone}`);
  return keys;
}

export interface VerifyReport {
  signatures: number;
  rrsets: number;
}

/**
 * Asserts that every signature in `m` verifies and every RRset is signed; returns counts. With
 * `verified`, a signature already verified over the same RRset (the SOA and wildcard-cover
 * signatures recur in every denial) is not verified again: its fields are still checked.
 */
export function verifyResponse(m: RawMessage, keys: readonly Buffer[], zone: string, now = Math.floor(Date.now() / 1000), verified?: Map<string, Buffer>): VerifyReport {
  const data = m.records.filter((r) => r.type !== RRSIG && r.type !== OPT && r.section !== 'additional');
  const sets = new Map<string, typeof data>();
  for (const r of data) {
    const k = `${r.section}|${r.name}|${r.type}`;
    sets.set(k, [...(sets.get(k) ?? []), r]);
  }
  let signatures = 0;
  const covered = new Set<string>();
  for (const sig of recordsOf(m, RRSIG)) {
    const f = rrsigFields(sig.rdata);
    const k = `${sig.section}|${sig.name}|${f.typeCovered}`;
    const set = sets.get(k);
    assert.ok(set !== undefined, `RRSIG without its RRset: ${k}`);
    const where = `${sig.name} RRSIG ${f.typeCovered} tag ${f.keyTag}`;
    assert.equal(f.signer, zone, `${where}: signer name`);
    // Served TTLs may be lower than the Original TTL (a negative answer's SOA, RFC 2308 §3), never higher.
    assert.ok(f.originalTtl >= set[0]!.ttl, `${where}: original TTL ${f.originalTtl} < RRset TTL ${set[0]!.ttl}`);
    if (f.typeCovered !== SOA) assert.equal(f.originalTtl, set[0]!.ttl, `${where}: original TTL = RRset TTL`);
    assert.equal(sig.ttl, set[0]!.ttl, `${where}: RRSIG TTL = RRset TTL`);
    assert.ok(f.labels <= labelCount(sig.name), `${where}: Labels ${f.labels} > owner labels`);
    assert.ok(f.inception <= now && now <= f.expiration, `${where}: not valid now (${f.inception}..${f.expiration}, now ${now})`);
    const memo = verified === undefined ? undefined : [sig.name, sig.rdata.toString('hex'), ...set.map((r) => r.rdata.toString('hex')).sort()].join('|');
    const key =
      (memo === undefined ? undefined : verified!.get(memo)) ??
      keys.find((dk) => verifyRrsigIndependently({ rrsig: sig.rdata, owner: sig.name, type: f.typeCovered, rdatas: set.map((r) => r.rdata), dnskey: dk, now }));
    if (memo !== undefined && key !== undefined) verified!.set(memo, key);
    assert.ok(key !== undefined, `${where}: does not verify with @noble/curves under any DNSKEY`);
    if (f.typeCovered === DNSKEY) assert.equal(key.readUInt16BE(0) & 1, 1, `${where}: DNSKEY RRset signed by a key without SEP`);
    signatures++;
    covered.add(k);
  }
  for (const k of sets.keys()) assert.ok(covered.has(k), `RRset ${k} has no RRSIG`);
  return { signatures, rrsets: sets.size };
}
