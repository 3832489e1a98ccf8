/**
 * Response rate limiting against the real server (server/query/rate-limit.ts): a burst of random
 * NXDOMAIN DO=1 queries from one client gets `rate` answers, the rest dropped or slipped (TC=1),
 * and the dropped ones cost no signature; TCP is never limited; real clients (dig, kdig, delv)
 * that get a slip retry over TCP and still validate; /metrics counts what was held back.
 */
import { strict as assert } from 'node:assert';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RRL_DEFAULTS } from '../../server/query/rate-limit.js';
import { buildQuery, randomLabel, readMessage, tcpExchange } from '../helpers/raw-dns.js';
import { delv, runTool, startTestServer, writeTrustAnchor, type TestServer } from '../helpers/server-fixture.js';

const ZONE = '_device.example.net.';
const TLSA = 52;

interface BurstResult {
  answered: number;
  truncated: number;
  nxdomain: number;
}

/**
 * Sends `n` random-name TLSA DO=1 queries over UDP at once and collects answers for `waitMs`, or
 * until all came, or until `done` (asked every 50 ms) says the burst is settled.
 */
async function udpBurst(port: number, n: number, waitMs = 400, done?: (r: BurstResult) => Promise<boolean>): Promise<BurstResult> {
  const s = dgram.createSocket('udp4');
  const r: BurstResult = { answered: 0, truncated: 0, nxdomain: 0 };
  let all: () => void = () => undefined;
  s.on('message', (m) => {
    r.answered++;
    if (r.answered === n) all();
    if ((m[2]! & 0x02) !== 0) r.truncated++;
    if (readMessage(m).rcode === 3) r.nxdomain++;
  });
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  for (let i = 0; i < n; i++) s.send(buildQuery({ id: i + 1, qname: `${randomLabel(10)}.${ZONE}`, qtype: TLSA, edns: { udpSize: 1232, do: true } }), port, '127.0.0.1');
  await new Promise<void>((resolve) => {
    let poll: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve();
    };
    const timer = setTimeout(finish, waitMs);
    all = finish;
    if (done !== undefined) poll = setInterval(() => void done(r).then((settled) => settled && finish(), () => undefined), 50);
  });
  s.close();
  return r;
}

async function metric(t: TestServer, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${t.apiUrl}/metrics`)).text();
  const m = pattern.exec(text);
  return m === null ? 0 : Number(m[1]);
}

describe('response rate limiting (real server)', function () {
  this.timeout(60_000);

  describe('rate 5, slip 2', () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({ signingThreads: 0, rrl: { ...RRL_DEFAULTS, rate: 5, slip: 2 } }, { zone: 'demo' });
    });
    after(async () => t?.stop());

    it('answers about `rate` random NXDOMAINs of a burst, slips half the rest and signs only what it sends', async () => {
      const signedBefore = await metric(t, /idzone_dnssec_signatures_total\{when="query"\} (\d+)/);
      // Collect until every query was answered, slipped or dropped (dropped ones per /metrics),
      // however slowly a loaded machine signs the few denials it sends.
      const r = await udpBurst(t.dnsPort, 60, 10_000, async (got) => got.answered + (await metric(t, /idzone_dns_rate_limited_total\{class="nxdomain",action="dropped"\} (\d+)/)) >= 60);
      const full = r.answered - r.truncated;
      // 5 tokens, plus at most a few refilled while the burst was sent.
      assert.ok(full >= 5 && full <= 8, `full answers: ${JSON.stringify(r)}`);
      assert.equal(r.nxdomain, full, 'the full answers are the NXDOMAINs; slips carry no rcode');
      assert.ok(Math.abs(r.truncated - (60 - full) / 2) <= 1, `every second limited answer is slipped: ${JSON.stringify(r)}`);
      const signed = (await metric(t, /idzone_dnssec_signatures_total\{when="query"\} (\d+)/)) - signedBefore;
      // One fresh NSEC3 cover per denial sent, plus the first denial's SOA, apex NSEC3 and wildcard
      // cover, which later ones take from the signature cache.
      assert.ok(signed <= full + 3, `signatures made: ${signed} for ${full} denials sent (60 asked)`);
      const dropped = await metric(t, /idzone_dns_rate_limited_total\{class="nxdomain",action="dropped"\} (\d+)/);
      const slipped = await metric(t, /idzone_dns_rate_limited_total\{class="nxdomain",action="slipped"\} (\d+)/);
      assert.equal(slipped, r.truncated);
      assert.equal(dropped, 60 - r.answered);
    });

    it('never limits TCP, even right after the UDP bucket is drained', async () => {
      await udpBurst(t.dnsPort, 20, 50);
      const msgs = Array.from({ length: 30 }, (_, i) => buildQuery({ id: 100 + i, qname: `${randomLabel(10)}.${ZONE}`, qtype: TLSA, edns: { udpSize: 1232, do: true } }));
      const answers = await tcpExchange(t.dnsPort, msgs, 10_000);
      assert.equal(answers.length, 30);
      for (const a of answers) assert.equal(readMessage(a).rcode, 3);
    });

    it('keeps a positive answer its own bucket: a denial flood does not limit it', async () => {
      await udpBurst(t.dnsPort, 30, 50);
      const out = await runTool('dig', ['@127.0.0.1', '-p', String(t.dnsPort), '+ignore', '+tries=1', '+timeout=2', 'sensor1._device.example.net', 'TLSA', '+dnssec']);
      assert.match(out, /status: NOERROR/);
      assert.doesNotMatch(out, /flags:[^;]* tc/);
    });
  });

  describe('rate 1, slip 1 (every limited answer truncated)', () => {
    let t: TestServer;
    let anchorDir: string;
    let anchor: string;
    before(async () => {
      t = await startTestServer({ signingThreads: 0, rrl: { ...RRL_DEFAULTS, rate: 1, slip: 1 } }, { zone: 'demo' });
      anchorDir = mkdtempSync(join(tmpdir(), 'idzone-rrl-'));
      anchor = await writeTrustAnchor(t, ZONE, join(anchorDir, 'anchor.conf'));
    });
    after(async () => {
      await t?.stop();
      if (anchorDir !== undefined) rmSync(anchorDir, { recursive: true, force: true });
    });

    /**
     * Runs `probe` right after draining the zone's NXDOMAIN bucket (rate 1). On a machine so
     * loaded that a second passes between the burst and the probe's query, the bucket has a
     * token again and the probe gets a plain answer: then it is tried again (at most 5 times).
     */
    async function whileLimited(probe: () => Promise<string>, limited: (out: string) => boolean): Promise<string> {
      let out = '';
      for (let attempt = 0; attempt < 5; attempt++) {
        // With slip 1 every query of the burst gets a response (answer or slip), so the burst
        // ends as soon as the server has handled all of it.
        await udpBurst(t.dnsPort, 10, 5000);
        out = await probe();
        if (limited(out)) return out;
      }
      return out;
    }

    it('dig sees the slip (TC=1, no records) and, retrying over TCP, the real NXDOMAIN', async () => {
      const name = `${randomLabel(10)}.${ZONE}`;
      const dig = (...extra: string[]) => () => runTool('dig', ['@127.0.0.1', '-p', String(t.dnsPort), '+tries=1', '+timeout=2', ...extra, name, 'TLSA', '+dnssec']);
      const slipped = await whileLimited(dig('+ignore'), (out) => /flags: qr tc/.test(out));
      assert.match(slipped, /flags: qr tc/, slipped);
      assert.match(slipped, /ANSWER: 0, AUTHORITY: 0/);
      const retried = await whileLimited(dig(), (out) => /\(TCP\)/.test(out));
      assert.match(retried, /status: NXDOMAIN/);
      assert.match(retried, /\(TCP\)/, retried);
    });

    it('delv still says "fully validated" for a denial while its client prefix is limited', async () => {
      const slips = (): Promise<number> => metric(t, /idzone_dns_rate_limited_total\{class="nxdomain",action="slipped"\} (\d+)/);
      let before = 0;
      let slippedToDelv = false;
      const out = await whileLimited(
        async () => {
          before = await slips();
          const o = await delv(t, ZONE, anchor, `${randomLabel(10)}.${ZONE}`, 'TLSA');
          // The burst's own slips were all counted before `before` was read (see whileLimited).
          slippedToDelv = (await slips()) > before;
          return o;
        },
        () => slippedToDelv,
      );
      assert.ok(slippedToDelv, 'delv got a slip and retried over TCP');
      assert.match(out, /fully validated/);
      assert.match(out, /NXDOMAIN|does not exist/i);
    });
  });

  it('is off by default: a burst is answered in full', async () => {
    const t = await startTestServer({ signingThreads: 0 }, { zone: 'demo' });
    try {
      const r = await udpBurst(t.dnsPort, 40, 1500);
      assert.equal(r.answered, 40);
      assert.equal(r.truncated, 0);
    } finally {
      await t.stop();
    }
  });
});
