/**
 * decodeQuery: well-formed queries (built by dns-packet), 0x20 echo, EDNS, and each FORMERR /
 * NOTIMP / BADVERS / drop rule of the staged decode (RFC 1035 §4.1, RFC 6891 §6.1).
 */
import assert from 'node:assert/strict';
import * as dnsPacket from 'dns-packet';
import { decodeQuery } from '../../../server/wire/decode-query.js';
import type { DecodeResult, ParsedQuery, QueryError } from '../../../server/wire/decode-query.js';
import { buildQuery, optRecord } from './query-builder.js';

function query(r: DecodeResult): ParsedQuery {
  assert.equal(r.kind, 'query', JSON.stringify(r));
  return (r as { query: ParsedQuery }).query;
}

function error(r: DecodeResult, rcode: number): QueryError {
  assert.equal(r.kind, 'error', JSON.stringify(r));
  const e = r as QueryError;
  assert.equal(e.rcode, rcode, e.reason);
  return e;
}

/** A raw message: header with the given counts, then the body bytes. */
function raw(counts: [number, number, number, number], body: number[], flags = 0x0100): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0xbeef, 0);
  h.writeUInt16BE(flags, 2);
  counts.forEach((c, i) => h.writeUInt16BE(c, 4 + 2 * i));
  return Buffer.concat([h, Buffer.from(body)]);
}

const EXAMPLE = [7, ...Buffer.from('example'), 3, ...Buffer.from('com'), 0];
const TLSA_IN = [0, 52, 0, 1];

describe('wire/decodeQuery', () => {
  describe('well-formed queries', () => {
    it('decodes header, question and size', () => {
      const msg = buildQuery({ id: 4242, name: '_443._tcp.www.example.com', rd: true, cd: true });
      const q = query(decodeQuery(msg));
      assert.equal(q.id, 4242);
      assert.equal(q.opcode, 0);
      assert.equal(q.rd, true);
      assert.equal(q.cd, true);
      assert.equal(q.qname, '_443._tcp.www.example.com.');
      assert.equal(q.qnameLabels, 5);
      assert.equal(q.qtype, 52);
      assert.equal(q.qclass, 1);
      assert.equal(q.messageSize, msg.length);
      assert.equal(q.edns, undefined);
      assert.equal(q.ixfrSerial, undefined);
    });

    it('keeps the 0x20 case in question and lowercases qname', () => {
      const msg = buildQuery({ name: 'WwW.ExAmPlE.CoM', type: 'SSHFP' });
      const q = query(decodeQuery(msg));
      assert.equal(q.qname, 'www.example.com.');
      assert.deepEqual(q.question, msg.subarray(12, msg.length));
      assert.equal(q.question.subarray(1, 4).toString(), 'WwW');
      assert.equal(q.qtype, 44);
    });

    it('decodes the root name', () => {
      const q = query(decodeQuery(buildQuery({ name: '.', type: 'SOA' })));
      assert.equal(q.qname, '.');
      assert.equal(q.qnameLabels, 0);
    });

    it('parses EDNS: payload size, version, DO and options', () => {
      const cookie = Buffer.from('0102030405060708', 'hex');
      const msg = buildQuery({ name: 'a.example', edns: { udpSize: 4096, do: true, options: [{ code: 10, data: cookie }] } });
      const q = query(decodeQuery(msg));
      assert.ok(q.edns);
      assert.equal(q.edns.udpSize, 4096);
      assert.equal(q.edns.version, 0);
      assert.equal(q.edns.do, true);
      assert.equal(q.edns.options.length, 1);
      assert.equal(q.edns.options[0]!.code, 10);
      assert.deepEqual(q.edns.options[0]!.data, cookie);
    });

    it('accepts NOTIFY (opcode 4)', () => {
      const q = query(decodeQuery(buildQuery({ name: 'example.com', type: 'SOA', opcode: 4 })));
      assert.equal(q.opcode, 4);
    });

    it('reads the SOA serial of an IXFR query, also with a compressed owner', () => {
      const soa: dnsPacket.Answer = {
        type: 'SOA',
        name: 'example.com',
        data: { mname: 'ns.example.com', rname: 'h.example.com', serial: 2024010101, refresh: 1, retry: 2, expire: 3, minimum: 4 },
      };
      const q = query(decodeQuery(buildQuery({ name: 'example.com', type: 'IXFR', authorities: [soa] })));
      assert.equal(q.ixfrSerial, 2024010101);
      // Owner as a pointer to the question name (offset 12), MNAME/RNAME as pointers too.
      const rdata = [0xc0, 12, 0xc0, 12, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4];
      const msg = raw([1, 0, 1, 0], [...EXAMPLE, 0, 251, 0, 1, 0xc0, 12, 0, 6, 0, 1, 0, 0, 0, 0, 0, rdata.length, ...rdata]);
      assert.equal(query(decodeQuery(msg)).ixfrSerial, 7);
    });

    it('accepts a backward pointer to an earlier label start', () => {
      // Additional record owned by "www" + pointer to "example.com" inside the question.
      const msg = raw([1, 0, 0, 1], [3, ...Buffer.from('www'), ...EXAMPLE, ...TLSA_IN, 0xc0, 16, 0, 16, 0, 1, 0, 0, 0, 0, 0, 0]);
      assert.equal(query(decodeQuery(msg)).qname, 'www.example.com.');
    });
  });

  describe('drops', () => {
    it('drops messages shorter than a header', () => {
      for (let n = 0; n < 12; n++) assert.equal(decodeQuery(Buffer.alloc(n)).kind, 'drop');
    });

    it('drops responses (QR=1)', () => {
      const msg = buildQuery({ name: 'example.com' });
      msg[2] = msg[2]! | 0x80;
      assert.equal(decodeQuery(msg).kind, 'drop');
    });
  });

  describe('FORMERR', () => {
    it('QDCOUNT 0 and 2', () => {
      const e0 = error(decodeQuery(raw([0, 0, 0, 0], [])), 1);
      assert.equal(e0.question, undefined);
      assert.equal(e0.id, 0xbeef);
      assert.equal(e0.rd, true);
      const e2 = error(decodeQuery(raw([2, 0, 0, 0], [...EXAMPLE, ...TLSA_IN, ...EXAMPLE, ...TLSA_IN])), 1);
      assert.equal(e2.question, undefined);
    });

    it('more than one OPT, with the first OPT kept for the reply', () => {
      const msg = dnsPacket.encode({
        type: 'query',
        id: 1,
        questions: [{ name: 'example.com', type: 'TLSA', class: 'IN' }],
        additionals: [optRecord({ do: true }), optRecord({})],
      });
      const e = error(decodeQuery(msg), 1);
      assert.equal(e.edns?.do, true);
      assert.ok(e.question);
    });

    it('OPT outside the additional section, or not at the root', () => {
      const opt = [0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0];
      error(decodeQuery(raw([1, 1, 0, 0], [...EXAMPLE, ...TLSA_IN, ...opt])), 1);
      const notRoot = [1, 0x61, 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0];
      error(decodeQuery(raw([1, 0, 0, 1], [...EXAMPLE, ...TLSA_IN, ...notRoot])), 1);
    });

    it('an EDNS option running past the OPT RDATA, keeping the OPT for the reply', () => {
      const opt = [0, 0, 41, 4, 0xd0, 0, 0, 0x80, 0, 0, 6, 0, 10, 0, 8, 1, 2];
      const e = error(decodeQuery(raw([1, 0, 0, 1], [...EXAMPLE, ...TLSA_IN, ...opt])), 1);
      assert.equal(e.edns?.do, true);
    });

    it('a label running past the end', () => {
      error(decodeQuery(raw([1, 0, 0, 0], [7, ...Buffer.from('exa')])), 1);
    });

    it('a question missing type and class', () => {
      error(decodeQuery(raw([1, 0, 0, 0], [...EXAMPLE, 0, 52])), 1);
    });

    it('a pointer loop, a forward pointer, a pointer into a label, a self pointer', () => {
      // Question then an answer owned by a name whose pointer chain loops back on itself.
      error(decodeQuery(raw([1, 0, 0, 0], [0xc0, 12, ...TLSA_IN])), 1);
      error(decodeQuery(raw([1, 0, 0, 0], [1, 0x61, 0xc0, 12, ...TLSA_IN])), 1);
      error(decodeQuery(raw([1, 0, 0, 0], [1, 0x61, 0xc0, 20, 0, ...TLSA_IN, 0])), 1);
      error(decodeQuery(raw([1, 0, 0, 1], [...EXAMPLE, ...TLSA_IN, 0xc0, 13, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])), 1);
      // Two names pointing at each other.
      error(decodeQuery(raw([1, 0, 0, 2], [...EXAMPLE, ...TLSA_IN, 1, 0x62, 0xc0, 34, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 29, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])), 1);
    });

    it('extended label types 0b01 and 0b10', () => {
      error(decodeQuery(raw([1, 0, 0, 0], [0x41, 0, ...TLSA_IN])), 1);
      error(decodeQuery(raw([1, 0, 0, 0], [0x81, 0, ...TLSA_IN])), 1);
    });

    it('a name longer than 255 octets', () => {
      const label = [63, ...Buffer.alloc(63, 0x61)];
      const ok = [...label, ...label, ...label, 61, ...Buffer.alloc(61, 0x61), 0];
      assert.equal(ok.length, 255);
      query(decodeQuery(raw([1, 0, 0, 0], [...ok, ...TLSA_IN])));
      const long = [...label, ...label, ...label, 62, ...Buffer.alloc(62, 0x61), 0];
      error(decodeQuery(raw([1, 0, 0, 0], [...long, ...TLSA_IN])), 1);
    });

    it('counts of 0xFFFF fail at once', () => {
      const started = process.hrtime.bigint();
      error(decodeQuery(raw([1, 0xffff, 0xffff, 0xffff], [...EXAMPLE, ...TLSA_IN])), 1);
      error(decodeQuery(raw([0xffff, 0, 0, 0], [...EXAMPLE, ...TLSA_IN])), 1);
      assert.ok(process.hrtime.bigint() - started < 50_000_000n);
    });

    it('a truncated record and RDATA past the end, echoing the parsed question', () => {
      const e = error(decodeQuery(raw([1, 0, 0, 1], [...EXAMPLE, ...TLSA_IN, 0, 0, 1, 0])), 1);
      assert.ok(e.question);
      error(decodeQuery(raw([1, 0, 0, 1], [...EXAMPLE, ...TLSA_IN, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 9, 1])), 1);
    });

    it('a malformed SOA in an IXFR authority section', () => {
      const rdata = [0, 0, 0, 0, 0, 7];
      error(decodeQuery(raw([1, 0, 1, 0], [...EXAMPLE, 0, 251, 0, 1, 0xc0, 12, 0, 6, 0, 1, 0, 0, 0, 0, 0, rdata.length, ...rdata])), 1);
    });
  });

  describe('NOTIMP and BADVERS', () => {
    it('opcodes other than QUERY and NOTIFY are NOTIMP, echoing the question and OPT', () => {
      for (const opcode of [1, 2, 3, 5, 6, 15]) {
        const e = error(decodeQuery(buildQuery({ name: 'example.com', opcode, edns: {} })), 4);
        assert.equal(e.opcode, opcode);
        assert.ok(e.question);
        assert.ok(e.edns);
      }
    });

    it('a malformed body with an unknown opcode is still NOTIMP', () => {
      error(decodeQuery(raw([1, 0, 0, 0], [9, 1], 5 << 11)), 4);
    });

    it('EDNS version 1 is BADVERS with the OPT kept', () => {
      const e = error(decodeQuery(buildQuery({ name: 'example.com', edns: { version: 1, do: true } })), 16);
      assert.equal(e.edns?.version, 1);
      assert.ok(e.question);
    });
  });
});
