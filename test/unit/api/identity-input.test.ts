import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { decodeSshfp, decodeTlsa, encodeSshfp, encodeTlsa, parseHex, type Violation } from '../../../core/identity-rdata.js';
import { RrType } from '../../../core/rr-types.js';
import { isTypeRefusal, parseIdentityBody, resolveOwnerName, type IdentityParse } from '../../../api/identity-input.js';
import { parseSshKeyLine } from '../../../api/sshfp-input.js';
import { spkiFromCertificate } from '../../../api/der-spki.js';
import { userOwner } from '../../../api/user-owner.js';
import * as fx from './fixtures.js';

const ZONE = '_device.example.net.';
const opts = { zone: ZONE, defaultTtl: 60, maxTtl: 3600 };

function ok(r: IdentityParse): { owner: string; tlsa: string[]; sshfp: string[]; ttl: number } {
  if (!r.ok) assert.fail(`expected success, got ${JSON.stringify(r.violations)}`);
  const t = r.rrsets.find((x) => x.type === RrType.TLSA);
  const s = r.rrsets.find((x) => x.type === RrType.SSHFP);
  return {
    owner: r.owner,
    ttl: r.rrsets[0]!.ttl,
    tlsa: (t?.rdatas ?? []).map((d) => {
      const x = decodeTlsa(d);
      return `${x.usage} ${x.selector} ${x.matchingType} ${x.data.toString('hex')}`;
    }),
    sshfp: (s?.rdatas ?? []).map((d) => {
      const x = decodeSshfp(d);
      return `${x.algorithm} ${x.fpType} ${x.fingerprint.toString('hex')}`;
    }),
  };
}

function bad(r: IdentityParse): Violation[] {
  if (r.ok) assert.fail(`expected violations, got owner ${r.owner}`);
  return r.violations;
}

function pointers(vs: Violation[]): string[] {
  return vs.map((v) => v.pointer).sort();
}

describe('api/identity-input: parseIdentityBody', () => {
  it('accepts explicit TLSA and SSHFP with a relative name and the default TTL', () => {
    const r = ok(parseIdentityBody({ name: 'sensor7', tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: fx.HEX32 }], sshfp: [{ algorithm: 4, type: 2, fingerprint: fx.HEX32 }] }, opts));
    assert.equal(r.owner, 'sensor7._device.example.net.');
    assert.equal(r.ttl, 60);
    assert.deepEqual(r.tlsa, [`3 1 1 ${fx.HEX32}`]);
    assert.deepEqual(r.sshfp, [`4 2 ${fx.HEX32}`]);
  });

  it('resolves names: absolute with a dot, absolute when ending in the zone, relative otherwise', () => {
    assert.deepEqual(resolveOwnerName('Sensor7._device.example.net.', ZONE), { ok: true, owner: 'sensor7._device.example.net.' });
    assert.deepEqual(resolveOwnerName('sensor7._device.example.net', ZONE), { ok: true, owner: 'sensor7._device.example.net.' });
    assert.deepEqual(resolveOwnerName('a.b', ZONE), { ok: true, owner: 'a.b._device.example.net.' });
    assert.deepEqual(resolveOwnerName('*', ZONE), { ok: true, owner: '*._device.example.net.' });
    assert.deepEqual(resolveOwnerName('@', ZONE), { ok: true, owner: ZONE }); // the apex holds identity data too (a _user zone's CA)
    assert.equal(resolveOwnerName('host.example.org.', ZONE).ok, false);
  });

  it('computes 3 1 1, 3 1 2 and 3 0 1 from a PEM certificate exactly as openssl does', () => {
    const r = ok(
      parseIdentityBody(
        { name: 'sensor7', tlsa: [{ certificate: fx.CERT_PEM }, { certificate: fx.CERT_PEM, matchingType: 2 }, { certificate: fx.CERT_PEM, selector: 0 }] },
        opts,
      ),
    );
    assert.deepEqual(r.tlsa.sort(), [`3 0 1 ${fx.CERT_301}`, `3 1 1 ${fx.CERT_311}`, `3 1 2 ${fx.CERT_312}`].sort());
  });

  it('takes the SPKI bytes from the certificate as node:crypto exports them', () => {
    const der = new X509Certificate(fx.CERT_PEM).raw;
    const spki = spkiFromCertificate(der)!;
    const exported = new X509Certificate(fx.CERT_PEM).publicKey.export({ type: 'spki', format: 'der' });
    assert.ok(spki.equals(exported));
    assert.equal(createHash('sha256').update(spki).digest('hex'), fx.CERT_311);
  });

  it('computes 3 1 1 from a PEM public key, and refuses selector 0 or a private key', () => {
    assert.deepEqual(ok(parseIdentityBody({ name: 'x', tlsa: [{ publicKey: fx.PUBKEY_PEM }] }, opts)).tlsa, [`3 1 1 ${fx.CERT_311}`]);
    assert.deepEqual(pointers(bad(parseIdentityBody({ name: 'x', tlsa: [{ publicKey: fx.PUBKEY_PEM, selector: 0 }] }, opts))), ['/tlsa/0/selector']);
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const vs = bad(parseIdentityBody({ name: 'x', tlsa: [{ publicKey: pem }] }, opts));
    assert.match(vs[0]!.message, /private key/);
    assert.ok(!vs[0]!.message.includes(pem.split('\n')[1]!), 'never echoes the private key');
  });

  it('computes SSHFP from OpenSSH key lines as ssh-keygen -r does', () => {
    const r = ok(parseIdentityBody({ name: 'x', sshfp: [{ sshKey: fx.SSH_ED25519 }, { sshKey: fx.SSH_ED25519, type: 1 }, { sshKey: fx.SSH_ECDSA }, { sshKey: fx.SSH_RSA }] }, opts));
    assert.deepEqual(r.sshfp.sort(), [`1 2 ${fx.SSH_RSA_FP2}`, `3 2 ${fx.SSH_ECDSA_FP2}`, `4 1 ${fx.SSH_ED25519_FP1}`, `4 2 ${fx.SSH_ED25519_FP2}`].sort());
  });

  it('refuses SSH key lines whose blob does not match their type, or is truncated', () => {
    const [, b64] = fx.SSH_ED25519.split(' ');
    assert.equal(parseSshKeyLine(`ssh-rsa ${b64}`).ok, false);
    assert.equal(parseSshKeyLine(`ssh-ed25519 ${b64!.slice(0, 40)}`).ok, false);
    assert.equal(parseSshKeyLine(`command="x" ${fx.SSH_ED25519}`).ok, false);
    const vs = bad(parseIdentityBody({ name: 'x', sshfp: [{ sshKey: fx.SSH_ED25519, algorithm: 1 }] }, opts));
    assert.deepEqual(pointers(vs), ['/sshfp/0/algorithm']);
  });

  it('hashes users per RFC 7929 §3 (hugh → c93f1e40…) under _user', () => {
    assert.equal(userOwner('hugh', 'example.com.'), `${fx.HUGH_LABEL}._user.example.com.`);
    assert.equal(userOwner('hugh', '_user.example.com.'), `${fx.HUGH_LABEL}._user.example.com.`);
    const r = ok(parseIdentityBody({ user: 'hugh', tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: fx.HEX32 }] }, { ...opts, zone: '_user.example.com.' }));
    assert.equal(r.owner, `${fx.HUGH_LABEL}._user.example.com.`);
  });

  it('lists every unknown field, odd hex, wrong digest length and out-of-range usage at once', () => {
    const vs = bad(
      parseIdentityBody(
        {
          name: 'x',
          colour: 'blue',
          extra: 1,
          tlsa: [
            { usage: 3, selector: 1, matchingType: 1, data: 'abc' },
            { usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(31) },
            { usage: 4, selector: 1, matchingType: 2, data: fx.HEX64 },
            { usage: 3, selector: 1, matchingType: 1, data: fx.HEX32, bogus: true },
          ],
          sshfp: [{ algorithm: 5, type: 2, fingerprint: fx.HEX32 }, { algorithm: 4, type: 1, fingerprint: fx.HEX32 }],
        },
        opts,
      ),
    );
    assert.deepEqual(pointers(vs), ['/colour', '/extra', '/sshfp/0/algorithm', '/sshfp/1/fingerprint', '/tlsa/0/data', '/tlsa/1/data', '/tlsa/2/usage', '/tlsa/3/bogus'].sort());
  });

  it('reports the field ranges of an entry whose data is unreadable, in the same answer', () => {
    const vs = bad(parseIdentityBody({ name: 'x', tlsa: [{ usage: 4, selector: 2, matchingType: 1, data: 'abc' }] }, opts));
    assert.deepEqual(pointers(vs), ['/tlsa/0/data', '/tlsa/0/selector', '/tlsa/0/usage']);
  });

  it('refuses DER with bytes after the certificate or key (OpenSSL alone would accept it)', () => {
    const spki = createPublicKeyDer();
    const plain = ok(parseIdentityBody({ name: 'x', tlsa: [{ usage: 3, selector: 1, matchingType: 0, data: spki.toString('hex') }] }, opts));
    assert.equal(plain.tlsa.length, 1);
    const junk = bad(parseIdentityBody({ name: 'x', tlsa: [{ usage: 3, selector: 1, matchingType: 0, data: spki.toString('hex') + 'deadbeef' }] }, opts));
    assert.deepEqual(pointers(junk), ['/tlsa/0/data']);
    const certDer = new X509Certificate(fx.CERT_PEM).raw;
    const certJunk = bad(parseIdentityBody({ name: 'x', tlsa: [{ usage: 3, selector: 0, matchingType: 0, data: certDer.toString('hex') + '00' }] }, opts));
    assert.deepEqual(pointers(certJunk), ['/tlsa/0/data']);
    const pem = (label: string, der: Buffer): string => `-----BEGIN ${label}-----\n${der.toString('base64')}\n-----END ${label}-----\n`;
    const pemJunk = bad(parseIdentityBody({ name: 'x', tlsa: [{ certificate: pem('CERTIFICATE', Buffer.concat([certDer, Buffer.from([1, 2, 3])])) }] }, opts));
    assert.match(pemJunk[0]!.message, /bytes after its DER encoding/);
    const keyJunk = bad(parseIdentityBody({ name: 'x', tlsa: [{ publicKey: pem('PUBLIC KEY', Buffer.concat([spki, Buffer.from([0])])) }] }, opts));
    assert.match(keyJunk[0]!.message, /bytes after its DER encoding/);
  });

  it('refuses other record types by name, flagged as type refusals', () => {
    for (const body of [{ cname: 'x.' }, { A: ['192.0.2.1'] }, { type: 'CNAME' }, { records: [{ type: 'DNAME' }] }, { ns: ['ns1.'] }, { delegation: {} }]) {
      const vs = bad(parseIdentityBody({ name: 'x', ...body }, opts));
      assert.ok(vs.some(isTypeRefusal), JSON.stringify(body));
      assert.match(vs.find(isTypeRefusal)!.message, /^type (CNAME|A|DNAME|NS) is not accepted: idzone serves only TLSA and SSHFP$/);
    }
  });

  it('refuses names outside the zone, TTLs beyond policy and empty bodies; accepts the apex', () => {
    const rec = { tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: fx.HEX32 }] };
    assert.deepEqual(pointers(bad(parseIdentityBody({ name: 'evil.example.org.', ...rec }, opts))), ['/name']);
    assert.equal(parseIdentityBody({ name: '_device.example.net.', ...rec }, opts).ok, true);
    assert.deepEqual(pointers(bad(parseIdentityBody({ name: 'x', ttl: 3601, ...rec }, opts))), ['/ttl']);
    assert.deepEqual(pointers(bad(parseIdentityBody({ name: 'x', ttl: 0, ...rec }, opts))), ['/ttl']);
    assert.deepEqual(pointers(bad(parseIdentityBody({ name: 'x', tlsa: [] }, opts))), ['']);
    assert.deepEqual(pointers(bad(parseIdentityBody({ ...rec }, opts))), ['']);
    assert.deepEqual(pointers(bad(parseIdentityBody([rec], opts))), ['']);
  });

  it('with an owner from the URL, a body name must agree', () => {
    const rec = { tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: fx.HEX32 }] };
    const owner = 'a._device.example.net.';
    assert.equal(ok(parseIdentityBody(rec, { ...opts, owner })).owner, owner);
    assert.equal(ok(parseIdentityBody({ name: 'a', ...rec }, { ...opts, owner })).owner, owner);
    assert.deepEqual(pointers(bad(parseIdentityBody({ name: 'b', ...rec }, { ...opts, owner }))), ['/name']);
  });
});

function createPublicKeyDer(): Buffer {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
}

describe('api/identity-input: records one DNS answer cannot carry', () => {
  // A valid certificate of ~84 KB (2,000 subjectAltNames), made by openssl: more RDATA as a full
  // TLSA 3 0 0 than a 16-bit RDLENGTH holds; and 40 copies of a ~1.6 KB one, within the per-type
  // count but beyond what one answer can carry.
  const cert = (sans: number): string => {
    const san = Array.from({ length: sans }, (_, i) => `DNS:device-${String(i).padStart(6, '0')}.fleet.example.net`).join(',');
    return execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=big', '-days', '1', '-addext', `subjectAltName=${san}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  };

  it('refuses a certificate whose full TLSA RDATA would pass 65,535 octets, with a clear violation', () => {
    const r = parseIdentityBody({ name: 'big', tlsa: [{ certificate: cert(2000), usage: 3, selector: 0, matchingType: 0 }] }, opts);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(r.violations.map((v) => v.pointer), ['']);
    assert.match(r.violations[0]!.message, /octets of RDATA, more than the 60000 one DNS answer can carry/);
  });

  it('refuses distinct records that together pass what one answer carries, and accepts them below it', () => {
    // Eight distinct ~8.7 KB certificates: six fit in 60,000 octets, seven do not.
    const pems = Array.from({ length: 8 }, () => cert(250));
    const sizes = pems.map((p) => new X509Certificate(p).raw.length + 3);
    const entry = (pem: string): object => ({ certificate: pem, usage: 3, selector: 0, matchingType: 0 });
    let fit = 0;
    for (let total = 0; fit < pems.length && total + sizes[fit]! <= 60_000; fit++) total += sizes[fit]!;
    assert.ok(fit >= 2 && fit < pems.length, `${fit} of the certificates fit`);
    const over = parseIdentityBody({ name: 'big', tlsa: pems.slice(0, fit + 1).map(entry) }, opts);
    assert.equal(over.ok, false);
    if (!over.ok) assert.match(over.violations[0]!.message, /more than the 60000/);
    assert.equal(ok(parseIdentityBody({ name: 'big', tlsa: pems.slice(0, fit).map(entry) }, opts)).tlsa.length, fit);
    // The same record repeated is one record: it counts once.
    assert.equal(ok(parseIdentityBody({ name: 'big', tlsa: Array.from({ length: 20 }, () => entry(pems[0]!)) }, opts)).tlsa.length, 1);
  });
});

describe('core/identity-rdata: parseHex and the encoders', () => {
  it('takes an even run of hex digits in either case, with whitespace between digits', () => {
    assert.equal(parseHex('')?.toString('hex'), '');
    assert.equal(parseHex('00aAfF19')?.toString('hex'), '00aaff19');
    assert.equal(parseHex(' 00 aa\n\tff 19 ')?.toString('hex'), '00aaff19');
  });
  it('refuses odd lengths and anything that is not a hex digit, above U+00FF too', () => {
    for (const t of ['0', 'abc', '0g', 'g0', '0x00', '\u0161\u0161', '\u0130a', 'a\u0100', 'ab\u00e1b', '0 0 0']) assert.equal(parseHex(t), undefined, JSON.stringify(t));
  });
  it('encodes TLSA and SSHFP RDATA field by field', () => {
    assert.equal(encodeTlsa({ usage: 3, selector: 1, matchingType: 1, data: Buffer.from('abcd', 'hex') }).toString('hex'), '030101abcd');
    assert.equal(encodeSshfp({ algorithm: 4, fpType: 2, fingerprint: Buffer.from('0102', 'hex') }).toString('hex'), '04020102');
  });
});
