/**
 * EDNS(0) and truncation against a real server (RFC 6891 §6.1.1–§6.2.5, RFC 3225, RFC 1035
 * §4.2.1, RFC 2181 §9, RFC 4035 §3.1.1): OPT in the answer iff the query had one, whatever the
 * rcode; 1232 advertised; BADVERS (extended rcode 16, header rcode 0, OPT version 0) for version
 * 1; more than one OPT → FORMERR; DO echoed and RRSIGs only with DO; payload sizes under 512
 * count as 512; TC=1 for a DO=1 answer that exceeds the requester's UDP size, and the same query
 * over TCP gives the whole answer. A name with many TLSA records is added through the store so
 * an answer exceeds 1232 octets too.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RC, T, useServer, independentDecode, ZONE } from '../helpers/conformance-fixture.js';
import { dig, kdig } from '../helpers/dns-tools.js';
import { buildQuery, optWire, questionWire, readMessage, recordsOf, tcpExchange, udpExchange } from '../helpers/raw-dns.js';

const BIG = 'big._device.example.net.';
const BIG_COUNT = 24;

function tlsaSha512(): Buffer {
  return Buffer.concat([Buffer.from([3, 1, 2]), randomBytes(64)]);
}

describe('conformance: RFC 6891 EDNS(0) and truncation', function () {
  this.timeout(15_000);
  const s = useServer();
  const port = (): number => s.t.dnsPort;

  before(() => {
    s.t.store.applyChanges(ZONE, [{ op: 'put', owner: BIG, rrsets: [{ type: T.TLSA, ttl: 60, rdatas: Array.from({ length: BIG_COUNT }, tlsaSha512) }] }]);
  });

  describe('OPT present iff the query had one (RFC 6891 §6.1.1)', () => {
    const cases: [string, Parameters<typeof buildQuery>[0], number][] = [
      ['positive', { qname: 'sensor1._device.example.net', qtype: T.TLSA }, RC.NOERROR],
      ['NODATA', { qname: 'sensor1._device.example.net', qtype: T.A }, RC.NOERROR],
      ['NXDOMAIN', { qname: 'x.sensor1._device.example.net', qtype: T.TLSA }, RC.NXDOMAIN],
      ['REFUSED', { qname: 'example.org', qtype: T.SOA }, RC.REFUSED],
      ['FORMERR (QDCOUNT 2)', { qname: 'sensor1._device.example.net', qtype: T.TLSA, qdcount: 2 }, RC.FORMERR],
      ['FORMERR (NXNAME)', { qname: 'sensor1._device.example.net', qtype: T.NXNAME }, RC.FORMERR],
      ['NOTIMP', { qname: ZONE, qtype: T.SOA, opcode: 2 }, RC.NOTIMP],
    ];
    for (const [label, q, rcode] of cases) {
      it(`${label}: no OPT without EDNS`, async () => {
        const m = readMessage(await udpExchange(port(), buildQuery({ ...q, edns: null })));
        assert.equal(m.rcode, rcode);
        assert.equal(m.opt, undefined);
      });
      it(`${label}: OPT (version 0, 1232) with EDNS`, async () => {
        const raw = await udpExchange(port(), buildQuery({ ...q, edns: { udpSize: 4096 } }));
        const m = readMessage(raw);
        assert.equal(m.rcode, rcode);
        assert.ok(m.opt !== undefined, 'response lacks OPT');
        assert.equal(m.opt.version, 0);
        assert.equal(m.opt.extRcode, 0);
        assert.equal(m.opt.udpSize, 1232, 'advertised payload size (DNS Flag Day 2020)');
        const optRecords = independentDecode(raw).additionals?.filter((r) => r.type === 'OPT') ?? [];
        assert.equal(optRecords.length, 1, 'exactly one OPT');
      });
    }
  });

  describe('BADVERS (RFC 6891 §6.1.3)', () => {
    for (const version of [1, 2, 255]) {
      it(`EDNS version ${version} → extended rcode BADVERS(16), header rcode 0, OPT version 0`, async () => {
        const raw = await udpExchange(port(), buildQuery({ qname: 'sensor1._device.example.net', qtype: T.TLSA, edns: { version, do: true } }));
        const m = readMessage(raw);
        assert.equal(m.rcode, 0, 'header rcode holds the low 4 bits of 16');
        assert.ok(m.opt !== undefined);
        assert.equal(m.opt.extRcode, 1, 'upper 8 bits of the 12-bit rcode: 16 >> 4');
        assert.equal(m.opt.version, 0, 'the highest version we implement');
        assert.equal(m.records.length, 0, 'no answer data');
        const opt = independentDecode(raw).additionals?.find((r) => r.type === 'OPT') as { extendedRcode?: number; ednsVersion?: number } | undefined;
        assert.equal(opt?.extendedRcode, 1);
        assert.equal(opt?.ednsVersion, 0);
      });
    }

    it('kdig +edns=1 prints BADVERS', async () => {
      const out = await kdig(s.t, ['+edns=1', 'sensor1._device.example.net.', 'TLSA']);
      assert.match(out, /BADVERS/);
    });
  });

  describe('OPT handling', () => {
    it('two OPT records → FORMERR (RFC 6891 §6.1.1), with an OPT in the answer', async () => {
      const q = buildQuery({ qname: 'sensor1._device.example.net', qtype: T.TLSA, edns: {} });
      q.writeUInt16BE(2, 10);
      const m = readMessage(await udpExchange(port(), Buffer.concat([q, optWire()])));
      assert.equal(m.rcode, RC.FORMERR);
    });

    it('an unknown EDNS option is ignored (RFC 6891 §6.1.2)', async () => {
      const q = buildQuery({ qname: 'sensor1._device.example.net', qtype: T.TLSA, edns: { do: true } });
      const opt = q.subarray(q.length - 11);
      const option = Buffer.from([0xfd, 0xe9, 0, 3, 1, 2, 3]); // code 65001 (local use), 3 octets
      opt.writeUInt16BE(option.length, 9);
      const m = readMessage(await udpExchange(port(), Buffer.concat([q, option])));
      assert.equal(m.rcode, RC.NOERROR);
      assert.equal(recordsOf(m, T.TLSA).length, 1);
    });

    it('unknown EDNS flag bits are not echoed (RFC 6891 §6.1.4: must be zero in responses)', async () => {
      const q = buildQuery({ qname: 'sensor1._device.example.net', qtype: T.TLSA, edns: { do: true } });
      const ttlAt = q.length - 11 + 5;
      q.writeUInt32BE(q.readUInt32BE(ttlAt) | 0x0001 | 0x0100, ttlAt); // two Z bits, not CO (0x4000, RFC 9824)
      const raw = await udpExchange(port(), q);
      const m = readMessage(raw);
      assert.equal(m.rcode, RC.NOERROR);
      const opt = independentDecode(raw).additionals?.find((r) => r.type === 'OPT') as { flags?: number } | undefined;
      assert.equal(opt?.flags, 0x8000, `OPT flags 0x${(opt?.flags ?? 0).toString(16)}: only DO may be set`);
    });

    it('DO=1 is echoed and RRSIGs are added (RFC 3225 §3)', async () => {
      const m = readMessage(await udpExchange(port(), buildQuery({ qname: 'sensor1._device.example.net', qtype: T.TLSA, edns: { do: true } })));
      assert.equal(m.opt?.do, true);
      assert.equal(recordsOf(m, T.RRSIG, 'answer').length, 1);
    });

    it('DO=0 gets no DNSSEC records at all', async () => {
      for (const [qname, qtype] of [
        ['sensor1._device.example.net', T.TLSA],
        ['sensor1._device.example.net', T.A],
        ['x.sensor1._device.example.net', T.TLSA],
        ['wild._device.example.net', T.TLSA],
      ] as const) {
        const m = readMessage(await udpExchange(port(), buildQuery({ qname, qtype, edns: { do: false } })));
        assert.equal(m.opt?.do, false);
        assert.deepEqual(m.records.filter((r) => r.type === T.RRSIG || r.type === T.NSEC3), [], `${qname} ${qtype}`);
      }
    });
  });

  describe('UDP size and TC=1 (RFC 1035 §4.2.1, RFC 6891 §6.2.5, RFC 4035 §3.1.1)', () => {
    async function udpAndTcp(qname: string, qtype: number, udpSize: number | null): Promise<{ udp: Buffer; tcp: Buffer }> {
      const q = buildQuery({ id: 0x5151, qname, qtype, edns: udpSize === null ? null : { udpSize, do: true } });
      const udp = await udpExchange(port(), q);
      const [tcp] = await tcpExchange(port(), [q]);
      return { udp, tcp: tcp! };
    }

    it('NXDOMAIN with DO=1 (3 NSEC3 + SOA, > 512 octets) at bufsize 512: TC=1 and fits 512; TCP gives it all', async () => {
      const { udp, tcp } = await udpAndTcp('x.sensor2._device.example.net', T.TLSA, 512);
      const full = readMessage(tcp);
      assert.ok(tcp.length > 512, `the full answer is ${tcp.length} octets; test premise needs > 512`);
      assert.equal(full.tc, false);
      assert.equal(full.rcode, RC.NXDOMAIN);
      assert.equal(recordsOf(full, T.NSEC3).length, 3);
      const m = readMessage(udp);
      assert.ok(udp.length <= 512, `UDP answer is ${udp.length} octets`);
      assert.equal(m.tc, true);
      assert.equal(m.id, 0x5151);
      assert.deepEqual(m.question, questionWire('x.sensor2._device.example.net', T.TLSA));
      assert.equal(independentDecode(udp).flag_tc, true);
    });

    it('no RRSIG is silently dropped: a TC=1 answer never holds an RRset without its RRSIG', async () => {
      const m = readMessage((await udpAndTcp('x.sensor2._device.example.net', T.TLSA, 512)).udp);
      const rrsets = new Set(m.records.filter((r) => r.type !== T.RRSIG).map((r) => `${r.name}/${r.type}`));
      const covered = new Set(recordsOf(m, T.RRSIG).map((r) => `${r.name}/${r.rdata.readUInt16BE(0)}`));
      for (const k of rrsets) assert.ok(covered.has(k), `${k} sent without its RRSIG`);
    });

    it('a payload size under 512 counts as 512 (RFC 6891 §6.2.5): a 200-octet answer is not truncated at bufsize 100', async () => {
      const { udp } = await udpAndTcp('sensor2._device.example.net', T.TLSA, 100);
      assert.ok(udp.length <= 512 && udp.length > 100, `answer is ${udp.length} octets`);
      assert.equal(readMessage(udp).tc, false);
    });

    it(`${BIG_COUNT} TLSA records with DO=1 (> 1232 octets): TC=1 at bufsize 4096 (our 1232 limit), TCP gives all`, async () => {
      const { udp, tcp } = await udpAndTcp(BIG, T.TLSA, 4096);
      assert.ok(tcp.length > 1232, `full answer ${tcp.length} octets`);
      const full = readMessage(tcp);
      assert.equal(recordsOf(full, T.TLSA, 'answer').length, BIG_COUNT);
      assert.equal(recordsOf(full, T.RRSIG, 'answer').length, 1);
      assert.ok(udp.length <= 1232, `UDP answer ${udp.length} octets`);
      assert.equal(readMessage(udp).tc, true);
    });

    it('without EDNS the limit is 512 octets (RFC 1035 §4.2.1)', async () => {
      const { udp, tcp } = await udpAndTcp(BIG, T.TLSA, null);
      assert.ok(tcp.length > 512);
      assert.ok(udp.length <= 512);
      const m = readMessage(udp);
      assert.equal(m.tc, true);
      assert.equal(m.opt, undefined);
    });

    it('a truncated answer keeps AA and the rcode', async () => {
      const m = readMessage((await udpAndTcp(BIG, T.TLSA, 512)).udp);
      assert.equal(m.tc, true);
      assert.equal(m.aa, true);
      assert.equal(m.rcode, RC.NOERROR);
      assert.equal(m.opt?.do, true);
    });

    it('dig +bufsize=512 +dnssec retries over TCP and gets every record', async () => {
      const out = await dig(s.t, ['+bufsize=512', '+dnssec', '+norec', BIG, 'TLSA']);
      assert.match(out, /Truncated, retrying in TCP mode/);
      assert.match(out, /status: NOERROR/);
      assert.equal(out.split('\n').filter((l) => /\sIN\s+TLSA\s/.test(l)).length, BIG_COUNT);
      assert.match(out, /\(TCP\)/);
    });

    it('kdig +bufsize=512 +dnssec +ignore sees TC', async () => {
      const out = await kdig(s.t, ['+bufsize=512', '+dnssec', '+ignore', 'x.sensor2._device.example.net.', 'TLSA']);
      assert.match(out, /;; Flags: qr aa tc/);
    });
  });
});
