/**
 * The assembled server under hostile input (issue 2, "Bad input"): seeded random datagrams and
 * mutations of real queries (truncations, bit flips, label lengths past the end, pointer loops,
 * forward pointers, QDCOUNT 0 and 2, huge counts, several OPTs) over UDP, and garbage streams,
 * oversized length prefixes and half messages over TCP. The server must answer FORMERR or drop,
 * never crash, keep answering real queries correctly, and keep its memory bounded.
 */
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { startTestServer, type TestServer } from '../helpers/server-fixture.js';
import { seededRandom } from '../helpers/seeded-random.js';

const prng = seededRandom;

const BASES = [
  dnsPacket.encode({ type: 'query', id: 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'TLSA', name: 'sensor1._device.example.net' }] }),
  dnsPacket.encode({ type: 'query', id: 2, questions: [{ type: 'A', name: 'x.y._device.example.net' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: dnsPacket.DNSSEC_OK, flag_do: true, options: [] }] }),
];

function hostile(rand: () => number, i: number): Buffer {
  const base = Buffer.from(BASES[i % BASES.length]!);
  switch (i % 8) {
    case 0:
      return Buffer.from(Array.from({ length: Math.floor(rand() * 600) }, () => Math.floor(rand() * 256)));
    case 1:
      return base.subarray(0, Math.floor(rand() * base.length));
    case 2: {
      const b = Buffer.from(base);
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) b[Math.floor(rand() * b.length)]! ^= 1 << Math.floor(rand() * 8);
      return b;
    }
    case 3: {
      const b = Buffer.from(base);
      b[12] = 63; // first label claims 63 octets
      return b;
    }
    case 4: {
      const b = Buffer.from(base);
      b.writeUInt16BE(0xc00c, 12); // question name points at itself: a loop
      return b;
    }
    case 5: {
      const b = Buffer.from(base);
      b.writeUInt16BE(0xc000 | (b.length - 2), 12); // forward pointer
      return b;
    }
    case 6: {
      const b = Buffer.from(base);
      b.writeUInt16BE(rand() < 0.5 ? 0 : 2, 4); // QDCOUNT 0 or 2
      return b;
    }
    default: {
      const b = Buffer.from(base);
      b.writeUInt16BE(0xffff, 6 + 2 * Math.floor(rand() * 3)); // huge counts
      return b;
    }
  }
}

/** dns-packet decodes the rcode name but its typings omit it. */
function rcodeOf(d: dnsPacket.Packet): string {
  return String((d as { rcode?: string }).rcode);
}

function udpQuery(port: number, msg: Buffer, timeoutMs = 2000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, timeoutMs);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m);
    });
    s.send(msg, port, '127.0.0.1');
  });
}

async function stillAnswers(t: TestServer): Promise<void> {
  const res = await udpQuery(t.dnsPort, BASES[0]!);
  assert.ok(res !== undefined, 'no answer to a real query');
  const d = dnsPacket.decode(res);
  assert.equal(rcodeOf(d), 'NOERROR');
  assert.equal(d.answers?.[0]?.type, 'TLSA');
}

describe('fuzz: the running server under hostile input', function () {
  this.timeout(120_000);
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => t?.stop());

  it('answers FORMERR or drops 20,000 hostile datagrams and keeps answering real queries', async () => {
    const rand = prng(0x5eed);
    const sock = createSocket('udp4');
    const answers: Buffer[] = [];
    sock.on('message', (m) => answers.push(m));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const rss0 = process.memoryUsage().rss;
    for (let i = 0; i < 20_000; i++) {
      sock.send(hostile(rand, i), t.dnsPort, '127.0.0.1');
      if (i % 500 === 499) await new Promise((r) => setTimeout(r, 5)); // bounded send rate
    }
    await new Promise((r) => setTimeout(r, 300));
    sock.close();
    for (const a of answers) {
      const d = dnsPacket.decode(a); // every answer is itself well-formed
      assert.ok(['FORMERR', 'NOERROR', 'NXDOMAIN', 'REFUSED', 'NOTIMP', 'NOTAUTH', 'BADVERS', 'SERVFAIL'].includes(rcodeOf(d)), rcodeOf(d));
      assert.notEqual(rcodeOf(d), 'SERVFAIL', 'a hostile message caused an internal error');
    }
    assert.ok(answers.length > 1000, `some hostile datagrams were answered (${answers.length})`);
    await stillAnswers(t);
    const grown = (process.memoryUsage().rss - rss0) / 1e6;
    assert.ok(grown < 100, `RSS grew ${grown.toFixed(1)} MB`);
  });

  it('survives garbage streams, oversized length prefixes and half messages over TCP', async () => {
    const rand = prng(0xbad);
    const conns = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        new Promise<void>((resolve) => {
          const c = connect(t.dnsPort, '127.0.0.1', () => {
            if (i % 3 === 0) c.write(Buffer.from(Array.from({ length: 2000 }, () => Math.floor(rand() * 256))));
            else if (i % 3 === 1) c.write(Buffer.from([0xff, 0xff, 1, 2, 3])); // promises 65535, sends 3
            else {
              const q = BASES[0]!;
              const framed = Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]);
              c.write(framed.subarray(0, framed.length - 4)); // half a message
            }
            setTimeout(() => c.destroy(), 200);
          });
          c.on('error', () => undefined);
          c.on('close', () => resolve());
        }),
      ),
    );
    assert.equal(conns.length, 50);
    await stillAnswers(t);
    const tcp = await new Promise<Buffer>((resolve, reject) => {
      const q = BASES[0]!;
      const c = connect(t.dnsPort, '127.0.0.1', () => c.write(Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q])));
      let buf = Buffer.alloc(0);
      c.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          c.destroy();
          resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        }
      });
      c.on('error', reject);
      setTimeout(() => reject(new Error('no TCP answer')), 3000);
    });
    assert.equal(dnsPacket.decode(tcp).answers?.[0]?.type, 'TLSA');
  });
});
