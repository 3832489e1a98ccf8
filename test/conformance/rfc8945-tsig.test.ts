/**
 * TSIG (RFC 8945) against a real server that holds no TSIG keys: a signed query gets NOTAUTH with
 * an unsigned TSIG record saying BADKEY (§5.2.2), which dig and kdig both understand; a TSIG that
 * is not the last record of the additional section is FORMERR (§5.1). Never an answer that
 * pretends the signature was checked.
 */
import assert from 'node:assert/strict';
import { RC, useServer, ZONE } from '../helpers/conformance-fixture.js';
import { runToolAsync } from '../helpers/dns-tools.js';
import { buildQuery, nameWire, optWire, readMessage, udpExchange } from '../helpers/raw-dns.js';

const KEY = Buffer.alloc(32, 7).toString('base64');

/** A TSIG RR for key `key.` with an empty MAC (enough to be recognised as a signed query). */
function tsigRecord(id: number): Buffer {
  const alg = nameWire('hmac-sha256.');
  const rdata = Buffer.alloc(alg.length + 16);
  alg.copy(rdata, 0);
  let o = alg.length;
  rdata.writeUIntBE(Math.floor(Date.now() / 1000), o, 6);
  o += 6;
  o = rdata.writeUInt16BE(300, o);
  o = rdata.writeUInt16BE(0, o); // MAC size
  o = rdata.writeUInt16BE(id, o);
  o = rdata.writeUInt16BE(0, o);
  rdata.writeUInt16BE(0, o);
  const owner = nameWire('key.');
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(250, 0);
  fixed.writeUInt16BE(255, 2);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([owner, fixed, rdata]);
}

describe('conformance: TSIG without keys (RFC 8945)', function () {
  this.timeout(15_000);
  const s = useServer();

  for (const tool of ['dig', 'kdig']) {
    it(`${tool} -y gets NOTAUTH with TSIG error BADKEY`, async () => {
      const out = await runToolAsync(tool, ['@127.0.0.1', '-p', String(s.t.dnsPort), '-y', `hmac-sha256:key1:${KEY}`, `sensor1.${ZONE}`, 'TLSA']);
      assert.match(out, /status: (NOTAUTH|BADKEY)/, out);
      assert.match(out, /key1\.\s+0\s+ANY\s+TSIG\s+hmac-sha256\.\s+\d+\s+300\s+0\s+\d+\s+BADKEY\s+0/, out);
      assert.doesNotMatch(out, /ANSWER: [1-9]/);
    });
  }

  it('the BADKEY reply keeps the OPT, and the TSIG last', async () => {
    const q = buildQuery({ id: 77, qname: `sensor1.${ZONE}`, qtype: 52, edns: { udpSize: 1232, do: true } });
    const signed = Buffer.concat([q, tsigRecord(77)]);
    signed.writeUInt16BE(2, 10);
    const m = readMessage(await udpExchange(s.t.dnsPort, signed));
    assert.equal(m.rcode, 9, "NOTAUTH");
    assert.ok(m.opt !== undefined);
    const last = m.records[m.records.length - 1]!;
    assert.equal(last.type, 250);
    assert.equal(last.rdata.readUInt16BE(last.rdata.length - 4), 17, 'error BADKEY');
  });

  it('never answers past 512 octets: a TSIG too long to echo is left out of the NOTAUTH', async () => {
    // A 255-octet question and key/algorithm names that point into it expand to a long TSIG.
    const long = Array.from({ length: 4 }, () => 'a'.repeat(61)).join('.') + '.';
    const q = buildQuery({ id: 79, qname: long, qtype: 52 });
    const tsig = Buffer.concat([Buffer.from([0xc0, 0x0c]), Buffer.from([0, 250, 0, 255, 0, 0, 0, 0, 0, 18, 0xc0, 0x0c]), Buffer.alloc(16)]);
    tsig.writeUInt16BE(0, 14 + 6 + 2); // MAC size 0
    const signed = Buffer.concat([q, tsig]);
    signed.writeUInt16BE(1, 10);
    const raw = await udpExchange(s.t.dnsPort, signed);
    const m = readMessage(raw);
    assert.equal(m.rcode, 9);
    assert.ok(raw.length <= 512, `${raw.length} octets`);
  });

  it('a TSIG that is not the last record is FORMERR', async () => {
    const q = buildQuery({ id: 78, qname: `sensor1.${ZONE}`, qtype: 52 });
    const misplaced = Buffer.concat([q, tsigRecord(78), optWire()]);
    misplaced.writeUInt16BE(2, 10);
    assert.equal(readMessage(await udpExchange(s.t.dnsPort, misplaced)).rcode, RC.FORMERR);
  });
});
