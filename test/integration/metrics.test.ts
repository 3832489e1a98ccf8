/**
 * /metrics scraped as Prometheus would, in single-process mode and with two DNS workers: every
 * documented family is present exactly once (cluster mode merges the workers' metrics instead of
 * concatenating them), and the counters move with real DNS and API traffic.
 */
import { strict as assert } from 'node:assert';
import { runTool, startTestServer, type TestServer } from '../helpers/server-fixture.js';

const FAMILIES = [
  'idzone_dns_queries_total',
  'idzone_dns_answer_duration_seconds',
  'idzone_answer_cache_hits_total',
  'idzone_answer_cache_misses_total',
  'idzone_answer_cache_evictions_total',
  'idzone_dnssec_signatures_total',
  'idzone_signature_cache_hits_total',
  'idzone_signature_cache_misses_total',
  'idzone_signature_cache_evictions_total',
  'idzone_api_requests_total',
  'idzone_dns_rate_limited_total',
  'idzone_api_zone_names',
  'idzone_api_zone_records',
  'idzone_dns_tcp_connections',
  'idzone_dns_tcp_accepted_total',
  'idzone_dns_tcp_refused_total',
  'idzone_dns_tcp_closed_total',
];

for (const workers of [1, 2]) {
  describe(`/metrics (${workers} DNS process${workers > 1 ? 'es' : ''})`, function () {
    this.timeout(30_000);
    let t: TestServer;
    before(async () => {
      // One DNS process signs denials on a signing thread, two sign them inline: both count.
      t = await startTestServer({ workers, signingThreads: workers === 1 ? 1 : 0 });
    });
    after(async () => t?.stop());

    it('exposes every family once, with DNS, signing and API activity counted', async () => {
      for (let i = 0; i < 10; i++) await runTool('kdig', ['@127.0.0.1', '-p', String(t.dnsPort), `nx${i}.sensor1._device.example.net`, 'TLSA', '+dnssec']);
      await runTool('kdig', ['@127.0.0.1', '-p', String(t.dnsPort), '+tcp', 'sensor1._device.example.net', 'TLSA']);
      await fetch(`${t.apiUrl}/api/v1/zones`, { headers: { Authorization: `Bearer ${t.adminToken}` } });
      const put = await fetch(`${t.apiUrl}/api/v1/zones/_device.example.net./names/metered`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${t.adminToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ sshfp: [{ algorithm: 4, type: 2, fingerprint: 'cd'.repeat(32) }] }),
      });
      assert.equal(put.status, 201);
      const text = await (await fetch(`${t.apiUrl}/metrics`)).text();
      for (const f of FAMILIES) {
        const help = text.split('\n').filter((l) => l.startsWith(`# HELP ${f} `));
        assert.equal(help.length, 1, `${f}: ${help.length} HELP lines`);
      }
      const nx = /idzone_dns_queries_total\{transport="udp",qtype="TLSA",rcode="NXDOMAIN"\} (\d+)/.exec(text);
      assert.ok(nx !== null && Number(nx[1]) >= 10, 'NXDOMAIN answers over UDP are counted');
      assert.match(text, /idzone_dns_queries_total\{transport="tcp",qtype="TLSA",rcode="NOERROR"\} [1-9]/);
      assert.match(text, /\nidzone_dns_tcp_accepted_total [1-9]/, 'the kdig +tcp connection is counted');
      const q = /idzone_dnssec_signatures_total\{when="query"\} (\d+)/.exec(text);
      assert.ok(q !== null && Number(q[1]) >= 10, 'each random NXDOMAIN made a fresh NSEC3 cover signature');
      assert.match(text, /idzone_dnssec_signatures_total\{when="write"\} [1-9]/);
      const names = Number(/idzone_api_zone_names\{zone="_device\.example\.net\."\} (\d+)/.exec(text)?.[1]);
      const records = Number(/idzone_api_zone_records\{zone="_device\.example\.net\."\} (\d+)/.exec(text)?.[1]);
      assert.ok(names >= 6 && records >= names, `names ${names}, records ${records}`);
    });
  });
}
