/**
 * The answer plan: what a response must contain, decided by the pipeline stages and encoded in
 * one place. Records carry canonical owner names and wire RDATA; RRSIGs follow the RRset they
 * cover, as RFC 4035 §3.1.1 asks, so a truncation that drops them drops the whole answer.
 */
import { RrType } from '../../core/rr-types.js';

export interface PlanRecord {
  owner: string;
  type: number;
  ttl: number;
  rdata: Buffer;
}

/**
 * How a finished answer may be cached: 'name' answers depend only on the question name's own node
 * (invalidated when that name changes); 'zone' answers depend on other names (closest encloser,
 * wildcard, absence) and are dropped on any change in the zone; 'none' is never cached.
 */
export type CacheScope = 'name' | 'zone' | 'none';

export interface AnswerPlan {
  rcode: number;
  aa: boolean;
  answer: PlanRecord[];
  authority: PlanRecord[];
  additional: PlanRecord[];
  /** Extended DNS Error (RFC 8914) to attach when the query had EDNS. */
  ede?: { code: number; text: string };
  cacheScope: CacheScope;
  zone?: string;
}

export function emptyPlan(rcode: number, aa: boolean): AnswerPlan {
  return { rcode, aa, answer: [], authority: [], additional: [], cacheScope: 'none' };
}

/** The earliest expiration (seconds, RFC 4034 §3.1.5) of the RRSIGs among `sections`; Infinity without any. */
export function firstSignatureExpiration(...sections: (readonly PlanRecord[])[]): number {
  let first = Infinity;
  for (const records of sections) {
    for (const r of records) if (r.type === RrType.RRSIG && r.rdata.length >= 12) first = Math.min(first, r.rdata.readUInt32BE(8));
  }
  return first;
}
