/**
 * Fuzzing the query decoder with a seeded PRNG (deterministic, reproducible by seed): random
 * messages and structured mutations of valid queries (bit flips, truncation at every length,
 * label lengths past the end, pointer loops and forward pointers, QDCOUNT 0 and 2, counts of
 * 0xFFFF, OPT variants). Properties: decodeQuery never throws and never fails for an internal
 * reason; every error result becomes, through buildErrorResponse, a message dns-packet decodes with
 * the same ID; every accepted query can be answered by ResponseWriter into a decodable message.
 */
import assert from 'node:assert/strict';
import * as dnsPacket from 'dns-packet';
import { decodeQuery } from '../../server/wire/decode-query.js';
import type { DecodeResult } from '../../server/wire/decode-query.js';
import { buildErrorResponse } from '../../server/wire/error-response.js';
import { ResponseWriter, Section } from '../../server/wire/response-writer.js';
import { buildQuery, optRecord } from '../unit/wire/query-builder.js';
import { nameToWire } from '../../core/names.js';
import { seededRandom } from '../helpers/seeded-random.js';

const prng = seededRandom;

const SEED = 0x1d20e;
const rand = prng(SEED);
const int = (n: number): number => Math.floor(rand() * n);

function bases(): Buffer[] {
  const soa: dnsPacket.Answer = {
    type: 'SOA',
    name: 'example.com',
    data: { mname: 'ns.example.com', rname: 'h.example.com', serial: 9, refresh: 1, retry: 2, expire: 3, minimum: 4 },
  };
  const withPointer = buildQuery({ name: 'www.example.com', edns: {} });
  // Additional record owned by a pointer to the question name.
  const extra = Buffer.from([0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 2, 1, 0x78]);
  const compressed = Buffer.concat([withPointer, extra]);
  compressed.writeUInt16BE(2, 10);
  return [
    buildQuery({ name: '_443._tcp.WWW.example.com', rd: true }),
    buildQuery({ name: 'a.example', edns: { udpSize: 4096, do: true, options: [{ code: 10, data: Buffer.alloc(8, 7) }, { code: 15, data: Buffer.from([0, 1]) }] } }),
    buildQuery({ name: 'example.com', type: 'IXFR', authorities: [soa] }),
    buildQuery({ name: 'example.com', type: 'SOA', opcode: 4 }),
    compressed,
  ];
}

/** Every error result must encode; every query must be answerable. Returns the result kind. */
function check(msg: Buffer, writer: ResponseWriter): DecodeResult['kind'] {
  let r: DecodeResult;
  try {
    r = decodeQuery(msg);
  } catch (e) {
    assert.fail(`decodeQuery threw on ${msg.toString('hex')}: ${String(e)}`);
  }
  if (r.kind === 'drop') return r.kind;
  if (r.kind === 'error') {
    assert.ok(!r.reason.startsWith('internal'), `${r.reason} on ${msg.toString('hex')}`);
    const out = buildErrorResponse(r, r.rcode, { code: 0, text: 'fuzz' });
    const p = decodeOrFail(out, msg);
    assert.equal(p.id, r.id);
    assert.equal((p.additionals ?? []).some((a) => a.type === 'OPT'), r.edns !== undefined || r.rcode > 15);
    return r.kind;
  }
  const q = r.query;
  // qname is the canonical form of the question name: its wire form is the received name, lowercased.
  const received = Buffer.from(q.question.subarray(0, q.question.length - 4)).map((b) => (b >= 0x41 && b <= 0x5a ? b + 32 : b));
  assert.deepEqual(nameToWire(q.qname), Buffer.from(received), q.qname);
  writer.begin(q, { aa: true, rcode: 0 }, 1232);
  writer.addOpt({ udpSize: 1232, do: q.edns?.do ?? false });
  writer.addRecord(Section.ANSWER, q.qname, 52, 60, Buffer.from([3, 1, 1, 0xaa]));
  const p = decodeOrFail(writer.finish(), msg);
  assert.equal(p.questions?.length, 1);
  assert.equal(p.answers?.length, 1);
  return r.kind;
}

function decodeOrFail(out: Buffer, input: Buffer): dnsPacket.DecodedPacket {
  try {
    return dnsPacket.decode(out);
  } catch (e) {
    assert.fail(`response ${out.toString('hex')} to ${input.toString('hex')} does not decode: ${String(e)}`);
  }
}

function randomMessage(): Buffer {
  const msg = Buffer.allocUnsafe(int(300));
  for (let i = 0; i < msg.length; i++) msg[i] = int(256);
  if (msg.length > 2 && rand() < 0.9) msg[2] = msg[2]! & 0x07; // mostly QUERY, QR=0
  if (msg.length > 5 && rand() < 0.7) msg.writeUInt16BE(1, 4);
  if (msg.length > 11 && rand() < 0.5) {
    msg.writeUInt32BE(int(3), 6);
    msg.writeUInt16BE(int(3), 10);
  }
  return msg;
}

function bitFlips(base: Buffer): Buffer {
  const msg = Buffer.from(base);
  for (let n = 1 + int(4); n > 0; n--) {
    const i = int(msg.length);
    msg[i] = msg[i]! ^ (1 << int(8));
  }
  return msg;
}

function byteSmash(base: Buffer): Buffer {
  const msg = Buffer.from(base);
  const special = [0, 1, 0x3f, 0x40, 0x80, 0xc0, 0xff, msg.length & 0xff];
  for (let n = 1 + int(3); n > 0; n--) msg[12 + int(msg.length - 12)] = rand() < 0.5 ? special[int(special.length)]! : int(256);
  return msg;
}

/** A compression pointer written at a random position, to a random (often forward or looping) target. */
function pointerMutation(base: Buffer): Buffer {
  const msg = Buffer.from(base);
  const at = 12 + int(msg.length - 13);
  const target = rand() < 0.5 ? at : int(msg.length + 4);
  msg.writeUInt16BE(0xc000 | (target & 0x3fff), at);
  return msg;
}

function countMutation(base: Buffer): Buffer {
  const msg = Buffer.from(base);
  const choices = [0, 1, 2, 3, 0xffff];
  msg.writeUInt16BE(choices[int(choices.length)]!, 4 + 2 * int(4));
  return msg;
}

function optVariant(): Buffer {
  const opts = [];
  for (let n = int(3); n > 0; n--) opts.push({ code: int(20), data: Buffer.alloc(int(12), int(256)) });
  const additionals = [optRecord({ udpSize: int(70000) & 0xffff, version: rand() < 0.7 ? 0 : int(256), do: rand() < 0.5, options: opts })];
  if (rand() < 0.2) additionals.push(optRecord({}));
  const msg = dnsPacket.encode({ type: 'query', id: int(65536), questions: [{ name: 'x.example', type: 'TLSA', class: 'IN' }], additionals });
  if (rand() < 0.5) return msg;
  // Corrupt an option length or the RDLENGTH inside the OPT.
  const i = msg.length - 1 - int(Math.min(20, msg.length - 30));
  msg[i] = int(256);
  return msg;
}

describe('fuzz: decodeQuery on hostile input (seed 0x1d20e)', function () {
  this.timeout(60_000);
  const writer = new ResponseWriter();
  const all = bases();

  it('valid bases decode as queries', () => {
    for (const b of all) assert.equal(check(b, writer), 'query');
  });

  it('truncation at every length of every base', () => {
    for (const b of all) for (let n = 0; n < b.length; n++) check(b.subarray(0, n), writer);
  });

  it('200,000 random messages and mutations never throw, and every error encodes', () => {
    const kinds = { drop: 0, error: 0, query: 0 };
    const started = Date.now();
    for (let i = 0; i < 200_000; i++) {
      const base = all[i % all.length]!;
      let msg: Buffer;
      switch (i % 7) {
        case 0:
          msg = randomMessage();
          break;
        case 1:
          msg = bitFlips(base);
          break;
        case 2:
          msg = byteSmash(base);
          break;
        case 3:
          msg = pointerMutation(base);
          break;
        case 4:
          msg = countMutation(base);
          break;
        case 5:
          msg = optVariant();
          break;
        default:
          msg = Buffer.concat([base.subarray(0, 12 + int(base.length - 12)), Buffer.from([63 + int(2)])]);
      }
      kinds[check(msg, writer)]++;
    }
    // Every outcome must actually be exercised, or the fuzzer is not reaching the decoder.
    assert.ok(kinds.drop > 1000 && kinds.error > 20_000 && kinds.query > 20_000, JSON.stringify(kinds));
    console.log(`      outcomes ${JSON.stringify(kinds)} in ${Date.now() - started} ms`);
  });
});
