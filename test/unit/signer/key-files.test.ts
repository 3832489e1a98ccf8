/** Key files: 0600/0700 modes, layout, loading, and typed errors for missing/corrupt/mismatched files. */
import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, generateZoneKeys, keyFilePath, loadPrivateKey, loadSigningKey, loadZoneKeys, zoneDirName } from '../../../signer/key-files.js';
import { dnskeyRdata, keyTag } from '../../../signer/keys.js';
import { signRrset } from '../../../signer/rrsig.js';
import type { KeyRecord } from '../../../zone-store/types.js';
import { verifyRrsigIndependently } from '../../helpers/noble-verify.js';

describe('signer/key-files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idzone-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const asRecords = (keys: Omit<KeyRecord, 'id' | 'zoneId'>[]): KeyRecord[] => keys.map((k, i) => ({ ...k, id: i + 1, zoneId: 1 }));

  it('KSK + ZSK layout: flags, tags, modes 0600 / 0700', () => {
    const keys = generateZoneKeys(dir, 'example.com.', { layout: 'ksk-zsk', algorithm: 13, now: 1234 });
    assert.deepEqual(keys.map((k) => [k.role, k.flags, k.algorithm, k.state, k.createdAt]), [
      ['ksk', 257, 13, 'active', 1234],
      ['zsk', 256, 13, 'active', 1234],
    ]);
    for (const k of keys) {
      assert.equal(k.keyTag, keyTag(dnskeyRdata(k.flags, k.algorithm, k.publicKey)));
      assert.equal(k.privateFile, keyFilePath('example.com.', 13, k.keyTag));
      assert.match(k.privateFile, /^keys\/example\.com\/Kexample\.com\+013\+\d{5}\.pem$/);
      const full = join(dir, k.privateFile);
      assert.equal(statSync(full).mode & 0o777, 0o600);
      assert.match(readFileSync(full, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
    }
    assert.equal(statSync(join(dir, 'keys')).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'keys', 'example.com')).mode & 0o777, 0o700);
  });

  it('CSK layout with Ed25519; keys load back and sign', () => {
    const [csk] = generateZoneKeys(dir, 'example.org.', { layout: 'csk', algorithm: 15 });
    assert.ok(csk);
    assert.deepEqual([csk.role, csk.flags, csk.publicKey.length], ['csk', 257, 32]);
    const loaded = loadZoneKeys(dir, asRecords([csk]));
    assert.ok(loaded.ok);
    assert.equal(loaded.value.zsks.length, 1);
    assert.equal(loaded.value.ksks.length, 1);
    const key = loaded.value.zsks[0]!;
    const rdatas = [Buffer.from('030101' + '11'.repeat(32), 'hex')];
    const sig = signRrset({ owner: 'a.example.org.', type: 52, ttl: 60, rdatas }, key, { inception: 1, expiration: 2 }, 'example.org.');
    assert.equal(verifyRrsigIndependently({ rrsig: sig, owner: 'a.example.org.', type: 52, rdatas, dnskey: key.dnskeyRdata }), true);
  });

  it('only active keys sign; roles split KSK and ZSK', () => {
    const keys = asRecords(generateZoneKeys(dir, 'example.com.', { layout: 'ksk-zsk', algorithm: 13 }));
    const published = { ...generateKey(dir, 'example.com.', 'zsk', 13, 0), id: 9, zoneId: 1, state: 'published' as const };
    const loaded = loadZoneKeys(dir, [...keys, published]);
    assert.ok(loaded.ok);
    assert.deepEqual(loaded.value.ksks.map((k) => k.keyTag), [keys[0]!.keyTag]);
    assert.deepEqual(loaded.value.zsks.map((k) => k.keyTag), [keys[1]!.keyTag]);
  });

  it('missing key file gives ERR_SIGNER_KEY_MISSING', () => {
    const r = loadPrivateKey(dir, 'keys/example.com/Kexample.com+013+00001.pem');
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.code, 'ERR_SIGNER_KEY_MISSING');
    const [ksk] = asRecords(generateZoneKeys(dir, 'example.com.', { layout: 'csk', algorithm: 13 }));
    rmSync(join(dir, ksk!.privateFile));
    const z = loadZoneKeys(dir, [ksk!]);
    assert.equal(z.ok, false);
    assert.deepEqual(!z.ok && z.errors.map((e) => e.code), ['ERR_SIGNER_KEY_MISSING']);
  });

  it('corrupt key file gives ERR_SIGNER_KEY_CORRUPT without quoting the file', () => {
    const [k] = generateZoneKeys(dir, 'example.com.', { layout: 'csk', algorithm: 13 });
    const full = join(dir, k!.privateFile);
    const pem = readFileSync(full, 'utf8');
    const body = pem.split('\n')[1]!;
    writeFileSync(full, pem.replace(body, body.slice(0, 10) + 'AAAA' + body.slice(14)));
    const r = loadSigningKey(dir, k!);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.ok(['ERR_SIGNER_KEY_CORRUPT', 'ERR_SIGNER_KEY_MISMATCH'].includes(r.error.code));
      assert.ok(!r.error.message.includes(body.slice(0, 10)));
    }
    writeFileSync(full, 'not a key at all');
    const r2 = loadPrivateKey(dir, k!.privateFile);
    assert.equal(!r2.ok && r2.error.code, 'ERR_SIGNER_KEY_CORRUPT');
  });

  it('a key file that belongs to another key gives ERR_SIGNER_KEY_MISMATCH', () => {
    const [a] = generateZoneKeys(dir, 'a.example.', { layout: 'csk', algorithm: 13 });
    const [b] = generateZoneKeys(dir, 'b.example.', { layout: 'csk', algorithm: 15 });
    const r = loadSigningKey(dir, { ...a!, privateFile: b!.privateFile });
    assert.equal(!r.ok && r.error.code, 'ERR_SIGNER_KEY_MISMATCH');
    const r2 = loadSigningKey(dir, { ...a!, publicKey: generateZoneKeys(dir, 'c.example.', { layout: 'csk', algorithm: 13 })[0]!.publicKey });
    assert.equal(!r2.ok && r2.error.code, 'ERR_SIGNER_KEY_MISMATCH');
  });

  it('unreadable file gives ERR_SIGNER_KEY_UNREADABLE', function () {
    if (process.getuid?.() === 0) this.skip(); // root reads anything
    const [k] = generateZoneKeys(dir, 'example.com.', { layout: 'csk', algorithm: 13 });
    chmodSync(join(dir, k!.privateFile), 0o000);
    const r = loadPrivateKey(dir, k!.privateFile);
    assert.equal(!r.ok && r.error.code, 'ERR_SIGNER_KEY_UNREADABLE');
  });

  it('a directory in place of the file is unreadable, not a crash', () => {
    const r = loadPrivateKey(dir, '.');
    assert.equal(!r.ok && r.error.code, 'ERR_SIGNER_KEY_PATH');
    generateZoneKeys(dir, 'example.com.', { layout: 'csk', algorithm: 13 });
    const r2 = loadPrivateKey(dir, 'keys/example.com');
    assert.equal(!r2.ok && r2.error.code, 'ERR_SIGNER_KEY_UNREADABLE');
  });

  it('refuses paths outside the data directory', () => {
    for (const p of ['../etc/passwd', '/etc/passwd', 'keys/../../x.pem']) {
      const r = loadPrivateKey(dir, p);
      assert.equal(!r.ok && r.error.code, 'ERR_SIGNER_KEY_PATH', p);
    }
  });

  it('zone directory names are file-system safe', () => {
    assert.equal(zoneDirName('example.com.'), 'example.com');
    assert.equal(zoneDirName('.'), '_root');
    assert.equal(zoneDirName('a/b.example.'), 'a%2fb.example');
    assert.equal(zoneDirName('a\\.b.example.'), 'a%5c.b.example');
    const keys = generateZoneKeys(dir, 'a/b.example.', { layout: 'csk', algorithm: 13 });
    assert.ok(existsSync(join(dir, 'keys', 'a%2fb.example', `Ka%2fb.example+013+${String(keys[0]!.keyTag).padStart(5, '0')}.pem`)));
  });
});
