/**
 * DNS cookies (server/query/cookies.ts, server/wire/siphash.ts, server/wire/opt-option.ts):
 * SipHash-2-4 against OpenSSL's (an implementation nobody here wrote) on the reference key and
 * messages of 0-63 bytes; COOKIE option lengths (RFC 7873 §4); RFC 9018 server cookies bound to
 * the client cookie, the address and an hour of time; an option spliced into a message's OPT.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressBytes, readCookie, ServerCookies } from '../../../server/query/cookies.js';
import { siphash24 } from '../../../server/wire/siphash.js';
import { withOptOption } from '../../../server/wire/opt-option.js';
import { buildQuery, readMessage } from '../../helpers/raw-dns.js';

const COOKIE = 10;

describe('DNS cookies', () => {
  it('SipHash-2-4 equals OpenSSL on the reference key for messages of 0 to 63 bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idzone-siphash-'));
    try {
      const key = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
      for (let n = 0; n < 64; n++) {
        const msg = Buffer.from(Array.from({ length: n }, (_, i) => i));
        writeFileSync(join(dir, 'm'), msg);
        const ref = execFileSync('openssl', ['mac', '-macopt', `hexkey:${key.toString('hex')}`, '-macopt', 'size:8', '-in', join(dir, 'm'), 'SIPHASH'], { encoding: 'utf8' }).trim().toLowerCase();
        assert.equal(siphash24(key, msg).toString('hex'), ref, `${n} bytes`);
      }
      assert.equal(siphash24(key, Buffer.alloc(0)).toString('hex'), '310e0edd47db6f72', 'the paper\'s first vector');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads COOKIE options by length: 8 (client only), 16-40 (with server cookie), else malformed', () => {
    const opt = (n: number) => [{ code: COOKIE, data: Buffer.alloc(n, 7) }];
    assert.deepEqual(readCookie([]), { kind: 'none' });
    assert.equal(readCookie(opt(8)).kind, 'present');
    for (const n of [16, 24, 40]) {
      const c = readCookie(opt(n));
      assert.ok(c.kind === 'present' && c.server?.length === n - 8, `${n}`);
    }
    for (const n of [0, 7, 9, 15, 41]) assert.equal(readCookie(opt(n)).kind, 'malformed', `${n}`);
  });

  it('makes RFC 9018 server cookies bound to the client cookie, the address and the hour', () => {
    let now = 1_800_000_000;
    const cookies = new ServerCookies(Buffer.alloc(16, 0x5a), () => now);
    const client = Buffer.from('0102030405060708', 'hex');
    const option = cookies.optionFor(client, '192.0.2.1');
    assert.equal(option.code, COOKIE);
    assert.equal(option.data.length, 24);
    assert.deepEqual(option.data.subarray(0, 8), client);
    const server = option.data.subarray(8);
    assert.equal(server.subarray(0, 4).toString('hex'), '01000000', 'version 1, reserved zero');
    assert.equal(server.readUInt32BE(4), now);
    assert.ok(cookies.isValid(client, server, '192.0.2.1'));
    assert.ok(cookies.isValid(client, server, '::ffff:192.0.2.1'), 'IPv4-mapped is the same client');
    assert.ok(!cookies.isValid(client, server, '192.0.2.2'), 'another address');
    assert.ok(!cookies.isValid(Buffer.alloc(8), server, '192.0.2.1'), 'another client cookie');
    assert.ok(!new ServerCookies(Buffer.alloc(16, 0x5b), () => now).isValid(client, server, '192.0.2.1'), 'another secret');
    now += 3600;
    assert.ok(cookies.isValid(client, server, '192.0.2.1'), 'an hour old is still fine');
    now += 1;
    assert.ok(!cookies.isValid(client, server, '192.0.2.1'), 'older than an hour');
    now = 1_800_000_000 - 301;
    assert.ok(!cookies.isValid(client, server, '192.0.2.1'), 'more than 5 minutes in the future');
    const v6 = cookies.optionFor(client, '2001:db8::1').data.subarray(8);
    now = 1_800_000_000;
    assert.ok(!cookies.isValid(client, v6, '2001:db8::2'));
    assert.deepEqual(addressBytes('2001:db8::1'), Buffer.from('20010db8000000000000000000000001', 'hex'));
    assert.deepEqual(addressBytes('::ffff:10.1.2.3'), Buffer.from([10, 1, 2, 3]));
  });

  it('sends a valid server cookie back as it came while it is under half an hour old, then a new one', () => {
    let now = 1_800_000_000;
    const cookies = new ServerCookies(Buffer.alloc(16, 0x5a), () => now);
    const client = Buffer.alloc(8, 4);
    const sent = cookies.optionFor(client, '192.0.2.1').data;
    now += 1799;
    const kept = cookies.answerOption(client, sent.subarray(8), '192.0.2.1', sent);
    assert.ok(kept.proven);
    assert.equal(kept.option.data, sent, 'the very bytes the client sent');
    now += 2;
    const renewed = cookies.answerOption(client, sent.subarray(8), '192.0.2.1', sent);
    assert.ok(renewed.proven, 'still valid for the hour');
    assert.notDeepEqual(renewed.option.data, sent);
    assert.ok(cookies.isValid(client, renewed.option.data.subarray(8), '192.0.2.1'));
    const stranger = cookies.answerOption(client, sent.subarray(8), '192.0.2.9', sent);
    assert.ok(!stranger.proven);
    assert.ok(cookies.isValid(client, stranger.option.data.subarray(8), '192.0.2.9'), 'a new cookie for the address it came from');
  });

  it('adds an option to the OPT record of a message, and leaves a message without OPT alone', () => {
    const q = buildQuery({ id: 9, qname: 'a.example.', qtype: 52, edns: { udpSize: 1232, do: true } });
    const out = withOptOption(q, { code: COOKIE, data: Buffer.alloc(24, 3) });
    const m = readMessage(out);
    assert.equal(m.opt?.rdata.length, 28);
    assert.deepEqual(m.opt?.rdata.subarray(0, 4), Buffer.from([0, 10, 0, 24]));
    assert.equal(m.opt?.do, true);
    const plain = buildQuery({ id: 9, qname: 'a.example.', qtype: 52 });
    assert.equal(withOptOption(plain, { code: COOKIE, data: Buffer.alloc(24) }), plain);
  });
});
