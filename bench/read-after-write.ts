/**
 * Read-after-write through the API (issue "HTTP API", Deliver 4): for each of `count` names, PUT a
 * new TLSA record and, the moment the 2xx has arrived, query DNS (UDP, DO=1) until the answer holds
 * the new digest; then DELETE the name and query until NXDOMAIN. Records the time from the 2xx to
 * the reply that shows the change (so one DNS round trip at least), and how often the first query
 * already showed it — which is what the API promises. Each wait is bounded (2 s, 2,000 queries).
 */
import { percentiles } from './bench-report.js';
import type { ApiClient } from './api-client.js';
import { parseReplyHeader, QType, UdpDnsClient } from './dns-probe.js';
import { tlsaDigest } from './fleet-data.js';

export interface VisibilityStats {
  samples: number;
  writeFailures: number;
  firstQueryFresh: number;
  neverVisible: number;
  latencyMs: ReturnType<typeof percentiles>;
}

export interface RawReport {
  put: VisibilityStats;
  delete: VisibilityStats;
}

const WAIT_MS = 2000;
const MAX_QUERIES = 2000;
const RCODE_NXDOMAIN = 3;

class Tally {
  samples = 0;
  writeFailures = 0;
  firstQueryFresh = 0;
  neverVisible = 0;
  readonly latencies: number[] = [];

  stats(): VisibilityStats {
    return { samples: this.samples, writeFailures: this.writeFailures, firstQueryFresh: this.firstQueryFresh, neverVisible: this.neverVisible, latencyMs: percentiles(this.latencies) };
  }
}

export async function measureReadAfterWrite(api: ApiClient, dnsPort: number, zone: string, count: number): Promise<RawReport> {
  const dns = new UdpDnsClient(dnsPort);
  const put = new Tally();
  const del = new Tally();
  try {
    for (let k = 0; k < count; k++) {
      const label = `raw${k}`;
      const owner = `${label}.${zone}`;
      const path = `/api/v1/zones/${encodeURIComponent(zone)}/names/${label}`;
      const digest = tlsaDigest(k, 'raw');
      const wanted = Buffer.from(digest, 'hex');
      const p = await api.send('PUT', path, { ttl: 60, tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: digest }] });
      await observe(put, p.status, p.endedAt, () => dns.query(owner, QType.TLSA, { dnssecOk: true, timeoutMs: 500 }), (r) => parseReplyHeader(r)?.rcode === 0 && r.includes(wanted));
      const d = await api.send('DELETE', path);
      await observe(del, d.status, d.endedAt, () => dns.query(owner, QType.TLSA, { dnssecOk: true, timeoutMs: 500 }), (r) => parseReplyHeader(r)?.rcode === RCODE_NXDOMAIN);
    }
  } finally {
    dns.close();
  }
  return { put: put.stats(), delete: del.stats() };
}

async function observe(t: Tally, status: number, answeredAt: number, query: () => Promise<Buffer | undefined>, isFresh: (reply: Buffer) => boolean): Promise<void> {
  t.samples++;
  if (status < 200 || status >= 300) {
    t.writeFailures++;
    return;
  }
  const deadline = answeredAt + WAIT_MS;
  for (let q = 0; q < MAX_QUERIES && performance.now() < deadline; q++) {
    const reply = await query();
    if (reply !== undefined && isFresh(reply)) {
      t.latencies.push(performance.now() - answeredAt);
      if (q === 0) t.firstQueryFresh++;
      return;
    }
  }
  t.neverVisible++;
}
