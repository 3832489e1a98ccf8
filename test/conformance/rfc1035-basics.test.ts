/**
 * RFC 1035 basics against a real server, over sockets only: AA on every authoritative answer
 * (§4.1.1: positive, NODATA, NXDOMAIN), the question echoed byte for byte with 0x20 mixed case
 * (§4.1.1, RFC 4343), REFUSED without AA outside served zones (RFC 8906 practice), FORMERR for
 * QDCOUNT ≠ 1 and malformed names (§4.1.2, §4.1.4), NOTIMP for opcodes STATUS(2) and UPDATE(5)
 * (RFC 8906 §3.1.4), header bits (QR set, RD copied, RA clear, ID kept). kdig checks the same as a
 * user would see it; raw queries check the bytes, cross-decoded with dns-packet.
 */
import assert from 'node:assert/strict';
import { randomName, RC, T, useServer, independentDecode, ZONE } from '../helpers/conformance-fixture.js';
import { kdig, kdigJson } from '../helpers/dns-tools.js';
import { buildQuery, questionWire, readMessage, recordsOf, tcpExchange, udpExchange, udpNoAnswer } from '../helpers/raw-dns.js';

describe('conformance: RFC 1035 basics', function () {
  this.timeout(15_000);
  const s = useServer();
  const port = (): number => s.t.dnsPort;

  describe('AA on authoritative answers (kdig, RFC 1035 §4.1.1)', () => {
    it('positive TLSA answer has AA, NOERROR and the TLSA record', async () => {
      const m = await kdigJson(s.t, ['sensor1._device.example.net.', 'TLSA']);
      assert.equal(m.RCODE, 0);
      assert.equal(m.AA, 1);
      assert.equal(m.QR, 1);
      const tlsa = (m.answerRRs ?? []).filter((r) => r.TYPE === T.TLSA);
      assert.equal(tlsa.length, 1);
      assert.equal(tlsa[0]!.NAME, 'sensor1._device.example.net.');
    });

    it('NODATA (type A at a device) has AA, NOERROR, no answer, the SOA in authority', async () => {
      const m = await kdigJson(s.t, ['sensor1._device.example.net.', 'A']);
      assert.equal(m.RCODE, 0);
      assert.equal(m.AA, 1);
      assert.equal((m.answerRRs ?? []).length, 0);
      const soa = (m.authorityRRs ?? []).filter((r) => r.TYPE === T.SOA);
      assert.equal(soa.length, 1);
      assert.equal(soa[0]!.NAME, ZONE);
    });

    it('NXDOMAIN for a random name below a device has AA and the SOA', async () => {
      const m = await kdigJson(s.t, [randomName('x.').replace('._device', '.sensor2._device'), 'TLSA']);
      assert.equal(m.RCODE, 3);
      assert.equal(m.AA, 1);
      assert.equal((m.authorityRRs ?? []).filter((r) => r.TYPE === T.SOA).length, 1);
    });

    it('the same answers come over TCP (RFC 7766 §5)', async () => {
      const m = await kdigJson(s.t, ['+tcp', 'camera7._device.example.net.', 'SSHFP']);
      assert.equal(m.RCODE, 0);
      assert.equal(m.AA, 1);
      assert.equal((m.answerRRs ?? []).filter((r) => r.TYPE === T.SSHFP).length, 2);
    });

    it('kdig text output shows "aa" in the flags', async () => {
      const out = await kdig(s.t, ['gw1.site7._device.example.net.', 'TLSA']);
      assert.match(out, /status: NOERROR/);
      assert.match(out, /;; Flags: qr aa/);
    });
  });

  describe('AA with raw queries, cross-checked with dns-packet', () => {
    const cases: [string, string, number, number][] = [
      ['positive', 'sensor2._device.example.net', T.TLSA, RC.NOERROR],
      ['NODATA', 'sensor2._device.example.net', T.SSHFP, RC.NOERROR],
      ['NXDOMAIN', 'nope.camera7._device.example.net', T.TLSA, RC.NXDOMAIN],
      ['apex SOA', '_device.example.net', T.SOA, RC.NOERROR],
    ];
    for (const [label, qname, qtype, rcode] of cases) {
      for (const edns of [false, true]) {
        it(`${label} ${edns ? 'with' : 'without'} EDNS: AA=1, rcode ${rcode}`, async () => {
          const q = buildQuery({ id: 0xbeef, qname, qtype, rd: true, edns: edns ? { do: false } : null });
          const raw = await udpExchange(port(), q);
          const m = readMessage(raw);
          assert.equal(m.id, 0xbeef);
          assert.equal(m.qr, true);
          assert.equal(m.aa, true);
          assert.equal(m.rcode, rcode);
          assert.equal(m.rd, true, 'RD copied from the query (RFC 1035 §4.1.1)');
          const p = independentDecode(raw);
          assert.equal(p.flag_aa, true);
          assert.equal(p.flag_ra, false, 'an authoritative-only server does not offer recursion');
          assert.equal(p.flag_tc, false);
          assert.equal(p.rcode, ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN'][rcode]);
        });
      }
    }

    it('RD=0 in the query gives RD=0 in the answer', async () => {
      const m = readMessage(await udpExchange(port(), buildQuery({ qname: 'sensor1._device.example.net', qtype: T.TLSA, rd: false })));
      assert.equal(m.rd, false);
      assert.equal(m.aa, true);
    });
  });

  describe('header bits', () => {
    for (const [label, qname, qtype] of [
      ['positive', 'sensor1._device.example.net', T.TLSA],
      ['NXDOMAIN', 'cd.sensor1._device.example.net', T.TLSA],
      ['REFUSED', 'example.org', T.SOA],
    ] as const) {
      it(`CD is copied into the answer, fresh and cached (RFC 4035 §3.1.6): ${label}`, async () => {
        for (const cd of [true, false, true]) {
          const m = readMessage(await udpExchange(port(), buildQuery({ qname, qtype, cd, edns: { do: true } })));
          assert.equal(m.cd, cd);
        }
      });
    }

    it('a message with QR=1 (a response) is not answered (no reflection loops)', async () => {
      const q = buildQuery({ qname: 'sensor1._device.example.net', qtype: T.TLSA });
      q[2] = q[2]! | 0x80;
      assert.equal(await udpNoAnswer(port(), q, 400), true);
    });

    it('NOTIFY (opcode 4) for the zone gets an answer with opcode 4, never a drop', async () => {
      const m = readMessage(await udpExchange(port(), buildQuery({ opcode: 4, qname: ZONE, qtype: T.SOA })));
      assert.equal(m.opcode, 4);
      assert.equal(m.qr, true);
      assert.equal(m.rcode, RC.REFUSED, 'the primary takes no NOTIFY for its own zone');
      const other = readMessage(await udpExchange(port(), buildQuery({ opcode: 4, qname: 'example.org.', qtype: T.SOA })));
      assert.equal(other.opcode, 4);
      assert.equal(other.rcode, 9, 'NOTAUTH for a zone not served');
    });

    it('AXFR and IXFR over UDP and TCP are refused (or NOTIMP), never answered with data', async () => {
      for (const qtype of [252, 251]) {
        const q = buildQuery({ qname: ZONE, qtype });
        for (const raw of [await udpExchange(port(), q), (await tcpExchange(port(), [q]))[0]!]) {
          const m = readMessage(raw);
          assert.ok(m.rcode === RC.REFUSED || m.rcode === RC.NOTIMP, `qtype ${qtype}: rcode ${m.rcode}`);
          assert.equal(m.records.length, 0);
        }
      }
    });

    it('AXFR and IXFR of a zone not served: NOTAUTH (RFC 5936 §2.2.1)', async () => {
      for (const qtype of [252, 251]) {
        for (const qname of ['example.org.', `sensor1.${ZONE}`]) {
          const m = readMessage((await tcpExchange(port(), [buildQuery({ qname, qtype })]))[0]!);
          assert.equal(m.rcode, 9, `${qname} qtype ${qtype}`);
          assert.equal(m.records.length, 0);
        }
      }
    });

    it('class CH (version.bind) is answered with an error (REFUSED or NOTIMP), not dropped', async () => {
      const m = readMessage(await udpExchange(port(), buildQuery({ qname: 'version.bind', qtype: T.TXT, qclass: 3 })));
      assert.ok(m.rcode === RC.REFUSED || m.rcode === RC.NOTIMP, `rcode ${m.rcode}`);
      assert.equal(m.records.length, 0);
    });

    it('class CH inside the served zone is not answered with IN data', async () => {
      const m = readMessage(await udpExchange(port(), buildQuery({ qname: 'sensor1._device.example.net', qtype: T.TLSA, qclass: 3 })));
      assert.notEqual(m.rcode, RC.NOERROR);
      assert.equal(m.records.length, 0);
    });
  });

  describe('question echoed byte for byte (0x20, RFC 1035 §4.1.1, RFC 4343)', () => {
    const names: [string, number][] = [
      ['SeNsOr1._DeViCe.ExAmPlE.nEt', T.TLSA],
      ['sEnSoR1._dEvIcE.eXaMpLe.NeT', T.TLSA], // second casing: served from the answer cache
      ['CAMERA7._DEVICE.EXAMPLE.NET', T.SSHFP],
      ['SeNsOr1._DeViCe.ExAmPlE.nEt', T.A], // NODATA
      ['NoPe.SeNsOr2._DeViCe.ExAmPlE.nEt', T.TLSA], // NXDOMAIN
      ['WiLdCaRdEd._DeViCe.ExAmPlE.nEt', T.TLSA], // wildcard expansion
      ['WwW.ExAmPlE.OrG', T.A], // REFUSED
    ];
    for (const [qname, qtype] of names) {
      for (const transport of ['udp', 'tcp'] as const) {
        it(`${qname} ${qtype} over ${transport}`, async () => {
          const q = buildQuery({ id: 7, qname, qtype, edns: { do: true } });
          const raw = transport === 'udp' ? await udpExchange(port(), q) : (await tcpExchange(port(), [q]))[0]!;
          const m = readMessage(raw);
          assert.equal(m.qdcount, 1);
          assert.deepEqual(m.question, questionWire(qname, qtype), 'question section differs from the query');
        });
      }
    }

    it('answer owner names follow the question case or are case-insensitively equal', async () => {
      const m = readMessage(await udpExchange(port(), buildQuery({ qname: 'SENSOR1._device.example.net', qtype: T.TLSA })));
      const tlsa = recordsOf(m, T.TLSA, 'answer');
      assert.equal(tlsa.length, 1);
      assert.equal(tlsa[0]!.name, 'sensor1._device.example.net.');
    });
  });

  describe('REFUSED outside served zones', () => {
    const outside: [string, number][] = [
      ['www.example.org', T.A],
      ['example.org', T.SOA],
      ['.', T.NS],
      ['.', T.SOA],
      ['example.net', T.SOA], // the parent of the served zone
      ['net', T.NS],
    ];
    for (const [qname, qtype] of outside) {
      it(`${qname} ${qtype} → REFUSED, AA=0`, async () => {
        const raw = await udpExchange(port(), buildQuery({ qname, qtype, edns: { do: true } }));
        const m = readMessage(raw);
        assert.equal(m.rcode, RC.REFUSED);
        assert.equal(m.aa, false, 'REFUSED is not an authoritative answer');
        assert.equal(m.records.length, 0);
        assert.equal(independentDecode(raw).rcode, 'REFUSED');
      });
    }

    it('kdig example.org → status REFUSED', async () => {
      const out = await kdig(s.t, ['www.example.org.', 'A']);
      assert.match(out, /status: REFUSED/);
      assert.doesNotMatch(out, /;; Flags: [^;\n]*\baa\b/);
    });
  });

  describe('FORMERR for malformed queries (RFC 1035 §4.1.2)', () => {
    const header = (qd: number, an = 0, ns = 0, ar = 0): Buffer => {
      const h = Buffer.alloc(12);
      h.writeUInt16BE(0x4242, 0);
      h.writeUInt16BE(0x0100, 2);
      h.writeUInt16BE(qd, 4);
      h.writeUInt16BE(an, 6);
      h.writeUInt16BE(ns, 8);
      h.writeUInt16BE(ar, 10);
      return h;
    };
    const tail = Buffer.from([0, 52, 0, 1]);

    async function expectFormerr(msg: Buffer): Promise<void> {
      const raw = await udpExchange(port(), msg);
      const m = readMessage(raw);
      assert.equal(m.id, 0x4242);
      assert.equal(m.qr, true);
      assert.equal(m.rcode, RC.FORMERR);
      assert.equal(m.aa, false);
      assert.equal(m.records.length, 0);
    }

    it('QDCOUNT 0', async () => {
      await expectFormerr(header(0));
    });

    it('QDCOUNT 2 (two copies of a valid question)', async () => {
      await expectFormerr(buildQuery({ id: 0x4242, qname: 'sensor1._device.example.net', qtype: T.TLSA, qdcount: 2, rd: true }));
    });

    it('QDCOUNT 2 has no question echoed (RFC 1035 §4.1.2)', async () => {
      const m = readMessage(await udpExchange(port(), buildQuery({ qname: 'sensor1._device.example.net', qtype: T.TLSA, qdcount: 2 })));
      assert.equal(m.rcode, RC.FORMERR);
      assert.ok(m.qdcount === 0 || m.qdcount === 1);
    });

    it('a label length running past the end of the message', async () => {
      await expectFormerr(Buffer.concat([header(1), Buffer.from([7, 0x61, 0x62])]));
    });

    it('a question with no type/class after the name', async () => {
      await expectFormerr(Buffer.concat([header(1), Buffer.from('\x07sensor1\x00', 'latin1')]));
    });

    it('a compression pointer to itself (loop)', async () => {
      await expectFormerr(Buffer.concat([header(1), Buffer.from([0xc0, 12]), tail]));
    });

    it('a forward compression pointer', async () => {
      await expectFormerr(Buffer.concat([header(1), Buffer.from([0xc0, 18]), tail, Buffer.from([1, 0x61, 0])]));
    });

    it('a two-pointer loop', async () => {
      // offset 12: label "a" then pointer to 16; offset 16: pointer to 12.
      await expectFormerr(Buffer.concat([header(1), Buffer.from([1, 0x61, 0xc0, 16, 0xc0, 12]), tail]));
    });

    it('the reserved label type 0x40 (RFC 6891 §5 deprecates extended labels)', async () => {
      await expectFormerr(Buffer.concat([header(1), Buffer.from([0x41, 0x61, 0]), tail]));
    });

    it('a name longer than 255 octets', async () => {
      const label = Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)]);
      await expectFormerr(Buffer.concat([header(1), label, label, label, label, Buffer.from([0]), tail]));
    });

    it('ANCOUNT 65535 with nothing behind it', async () => {
      await expectFormerr(Buffer.concat([header(1, 0xffff), questionWire('sensor1._device.example.net', T.TLSA)]));
    });

    it('the server still answers after all that', async () => {
      const m = readMessage(await udpExchange(port(), buildQuery({ qname: 'sensor1._device.example.net', qtype: T.TLSA })));
      assert.equal(m.rcode, RC.NOERROR);
      assert.equal(recordsOf(m, T.TLSA).length, 1);
    });
  });

  describe('NOTIMP for opcodes other than QUERY (RFC 8906 §3.1.4)', () => {
    for (const opcode of [1, 2, 3, 5, 6, 15]) {
      for (const edns of [false, true]) {
        it(`opcode ${opcode} ${edns ? 'with' : 'without'} EDNS → NOTIMP, opcode echoed`, async () => {
          const raw = await udpExchange(port(), buildQuery({ id: 99, opcode, qname: ZONE, qtype: T.SOA, edns: edns ? {} : null }));
          const m = readMessage(raw);
          assert.equal(m.rcode, RC.NOTIMP);
          assert.equal(m.opcode, opcode);
          assert.equal(m.id, 99);
          assert.equal(m.aa, false);
          assert.equal(m.opt !== undefined, edns, 'OPT present iff the query had one (RFC 6891 §6.1.1)');
        });
      }
    }

    it('UPDATE (opcode 5): dns-packet reads NOTIMP', async () => {
      const raw = await udpExchange(port(), buildQuery({ opcode: 5, qname: ZONE, qtype: T.SOA }));
      assert.equal(independentDecode(raw).rcode, 'NOTIMP');
    });
  });
});
