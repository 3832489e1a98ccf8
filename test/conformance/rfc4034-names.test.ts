/**
 * Names with unusual octets against a real server (RFC 1035 §3.1, RFC 2181 §11, RFC 4343 §2,
 * RFC 4034 §6.2, RFC 5155 §5): labels holding a dot, a backslash, a space, NUL, non-ASCII octets
 * and upper-case ASCII. Only A–Z are case-folded (RFC 4343 §3), never octets above 0x7F; a label
 * holding `.` is one label. Checked: the question is echoed byte for byte, the next-closer NSEC3
 * cover is H(canonical wire of the real next closer) ± 1 (so a mis-split or mis-folded name
 * shows), wildcard expansions keep the qname's octets as owner, and long names (close to 255
 * octets, many labels) get complete proofs.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { RC, T, useServer, ZONE } from '../helpers/conformance-fixture.js';
import { covers, hashAdd, ownerHash, parseNsec3 } from '../helpers/nsec3-oracle.js';
import { readMessage, recordsOf, rrsigFields, udpExchange, type RawMessage } from '../helpers/raw-dns.js';
import { fetchDnskeys, verifyResponse } from '../helpers/verify-response.js';

const ZONE_LABELS = ['_device', 'example', 'net'].map((l) => Buffer.from(l));

function wire(labels: readonly Buffer[]): Buffer {
  return Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])]);
}

/** RFC 4034 §6.2: only US-ASCII upper-case letters are lowered. */
function canonical(labels: readonly Buffer[]): Buffer[] {
  return labels.map((l) => Buffer.from(l.map((b) => (b >= 0x41 && b <= 0x5a ? b + 32 : b))));
}

function hashWire(labels: readonly Buffer[]): Buffer {
  return createHash('sha1').update(wire(canonical(labels))).digest();
}

function query(labels: readonly Buffer[], qtype: number, id = 0x0d0d): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(1, 10);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(qtype, 0);
  tail.writeUInt16BE(1, 2);
  const opt = Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0]); // 1232, DO=1
  return Buffer.concat([h, wire(labels), tail, opt]);
}

function questionOf(q: Buffer): Buffer {
  return q.subarray(12, q.length - 11);
}

/** The raw owner name octets of the first answer record (uncompressed or a pointer to the question). */
function firstAnswerOwnerWire(msg: Buffer): Buffer {
  let p = 12;
  while (msg[p] !== 0) p += 1 + msg[p]!;
  p += 5;
  if ((msg[p]! & 0xc0) === 0xc0) {
    const target = ((msg[p]! & 0x3f) << 8) | msg[p + 1]!;
    let e = target;
    while (msg[e] !== 0 && (msg[e]! & 0xc0) !== 0xc0) e += 1 + msg[e]!;
    return msg.subarray(target, e + 1);
  }
  let e = p;
  while (msg[e] !== 0 && (msg[e]! & 0xc0) !== 0xc0) e += 1 + msg[e]!;
  return msg.subarray(p, e + 1);
}

const ODD_LABELS: [string, Buffer][] = [
  ['a dot inside a label', Buffer.from('a.b')],
  ['a backslash', Buffer.from('a\\b')],
  ['a space', Buffer.from('a b')],
  ['a NUL octet', Buffer.from([0x61, 0x00, 0x62])],
  ['octet 0xC0 (Latin-1 upper-case A grave, must not be folded)', Buffer.from([0x78, 0xc0, 0x79])],
  ['octets 0xFF and 0x7F', Buffer.from([0xff, 0x7f])],
  ['upper-case ASCII', Buffer.from('MiXeD')],
  ['a 63-octet label', Buffer.alloc(63, 0x71)],
  ['a double quote and parentheses', Buffer.from('"(x)"')],
];

describe('conformance: names with unusual octets (RFC 4343, RFC 4034 §6.2)', function () {
  this.timeout(15_000);
  const s = useServer();
  const port = (): number => s.t.dnsPort;
  let keys: Buffer[] = [];
  before(async () => {
    keys = await fetchDnskeys(port(), ZONE);
  });

  async function exchange(labels: Buffer[], qtype: number): Promise<{ raw: Buffer; m: RawMessage; q: Buffer }> {
    const q = query(labels, qtype);
    const raw = await udpExchange(port(), q);
    const m = readMessage(raw);
    assert.deepEqual(m.question, questionOf(q), 'question echoed byte for byte');
    return { raw, m, q };
  }

  function expectCoverOf(m: RawMessage, nc: Buffer[]): void {
    const h = hashWire(nc);
    const recs = recordsOf(m, T.NSEC3).map((r) => ({ hash: ownerHash(r.name, ZONE)!, f: parseNsec3(r.rdata) }));
    const cover = recs.find((r) => r.hash.equals(hashAdd(h, -1)));
    assert.ok(cover !== undefined, 'no NSEC3 covers H(next closer) as computed from its canonical wire form');
    assert.deepEqual(cover.f.next, hashAdd(h, 1));
    assert.ok(covers(cover.hash, cover.f.next, h));
  }

  for (const [label, odd] of ODD_LABELS) {
    it(`NXDOMAIN below sensor1, ${label}: next-closer cover over the right octets`, async () => {
      const nc = [odd, Buffer.from('sensor1'), ...ZONE_LABELS];
      const { m } = await exchange(nc, T.TLSA);
      assert.equal(m.rcode, RC.NXDOMAIN);
      expectCoverOf(m, nc);
      verifyResponse(m, keys, ZONE);
    });

    it(`wildcard expansion under the apex, ${label}: owner octets = qname, one label, cover of the qname`, async () => {
      const qn = [odd, ...ZONE_LABELS];
      const { raw, m } = await exchange(qn, T.TLSA);
      assert.equal(m.rcode, RC.NOERROR);
      assert.equal(recordsOf(m, T.TLSA, 'answer').length, 1);
      const owner = firstAnswerOwnerWire(raw);
      assert.deepEqual(canonical([owner.subarray(1, 1 + owner[0]!)])[0], canonical([odd])[0], 'first owner label = the qname label');
      const sig = rrsigFields(recordsOf(m, T.RRSIG, 'answer')[0]!.rdata);
      assert.equal(sig.labels, 3);
      expectCoverOf(m, qn);
    });
  }

  it('a 4-label name with upper case is answered from the same node as its lower-case form', async () => {
    const { m } = await exchange([Buffer.from('SENSOR1'), Buffer.from('_DEVICE'), Buffer.from('Example'), Buffer.from('NET')], T.TLSA);
    assert.equal(m.rcode, RC.NOERROR);
    assert.equal(recordsOf(m, T.TLSA, 'answer').length, 1);
    verifyResponse(m, keys, ZONE);
  });

  it('a name of 255 octets below a device (many short labels): NXDOMAIN with complete proofs', async () => {
    const base = [Buffer.from('camera7'), ...ZONE_LABELS];
    const baseLen = wire(base).length;
    const labels: Buffer[] = [];
    while (baseLen + wire(labels).length - 1 + 2 <= 255) labels.push(Buffer.from('z'));
    const qn = [...labels, ...base];
    assert.ok(wire(qn).length <= 255 && wire(qn).length >= 254, `name is ${wire(qn).length} octets`);
    const { m } = await exchange(qn, T.TLSA);
    assert.equal(m.rcode, RC.NXDOMAIN);
    expectCoverOf(m, [labels[labels.length - 1]!, ...base]);
    assert.equal(recordsOf(m, T.NSEC3).length, 3);
    verifyResponse(m, keys, ZONE);
  });

  it('a name of 255 octets in four 63-octet-ish labels under the apex: wildcard answer', async () => {
    const room = 255 - wire(ZONE_LABELS).length;
    const labels: Buffer[] = [];
    let left = room;
    while (left > 1) {
      const n = Math.min(63, left - 1);
      labels.push(Buffer.alloc(n, 0x6d));
      left -= n + 1;
    }
    const qn = [...labels, ...ZONE_LABELS];
    assert.equal(wire(qn).length, 255);
    const { m } = await exchange(qn, T.TLSA);
    assert.equal(m.rcode, RC.NOERROR);
    expectCoverOf(m, [labels[labels.length - 1]!, ...ZONE_LABELS]);
    verifyResponse(m, keys, ZONE);
  });
});
