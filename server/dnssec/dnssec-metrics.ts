/**
 * DNSSEC metrics on the injected registry: signatures made, by when they were made (at write time
 * beside the records, by the background re-signer, or at query time for what depends on the
 * question), the signature cache's hits, misses and evictions, and the signing threads' work.
 * Query-time signatures are the cache's misses (every miss signs once) plus what the signing
 * threads made.
 */
import { Gauge, type Registry } from 'prom-client';
import type { SignatureCache } from '../../signer/signature-cache.js';
import type { SigningPool } from '../../signer/signing-pool.js';
import { registerLabeledTotalCounter, registerTotalCounter } from '../total-counter.js';
import type { NodeSigner } from '../../zone-store/types.js';

export interface SignatureCounts {
  write: number;
  resign: number;
}

export function registerDnssecMetrics(registry: Registry, cache: SignatureCache, counts: SignatureCounts, pool?: SigningPool): void {
  registerLabeledTotalCounter(registry, 'idzone_dnssec_signatures_total', 'RRSIGs made, by when: write (beside stored records), resign (background refresh), query (question-dependent, e.g. NSEC3 covers)', 'when', () => ({
    write: counts.write,
    resign: counts.resign,
    query: cache.stats.misses + (pool?.stats.signed ?? 0),
  }));
  registerTotalCounter(registry, 'idzone_signature_cache_hits_total', 'Signatures served from the signature cache', () => cache.stats.hits);
  registerTotalCounter(registry, 'idzone_signature_cache_misses_total', 'Signature cache misses (each one signed)', () => cache.stats.misses);
  registerTotalCounter(registry, 'idzone_signature_cache_evictions_total', 'Signatures evicted to stay within the cache byte budget', () => cache.stats.evictions);
  if (pool !== undefined) {
    registerTotalCounter(registry, 'idzone_signing_thread_signatures_total', 'Question-dependent signatures made on signing threads', () => pool.stats.signed);
    registerTotalCounter(registry, 'idzone_signing_thread_refused_total', 'Signatures the signing threads could not take (full or down); made on the answering thread instead', () => pool.stats.refused);
    registerTotalCounter(registry, 'idzone_signing_thread_failures_total', 'Signing threads that died and were replaced', () => pool.stats.failures);
  }
  new Gauge({
    name: 'idzone_signature_cache_bytes',
    help: 'Bytes held by the signature cache',
    registers: [registry],
    collect() {
      this.set(cache.stats.bytes);
    },
  });
}

/** Wraps the store's signer hook to count write-time signatures. */
export function countingSigner(inner: NodeSigner, counts: SignatureCounts): NodeSigner {
  return {
    signNode(zone, owner, rrsets, descendants, previous) {
      const r = inner.signNode(zone, owner, rrsets, descendants, previous);
      for (const s of r.rrsetSigs) counts.write += s.length;
      counts.write += r.nsec3Sigs.length - (r.reused ?? 0);
      return r;
    },
  };
}
