/**
 * ResponseWriter: what dns-packet decodes equals what was added; owner compression points into
 * the question and survives our own strict pointer rules; a refused record leaves a decodable
 * message; the reserved OPT always fits; extended rcodes go into the OPT TTL (RFC 6891 §6.1.3).
 */
import assert from 'node:assert/strict';
import * as dnsPacket from 'dns-packet';
import { decodeQuery } from '../../../server/wire/decode-query.js';
import type { ParsedQuery } from '../../../server/wire/decode-query.js';
import { ResponseWriter, Section } from '../../../server/wire/response-writer.js';
import { encodeRecordBlock } from '../../../server/wire/record-block.js';
import { encodeSoa } from '../../../server/wire/rdata-soa.js';
import { nameToWire } from '../../../core/names.js';
import { buildQuery, headerOf } from './query-builder.js';

function parsed(name: string, edns = false): ParsedQuery {
  const r = decodeQuery(buildQuery({ id: 777, name, rd: true, ...(edns ? { edns: { do: true } } : {}) }));
  assert.equal(r.kind, 'query');
  return (r as { query: ParsedQuery }).query;
}

const tlsa = (n: number): Buffer => Buffer.concat([Buffer.from([3, 1, 1]), Buffer.alloc(32, n)]);

/** Walks every name in the message checking each pointer targets the question (offset ≥ 12, backwards). */
function assertPointersIntoQuestion(msg: Buffer, questionEnd: number): number {
  let pointers = 0;
  // Reuse the strict decoder: clear QR and decode the response as a query.
  const asQuery = Buffer.from(msg);
  asQuery[2] = asQuery[2]! & 0x7f;
  asQuery[3] = asQuery[3]! & 0xf0;
  const r = decodeQuery(asQuery);
  assert.equal(r.kind, 'query', JSON.stringify(r));
  // Count owner pointers by walking records (RDATA is skipped, so its bytes are never mistaken for one).
  let pos = questionEnd;
  const [, an, ns, ar] = headerOf(msg).counts;
  for (let i = 0; i < an! + ns! + ar!; i++) {
    while (msg[pos] !== 0 && (msg[pos]! & 0xc0) !== 0xc0) pos += 1 + msg[pos]!;
    if (msg[pos] === 0) pos += 1;
    else {
      const target = msg.readUInt16BE(pos) - 0xc000;
      assert.ok(target >= 12 && target < questionEnd, `pointer to ${target}`);
      pointers++;
      pos += 2;
    }
    pos += 10 + msg.readUInt16BE(pos + 8);
  }
  assert.equal(pos, msg.length);
  return pointers;
}

describe('wire/ResponseWriter', () => {
  it('writes header, echoed question and records that dns-packet decodes identically', () => {
    const q = parsed('_443._TCP.Www.Example.COM');
    const w = new ResponseWriter();
    w.begin(q, { aa: true, rcode: 0 }, 65535);
    const soa = encodeSoa({ mname: 'ns1.example.com.', rname: 'hostmaster.example.com.', serial: 5, refresh: 3600, retry: 600, expire: 86400, minimum: 60 });
    assert.ok(w.addRecord(Section.ANSWER, '_443._tcp.www.example.com.', 52, 300, tlsa(1)));
    assert.ok(w.addRecord(Section.ANSWER, '_443._tcp.www.example.com.', 52, 300, tlsa(2)));
    assert.ok(w.addRecord(Section.AUTHORITY, 'example.com.', 6, 60, soa));
    assert.ok(w.addRecord(Section.ADDITIONAL, 'ns1.other.net.', 2, 60, nameToWire('ns.example.com.')));
    const msg = w.finish();
    const h = headerOf(msg);
    assert.deepEqual([h.id, h.qr, h.aa, h.rd, h.tc, h.rcode], [777, true, true, true, false, 0]);
    assert.deepEqual(h.counts, [1, 2, 1, 1]);
    assert.deepEqual(msg.subarray(12, 12 + q.question.length), q.question);
    const p = dnsPacket.decode(msg);
    assert.equal(p.questions?.[0]?.name, '_443._TCP.Www.Example.COM');
    const answers = p.answers as dnsPacket.TlsaAnswer[];
    assert.equal(answers.length, 2);
    assert.equal(answers[0]!.name.toLowerCase(), '_443._tcp.www.example.com');
    assert.equal(answers[0]!.ttl, 300);
    assert.deepEqual(answers[1]!.data.certificate, Buffer.alloc(32, 2));
    const auth = p.authorities?.[0] as dnsPacket.SoaAnswer;
    assert.equal(auth.name.toLowerCase(), 'example.com');
    assert.equal(auth.data.serial, 5);
    assert.equal(auth.data.rname, 'hostmaster.example.com');
    assert.equal(p.additionals?.[0]?.name, 'ns1.other.net');
    // Answer owners and the apex are compressed into the question; the unrelated owner is not.
    assert.equal(assertPointersIntoQuestion(msg, 12 + q.question.length), 3);
  });

  it('writes a suffix owner as leading labels plus a pointer', () => {
    const q = parsed('www.example.com');
    const w = new ResponseWriter();
    w.begin(q, { aa: true, rcode: 3 });
    assert.ok(w.addRecord(Section.AUTHORITY, 'abcdef.example.com.', 50, 60, Buffer.from([1, 0, 0, 0, 0, 20, ...Buffer.alloc(20), 0])));
    const msg = w.finish();
    const ownerAt = 12 + q.question.length;
    assert.deepEqual([...msg.subarray(ownerAt, ownerAt + 9)], [6, ...Buffer.from('abcdef'), 0xc0, 16]);
    assertPointersIntoQuestion(msg, ownerAt);
    assert.equal(headerOf(msg).rcode, 3);
  });

  it('copies RDATA verbatim: an RRSIG signer name stays uncompressed', () => {
    const q = parsed('example.com');
    const signer = nameToWire('example.com.');
    const rrsig = Buffer.concat([Buffer.from([0, 52, 13, 2, 0, 0, 1, 44, 0x66, 0, 0, 0, 0x65, 0, 0, 0, 0x12, 0x34]), signer, Buffer.alloc(64, 9)]);
    const w = new ResponseWriter();
    w.begin(q, { aa: true, rcode: 0 });
    assert.ok(w.addRecord(Section.ANSWER, 'example.com.', 46, 300, rrsig));
    const msg = w.finish();
    assert.ok(msg.includes(rrsig));
    const sig = dnsPacket.decode(msg).answers?.[0] as dnsPacket.RrsigAnswer;
    assert.equal(sig.data.signersName, 'example.com');
    assert.equal(sig.data.keyTag, 0x1234);
  });

  it('refuses a record past the limit without corrupting the message, and OPT still fits', () => {
    const q = parsed('_443._tcp.www.example.com', true);
    const w = new ResponseWriter();
    w.begin(q, { aa: true, rcode: 0 }, 512);
    assert.ok(w.addOpt({ udpSize: 1232, do: true }));
    let added = 0;
    while (w.addRecord(Section.ANSWER, '_443._tcp.www.example.com.', 52, 60, tlsa(added))) added++;
    assert.ok(added > 5 && added < 20);
    const before = w.size;
    assert.equal(w.addRecord(Section.ANSWER, 'x.example.com.', 52, 60, tlsa(0)), false);
    assert.equal(w.size, before);
    w.setTc();
    const msg = w.finish();
    assert.ok(msg.length <= 512);
    const h = headerOf(msg);
    assert.equal(h.tc, true);
    assert.deepEqual(h.counts, [1, added, 0, 1]);
    const p = dnsPacket.decode(msg);
    assert.equal(p.answers?.length, added);
    const opt = p.additionals?.[0] as dnsPacket.OptAnswer;
    assert.equal(opt.type, 'OPT');
    assert.equal(opt.udpPayloadSize, 1232);
    assert.equal(opt.flag_do, true);
  });

  it('an EDNS option added later must fit too', () => {
    const q = parsed('example.com', true);
    const w = new ResponseWriter();
    w.begin(q, { aa: false, rcode: 2 }, 512);
    assert.ok(w.addOpt({ udpSize: 1232, do: false }));
    while (w.addRecord(Section.ANSWER, 'example.com.', 52, 60, tlsa(1)));
    assert.equal(w.addEdnsOption({ code: 15, data: Buffer.alloc(100) }), false);
    assert.ok(w.finish().length <= 512);
  });

  it('puts the upper rcode bits in the OPT TTL (BADVERS = 16)', () => {
    const q = parsed('example.com', true);
    const w = new ResponseWriter();
    w.begin(q, { aa: false, rcode: 16 });
    w.addOpt({ udpSize: 1232, do: true, options: [{ code: 15, data: Buffer.from([0, 21]) }] });
    const msg = w.finish();
    assert.equal(headerOf(msg).rcode, 0);
    const opt = dnsPacket.decode(msg).additionals?.[0] as dnsPacket.OptAnswer;
    assert.equal(opt.extendedRcode, 1);
    assert.equal(opt.ednsVersion, 0);
    assert.equal((opt.options[0] as { code: number }).code, 15);
  });

  it('setRcode changes the header after begin', () => {
    const w = new ResponseWriter();
    w.begin(parsed('example.com'), { aa: true, rcode: 0 });
    w.setRcode(2);
    assert.equal(headerOf(w.finish()).rcode, 2);
  });

  it('insists on section order and returns independent copies', () => {
    const q = parsed('example.com');
    const w = new ResponseWriter();
    w.begin(q, { aa: true, rcode: 0 });
    w.addRecord(Section.AUTHORITY, 'example.com.', 52, 60, tlsa(1));
    assert.throws(() => w.addRecord(Section.ANSWER, 'example.com.', 52, 60, tlsa(1)), RangeError);
    const first = w.finish();
    const copy = Buffer.from(first);
    w.begin({ id: 1, opcode: 0, rd: false, cd: false }, { aa: false, rcode: 5 });
    w.finish();
    assert.deepEqual(first, copy);
  });

  it('writes a root owner and a response without question', () => {
    const w = new ResponseWriter(1024);
    w.begin({ id: 9, opcode: 0, rd: false, cd: false }, { aa: false, rcode: 0 });
    assert.ok(w.addRecord(Section.ANSWER, '.', 2, 60, nameToWire('a.root-servers.net.')));
    const p = dnsPacket.decode(w.finish());
    assert.equal(p.questions?.length, 0);
    assert.equal(p.answers?.[0]?.name, '.');
  });

  describe('record blocks (encoded once, copied into many answers)', () => {
    const apex = '_device.example.net.';
    // What a signed NXDOMAIN repeats: the apex SOA, NSEC3 owners below the apex, RRSIG-sized RDATA.
    const records = [
      { owner: apex, type: 6, ttl: 60, rdata: encodeSoa({ mname: 'ns1.example.net.', rname: 'hostmaster.example.net.', serial: 7, refresh: 1, retry: 2, expire: 3, minimum: 60 }) },
      { owner: apex, type: 46, ttl: 60, rdata: Buffer.alloc(90, 1) },
      { owner: `0123456789abcdefghijklmnopqrstuv.${apex}`, type: 50, ttl: 60, rdata: Buffer.alloc(40, 2) },
      { owner: `0123456789abcdefghijklmnopqrstuv.${apex}`, type: 46, ttl: 60, rdata: Buffer.alloc(90, 3) },
    ];
    const after = { owner: `vutsrqponmlkjihgfedcba9876543210.${apex}`, type: 50, ttl: 60, rdata: Buffer.alloc(40, 4) };

    function byRecords(q: ParsedQuery): Buffer {
      const w = new ResponseWriter();
      w.begin(q, { aa: true, rcode: 3 });
      w.addOpt({ udpSize: 1232, do: true });
      for (const r of records) assert.ok(w.addRecord(Section.AUTHORITY, r.owner, r.type, r.ttl, r.rdata));
      assert.ok(w.addRecord(Section.AUTHORITY, after.owner, after.type, after.ttl, after.rdata));
      return w.finish();
    }

    it('copies to the same bytes addRecord writes, for questions of any length and case', () => {
      const block = encodeRecordBlock(apex, records);
      assert.equal(block.count, records.length);
      for (const qname of ['x._device.example.net', 'A-Much-Longer-Label.Second._DEVICE.Example.NET', '_device.example.net', 'q.sensor1._Device.example.net']) {
        const q = parsed(qname, true);
        const w = new ResponseWriter();
        w.begin(q, { aa: true, rcode: 3 });
        w.addOpt({ udpSize: 1232, do: true });
        assert.ok(w.addBlock(Section.AUTHORITY, block));
        assert.ok(w.addRecord(Section.AUTHORITY, after.owner, after.type, after.ttl, after.rdata));
        const msg = w.finish();
        assert.deepEqual(msg, byRecords(q), qname);
        assert.equal(assertPointersIntoQuestion(msg, 12 + q.question.length), records.length + 1);
      }
    });

    it('refuses a question outside the apex, and a block that does not fit, changing nothing', () => {
      const block = encodeRecordBlock(apex, records);
      for (const qname of ['x._device.example.org', 'example.net', 'x._devicf.example.net']) {
        const w = new ResponseWriter();
        w.begin(parsed(qname), { aa: true, rcode: 3 });
        assert.equal(w.addBlock(Section.AUTHORITY, block), false, qname);
        assert.equal(headerOf(w.finish()).counts[2], 0);
      }
      const w = new ResponseWriter();
      w.begin(parsed('x._device.example.net'), { aa: true, rcode: 3 }, 100);
      const empty = w.finish();
      w.begin(parsed('x._device.example.net'), { aa: true, rcode: 3 }, 100);
      assert.equal(w.addBlock(Section.AUTHORITY, block), false);
      assert.deepEqual(w.finish(), empty);
    });

    it('keeps section order', () => {
      const w = new ResponseWriter();
      w.begin(parsed('x._device.example.net'), { aa: true, rcode: 3 });
      assert.ok(w.addBlock(Section.AUTHORITY, encodeRecordBlock(apex, records)));
      assert.throws(() => w.addBlock(Section.ANSWER, encodeRecordBlock(apex, records)), RangeError);
    });
  });
});
