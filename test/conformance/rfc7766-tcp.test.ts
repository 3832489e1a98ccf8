/**
 * DNS over TCP against a real server (RFC 7766): every query is served over TCP (§5); several
 * queries written at once on one connection are all answered and matched by ID (§6.2.1.1, §7);
 * a message split across writes, and two-byte length prefixes split from their message, are
 * reassembled (RFC 1035 §4.2.2); a connection whose length prefix promises more than it sends
 * harms nobody else.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { RC, T, useServer } from '../helpers/conformance-fixture.js';
import { kdigJson, runToolAsync } from '../helpers/dns-tools.js';
import { buildQuery, frame, questionWire, readMessage, recordsOf, tcpExchange, udpExchange } from '../helpers/raw-dns.js';

const QUESTIONS: [string, number, number][] = [
  ['sensor1._device.example.net', T.TLSA, RC.NOERROR],
  ['sensor1._device.example.net', T.SSHFP, RC.NOERROR],
  ['camera7._device.example.net', T.SSHFP, RC.NOERROR],
  ['sensor2._device.example.net', T.A, RC.NOERROR],
  ['x.sensor2._device.example.net', T.TLSA, RC.NXDOMAIN],
  ['wild._device.example.net', T.TLSA, RC.NOERROR],
  ['site7._device.example.net', T.TLSA, RC.NOERROR],
  ['_device.example.net', T.DNSKEY, RC.NOERROR],
  ['example.org', T.SOA, RC.REFUSED],
  ['_mqtt-client.sensor1._device.example.net', T.TLSA, RC.NOERROR],
];

/** Writes `chunks` one by one with a pause between, then collects `expect` framed answers. */
function tcpSlices(port: number, chunks: Buffer[], expect: number, ms = 3000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    let pending = Buffer.alloc(0);
    const sock = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`${out.length}/${expect} answers within ${ms} ms`));
    }, ms);
    sock.on('connect', () => {
      let i = 0;
      const next = (): void => {
        if (i >= chunks.length || sock.destroyed) return;
        sock.write(chunks[i++]!);
        setTimeout(next, 20);
      };
      next();
    });
    sock.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        out.push(Buffer.from(pending.subarray(2, 2 + pending.readUInt16BE(0))));
        pending = pending.subarray(2 + pending.readUInt16BE(0));
      }
      if (out.length >= expect) {
        clearTimeout(timer);
        sock.destroy();
        resolve(out);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

describe('conformance: RFC 7766 DNS over TCP', function () {
  this.timeout(15_000);
  const s = useServer();
  const port = (): number => s.t.dnsPort;

  it('kdig +tcp gets an authoritative answer', async () => {
    const m = await kdigJson(s.t, ['+tcp', '+dnssec', 'sensor1._device.example.net.', 'TLSA']);
    assert.equal(m.RCODE, 0);
    assert.equal(m.AA, 1);
    assert.equal((m.answerRRs ?? []).filter((r) => r.TYPE === T.TLSA).length, 1);
  });

  it('edns-tcp-keepalive (RFC 7828): dig +tcp +keepalive learns the idle timeout; over UDP the option is ignored', async () => {
    const tcp = await runToolAsync('dig', ['@127.0.0.1', '-p', String(s.t.dnsPort), '+tcp', '+keepalive', 'sensor1._device.example.net', 'TLSA']);
    assert.match(tcp, /TCP KEEPALIVE: 10\.0 secs/, tcp);
    const udp = await runToolAsync('dig', ['@127.0.0.1', '-p', String(s.t.dnsPort), '+notcp', '+ednsopt=11', 'sensor1._device.example.net', 'TLSA']);
    assert.match(udp, /status: NOERROR/);
    assert.doesNotMatch(udp, /KEEPALIVE/);
    const plain = await runToolAsync('dig', ['@127.0.0.1', '-p', String(s.t.dnsPort), '+tcp', 'sensor1._device.example.net', 'TLSA']);
    assert.doesNotMatch(plain, /KEEPALIVE/, 'only when offered');
  });

  it('pipelining: 10 queries in one write, all answered, each matched by ID to its question', async () => {
    const queries = QUESTIONS.map(([qname, qtype], i) => buildQuery({ id: 1000 + i, qname, qtype, edns: { do: true } }));
    const answers = (await tcpExchange(port(), queries)).map(readMessage);
    assert.equal(answers.length, QUESTIONS.length);
    const byId = new Map(answers.map((a) => [a.id, a]));
    assert.equal(byId.size, QUESTIONS.length, 'every ID answered exactly once');
    QUESTIONS.forEach(([qname, qtype, rcode], i) => {
      const a = byId.get(1000 + i);
      assert.ok(a !== undefined, `no answer for ID ${1000 + i}`);
      assert.deepEqual(a.question, questionWire(qname, qtype), `ID ${1000 + i} answered with another question`);
      assert.equal(a.rcode, rcode, `${qname} ${qtype}`);
    });
  });

  it('pipelining: 200 queries on one connection (same question, distinct IDs)', async () => {
    const queries = Array.from({ length: 200 }, (_, i) => buildQuery({ id: i, qname: 'camera7._device.example.net', qtype: T.SSHFP, edns: { do: true } }));
    const answers = (await tcpExchange(port(), queries, 5000)).map(readMessage);
    assert.deepEqual(
      answers.map((a) => a.id).sort((a, b) => a - b),
      Array.from({ length: 200 }, (_, i) => i),
    );
    for (const a of answers) assert.equal(recordsOf(a, T.SSHFP, 'answer').length, 2);
  });

  it('a message split across writes (length prefix alone, then the message in two parts) is answered', async () => {
    const q = frame(buildQuery({ id: 77, qname: 'sensor2._device.example.net', qtype: T.TLSA }));
    const [a] = await tcpSlices(port(), [q.subarray(0, 1), q.subarray(1, 2), q.subarray(2, 10), q.subarray(10)], 1);
    const m = readMessage(a!);
    assert.equal(m.id, 77);
    assert.equal(recordsOf(m, T.TLSA).length, 1);
  });

  it('two queries, the boundary inside the second write, both answered', async () => {
    const both = Buffer.concat([
      frame(buildQuery({ id: 1, qname: 'sensor1._device.example.net', qtype: T.TLSA })),
      frame(buildQuery({ id: 2, qname: 'sensor2._device.example.net', qtype: T.TLSA })),
    ]);
    const answers = (await tcpSlices(port(), [both.subarray(0, 20), both.subarray(20, both.length - 5), both.subarray(both.length - 5)], 2)).map(readMessage);
    assert.deepEqual(answers.map((a) => a.id).sort(), [1, 2]);
  });

  it('a length prefix larger than what follows hurts nobody: other clients are answered meanwhile', async () => {
    const sock = net.connect(port(), '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', () => resolve());
      sock.once('error', reject);
    });
    sock.on('error', () => undefined);
    sock.write(Buffer.concat([Buffer.from([0x10, 0x00]), buildQuery({ qname: 'sensor1._device.example.net', qtype: T.TLSA })]));
    try {
      const viaUdp = readMessage(await udpExchange(port(), buildQuery({ qname: 'sensor1._device.example.net', qtype: T.TLSA })));
      assert.equal(viaUdp.rcode, RC.NOERROR);
      const [viaTcp] = await tcpExchange(port(), [buildQuery({ qname: 'camera7._device.example.net', qtype: T.SSHFP })]);
      assert.equal(readMessage(viaTcp!).rcode, RC.NOERROR);
    } finally {
      sock.destroy();
    }
  });

  it('a FORMERR query on a pipelined connection does not stop the queries after it', async () => {
    const bad = Buffer.alloc(12);
    bad.writeUInt16BE(500, 0); // QDCOUNT 0
    const answers = (
      await tcpExchange(port(), [
        buildQuery({ id: 499, qname: 'sensor1._device.example.net', qtype: T.TLSA }),
        bad,
        buildQuery({ id: 501, qname: 'sensor2._device.example.net', qtype: T.TLSA }),
      ])
    ).map(readMessage);
    const byId = new Map(answers.map((a) => [a.id, a.rcode]));
    assert.equal(byId.get(499), RC.NOERROR);
    assert.equal(byId.get(500), RC.FORMERR);
    assert.equal(byId.get(501), RC.NOERROR);
  });
});
