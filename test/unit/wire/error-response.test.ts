/**
 * buildErrorResponse (RFC 6891 §6.1.1 OPT presence, §6.1.3 BADVERS, RFC 8914 EDE), the EDNS
 * payload rule (RFC 6891 §6.2.5) and the SOA/NS RDATA codecs.
 */
import assert from 'node:assert/strict';
import * as dnsPacket from 'dns-packet';
import { decodeQuery } from '../../../server/wire/decode-query.js';
import type { ParsedQuery, QueryError } from '../../../server/wire/decode-query.js';
import { buildErrorResponse } from '../../../server/wire/error-response.js';
import { effectiveUdpPayload, encodeEdeOption, encodeTcpKeepaliveOption, responseSizeLimit } from '../../../server/wire/edns.js';
import { decodeSoa, encodeSoa } from '../../../server/wire/rdata-soa.js';
import { decodeNs, encodeNs } from '../../../server/wire/rdata-ns.js';
import { Rcode } from '../../../core/rr-types.js';
import { buildQuery, headerOf } from './query-builder.js';

function decodeError(msg: Buffer): QueryError {
  const r = decodeQuery(msg);
  assert.equal(r.kind, 'error');
  return r as QueryError;
}

describe('wire/buildErrorResponse', () => {
  it('FORMERR without EDNS: header copied, question echoed, no OPT', () => {
    const q = buildQuery({ id: 99, name: 'Example.COM', rd: true, cd: true });
    const bad = Buffer.concat([q.subarray(0, 10), Buffer.from([0, 1]), q.subarray(12), Buffer.from([0, 0])]);
    const err = decodeError(bad);
    const msg = buildErrorResponse(err, err.rcode);
    const h = headerOf(msg);
    assert.deepEqual([h.id, h.qr, h.opcode, h.aa, h.rd, h.cd, h.rcode], [99, true, 0, false, true, true, Rcode.FORMERR]);
    assert.deepEqual(h.counts, [1, 0, 0, 0]);
    assert.equal(dnsPacket.decode(msg).questions?.[0]?.name, 'Example.COM');
  });

  it('NOTIMP keeps the opcode and adds OPT when the query had one', () => {
    const err = decodeError(buildQuery({ name: 'example.com', opcode: 5, edns: { do: true } }));
    const msg = buildErrorResponse(err, err.rcode);
    const h = headerOf(msg);
    assert.equal(h.opcode, 5);
    assert.equal(h.rcode, Rcode.NOTIMP);
    const opt = dnsPacket.decode(msg).additionals?.[0] as dnsPacket.OptAnswer;
    assert.equal(opt.type, 'OPT');
    assert.equal(opt.udpPayloadSize, 1232);
    assert.equal(opt.flag_do, true);
  });

  it('BADVERS: header rcode 0, extended rcode 1, OPT version 0', () => {
    const err = decodeError(buildQuery({ name: 'example.com', edns: { version: 2 } }));
    assert.equal(err.rcode, Rcode.BADVERS);
    const msg = buildErrorResponse(err, err.rcode);
    assert.equal(headerOf(msg).rcode, 0);
    const opt = dnsPacket.decode(msg).additionals?.[0] as dnsPacket.OptAnswer;
    assert.equal(opt.extendedRcode, 1);
    assert.equal(opt.ednsVersion, 0);
  });

  it('REFUSED with an Extended DNS Error, text cut to fit 512 octets', () => {
    const r = decodeQuery(buildQuery({ name: 'a'.repeat(63) + '.' + 'b'.repeat(63) + '.' + 'c'.repeat(63) + '.example', edns: {} }));
    assert.equal(r.kind, 'query');
    const q = (r as { query: ParsedQuery }).query;
    const msg = buildErrorResponse(q, Rcode.REFUSED, { code: 20, text: 'é'.repeat(400) });
    assert.ok(msg.length <= 512, `${msg.length}`);
    const opt = dnsPacket.decode(msg).additionals?.[0] as dnsPacket.OptAnswer;
    const ede = opt.options[0] as unknown as { code: number; data: Buffer };
    assert.equal(ede.code, 15);
    assert.equal(ede.data.readUInt16BE(0), 20);
    const text = ede.data.subarray(2).toString('utf8');
    assert.ok(text.length > 50 && /^é+$/.test(text));
  });

  it('no EDE without OPT; no question when none parsed', () => {
    const msg = buildErrorResponse({ id: 1, opcode: 0, rd: false, cd: false }, Rcode.SERVFAIL, { code: 0, text: 'x' });
    assert.equal(msg.length, 12);
    assert.equal(headerOf(msg).rcode, Rcode.SERVFAIL);
  });
});

describe('wire/edns', () => {
  it('effective UDP payload is max(512, min(client, 1232)), 512 without EDNS', () => {
    const e = (udpSize: number) => ({ udpSize, version: 0, do: false, options: [] });
    assert.equal(effectiveUdpPayload(undefined), 512);
    assert.equal(effectiveUdpPayload(e(0)), 512);
    assert.equal(effectiveUdpPayload(e(511)), 512);
    assert.equal(effectiveUdpPayload(e(1000)), 1000);
    assert.equal(effectiveUdpPayload(e(4096)), 1232);
    assert.equal(responseSizeLimit('tcp', e(512)), 65535);
    assert.equal(responseSizeLimit('udp', e(4096)), 1232);
  });

  it('encodes EDE and tcp-keepalive options', () => {
    assert.deepEqual(encodeEdeOption(18, 'no').data, Buffer.from([0, 18, 0x6e, 0x6f]));
    assert.deepEqual(encodeTcpKeepaliveOption(10_000), { code: 11, data: Buffer.from([0, 100]) });
  });
});

describe('wire/rdata SOA and NS', () => {
  const soa = { mname: 'ns1.example.com.', rname: 'hostmaster.example.com.', serial: 0xfffffffe, refresh: 7200, retry: 900, expire: 1209600, minimum: 60 };

  it('round-trips SOA and matches dns-packet', () => {
    const rdata = encodeSoa(soa);
    assert.deepEqual(decodeSoa(rdata), soa);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(rdata.length);
    const viaPacket = dnsPacket.encode({ type: 'response', answers: [{ type: 'SOA', name: 'example.com', data: { ...soa, mname: 'ns1.example.com', rname: 'hostmaster.example.com' } }] });
    assert.ok(viaPacket.includes(Buffer.concat([len, rdata])));
    assert.equal(decodeSoa(rdata.subarray(0, rdata.length - 1)), undefined);
  });

  it('round-trips NS and rejects compressed or trailing data', () => {
    assert.equal(decodeNs(encodeNs('ns.example.net.')), 'ns.example.net.');
    assert.equal(decodeNs(Buffer.from([0xc0, 12])), undefined);
    assert.equal(decodeNs(Buffer.from([0, 0])), undefined);
  });
});
