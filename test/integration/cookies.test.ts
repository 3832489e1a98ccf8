/**
 * DNS cookies against the real server (RFC 7873, RFC 9018): dig and kdig get their client cookie
 * back with a server cookie dig calls "good"; a returned server cookie stays good; every client
 * gets its own cookie on a cached answer; a malformed COOKIE is FORMERR; a valid server cookie
 * exempts a client from response rate limiting, at any of two DNS workers (one shared secret);
 * `--dns-cookies off` ignores the option.
 */
import { strict as assert } from 'node:assert';
import dgram from 'node:dgram';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { RRL_DEFAULTS } from '../../server/query/rate-limit.js';
import { buildQuery, randomLabel, readMessage, tcpExchange, udpExchange, type RawMessage } from '../helpers/raw-dns.js';
import { runTool, startTestServer, type TestServer } from '../helpers/server-fixture.js';

const ZONE = '_device.example.net.';

/** A DO=1 query for `qname` TLSA carrying COOKIE option data `cookie`. */
function cookieQuery(id: number, qname: string, cookie: Buffer): Buffer {
  const base = buildQuery({ id, qname, qtype: 52, edns: { udpSize: 1232, do: true } });
  const option = Buffer.alloc(4 + cookie.length);
  option.writeUInt16BE(10, 0);
  option.writeUInt16BE(cookie.length, 2);
  cookie.copy(option, 4);
  const out = Buffer.concat([base, option]);
  // The OPT is the last record: its RDLENGTH is the message's last two bytes before the option.
  out.writeUInt16BE(option.length, base.length - 2);
  return out;
}

function cookieOf(m: RawMessage): Buffer | undefined {
  const rdata = m.opt?.rdata;
  if (rdata === undefined) return undefined;
  for (let i = 0; i + 4 <= rdata.length; ) {
    const code = rdata.readUInt16BE(i);
    const len = rdata.readUInt16BE(i + 2);
    if (code === 10) return rdata.subarray(i + 4, i + 4 + len);
    i += 4 + len;
  }
  return undefined;
}

/** Sends all `msgs` over one UDP socket at once; counts the answers that come within `ms`. */
async function burst(port: number, msgs: Buffer[], ms = 3000): Promise<RawMessage[]> {
  const s = dgram.createSocket('udp4');
  const got: RawMessage[] = [];
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    s.on('message', (m) => {
      got.push(readMessage(m));
      if (got.length === msgs.length) {
        clearTimeout(timer);
        resolve();
      }
    });
    for (const m of msgs) s.send(m, port, '127.0.0.1');
  });
  s.close();
  return got;
}

for (const workers of [1, 2]) {
  describe(`DNS cookies (real server, ${workers} DNS process${workers > 1 ? 'es' : ''})`, function () {
    this.timeout(60_000);
    let t: TestServer;
    before(async () => {
      t = await startTestServer({ workers, signingThreads: 0, rrl: { ...RRL_DEFAULTS, rate: 1, slip: 0 } }, { zone: 'demo' });
    });
    after(async () => t?.stop());

    it('keeps its secret in <data-dir>/cookie.secret, mode 0600', () => {
      assert.equal(statSync(join(t.dataDir, 'cookie.secret')).mode & 0o777, 0o600);
    });

    it('dig and kdig get a server cookie that dig calls good, and a returned one stays good', async () => {
      const name = `cookie-${randomLabel(6)}.${ZONE}`;
      const first = await runTool('dig', ['@127.0.0.1', '-p', String(t.dnsPort), '+tcp', '+cookie', name, 'TLSA']);
      const m = /COOKIE: ([0-9a-f]{48}) \(good\)/.exec(first);
      assert.ok(m !== null, first);
      const again = await runTool('dig', ['@127.0.0.1', '-p', String(t.dnsPort), '+tcp', `+cookie=${m[1]}`, name, 'TLSA']);
      assert.match(again, /COOKIE: [0-9a-f]{48} \(good\)/, again);
      const kdig = await runTool('kdig', ['@127.0.0.1', '-p', String(t.dnsPort), '+tcp', '+cookie', name, 'TLSA']);
      assert.match(kdig, /COOKIE: [0-9A-Fa-f]{48}/, kdig);
    });

    it('gives each client its own cookie, also on a cached answer', async () => {
      const name = `sensor1.${ZONE}`;
      // Over TCP (never rate-limited), one after another: the third and later come from the cache.
      for (let i = 0; i < 5; i++) {
        const client = Buffer.alloc(8, 0x10 + i);
        const [raw] = await tcpExchange(t.dnsPort, [cookieQuery(100 + i, name, client)]);
        const m = readMessage(raw!);
        assert.equal(m.rcode, 0);
        const c = cookieOf(m);
        assert.ok(c !== undefined && c.length === 24, `client ${i}: ${c?.toString('hex')}`);
        assert.deepEqual(c.subarray(0, 8), client, `client ${i} gets its own client cookie back`);
      }
    });

    it('answers a malformed COOKIE option with FORMERR (and an OPT), within the error rate limit', async () => {
      const m = readMessage(await udpExchange(t.dnsPort, cookieQuery(7, `sensor1.${ZONE}`, Buffer.alloc(9, 1))));
      assert.equal(m.rcode, 1);
      assert.ok(m.opt !== undefined);
      const flood = await burst(t.dnsPort, Array.from({ length: 30 }, (_, i) => cookieQuery(400 + i, `sensor1.${ZONE}`, Buffer.alloc(5, 1))), 1000);
      assert.ok(flood.length <= 4, `malformed-cookie FORMERRs are rate-limited like any error: ${flood.length} of 30 answered`);
    });

    it('teaches a server cookie to a query with no question (RFC 7873 §5.4), and cookies error answers too', async () => {
      const out = await runTool('dig', ['@127.0.0.1', '-p', String(t.dnsPort), '+tcp', '+cookie', '+header-only']);
      assert.match(out, /status: NOERROR/, out);
      assert.match(out, /COOKIE: [0-9a-f]{48} \(good\)/, out);
      // UPDATE (opcode 5) is NOTIMP, with the client's cookie.
      const q = cookieQuery(9, ZONE, Buffer.alloc(8, 0x33));
      q.writeUInt16BE((5 << 11) | (q.readUInt16BE(2) & 0x87ff), 2);
      const [raw] = await tcpExchange(t.dnsPort, [q]);
      const m = readMessage(raw!);
      assert.equal(m.rcode, 4);
      assert.deepEqual(cookieOf(m)?.subarray(0, 8), Buffer.alloc(8, 0x33));
    });

    it('lets a client with a valid server cookie past the rate limit; others are limited', async () => {
      const client = Buffer.from('c0c0c0c0c0c0c0c0', 'hex');
      const firstAnswer = readMessage(await udpExchange(t.dnsPort, cookieQuery(1, `sensor2.${ZONE}`, client)));
      const full = cookieOf(firstAnswer)!;
      assert.equal(full.length, 24);
      const names = Array.from({ length: 20 }, () => `${randomLabel(10)}.${ZONE}`);
      const proven = await burst(t.dnsPort, names.map((n, i) => cookieQuery(200 + i, n, full)));
      assert.equal(proven.length, 20, 'every NXDOMAIN answered to the proven client');
      assert.ok(proven.every((m) => m.rcode === 3));
      const plain = await burst(t.dnsPort, names.map((n, i) => cookieQuery(300 + i, n, client)), 1500);
      assert.ok(plain.length <= 3, `a client cookie alone proves nothing: ${plain.length} of 20 answered`);
    });
  });
}

describe('DNS cookies switched off', function () {
  this.timeout(30_000);
  it('ignores the COOKIE option with --dns-cookies off', async () => {
    const t = await startTestServer({ dnsCookies: false }, { zone: 'demo' });
    try {
      const m = readMessage(await udpExchange(t.dnsPort, cookieQuery(5, `sensor1.${ZONE}`, Buffer.alloc(8, 2))));
      assert.equal(m.rcode, 0);
      assert.equal(cookieOf(m), undefined);
      const bad = readMessage(await udpExchange(t.dnsPort, cookieQuery(6, `sensor1.${ZONE}`, Buffer.alloc(9, 2))));
      assert.equal(bad.rcode, 0, 'not judged either');
    } finally {
      await t.stop();
    }
  });
});
