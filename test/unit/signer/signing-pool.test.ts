/**
 * The signing pool (signer/signing-pool.ts): signatures made on threads verify with @noble/curves;
 * a burst in one turn is one batch per thread; the bound refuses instead of queueing; a dead thread
 * fails its jobs and is replaced; close() fails what is left. And ZoneSigner.signRrsetOnPool gives
 * the same RRSIG fields as inline signing.
 */
import { strict as assert } from 'node:assert';
import { RrType } from '../../../core/rr-types.js';
import { createSigningKey, dnskeyRdata, generateKeyPair, type SigningKey } from '../../../signer/index.js';
import { nsec3Cover } from '../../../signer/nsec3.js';
import { parseRrsig } from '../../../signer/rrsig.js';
import { SigningPool } from '../../../signer/signing-pool.js';
import { ZoneSigner } from '../../../signer/zone-signer.js';
import { verifyRrsigIndependently } from '../../helpers/noble-verify.js';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { createHash, createPrivateKey } from 'node:crypto';

const APEX = 'example.com.';
const NOW = 1_767_225_600;

function key(alg: 13 | 15, flags: number): SigningKey {
  const k = generateKeyPair(alg);
  return createSigningKey(k.privateKey, dnskeyRdata(flags, alg, k.publicKey));
}

function rawVerifies(k: SigningKey, data: Buffer, sig: Buffer): boolean {
  const pub = k.dnskeyRdata.subarray(4);
  if (k.algorithm === 13) return p256.verify(sig, createHash('sha256').update(data).digest(), Buffer.concat([Buffer.from([4]), pub]), { prehash: false, lowS: false });
  return ed25519.verify(sig, data, pub);
}

describe('signer/signing-pool', function () {
  this.timeout(20_000);
  let pool: SigningPool;
  afterEach(async () => pool?.close());

  it('signs on a thread with P-256 and Ed25519; every signature verifies with @noble/curves', async () => {
    pool = new SigningPool({ threads: 2 });
    const keys = [key(13, 256), key(15, 256)];
    const jobs: Promise<[SigningKey, Buffer, Buffer]>[] = [];
    for (let i = 0; i < 200; i++) {
      const k = keys[i % 2]!;
      const data = Buffer.from(`record ${i}`);
      const p = pool.sign(k.algorithm, k.privateKey, data);
      assert.ok(p, 'the pool takes the job');
      jobs.push(p.then((sig) => [k, data, sig]));
    }
    for (const [k, data, sig] of await Promise.all(jobs)) {
      assert.equal(sig.length, 64);
      assert.ok(rawVerifies(k, data, sig), `signature for ${data.toString()} verifies`);
    }
    assert.equal(pool.stats.signed, 200);
    assert.equal(pool.stats.inFlight, 0);
  });

  it('gives a reloaded key (a new KeyObject of the same key) its old id: 200 reloads of two keys are two keys', async () => {
    pool = new SigningPool({ threads: 1 });
    const keys = [key(13, 256), key(15, 256)];
    const pems = keys.map((k) => k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const jobs: Promise<[SigningKey, Buffer, Buffer]>[] = [];
    for (let i = 0; i < 200; i++) {
      const k = keys[i % 2]!;
      const reloaded = createPrivateKey(pems[i % 2]!);
      const data = Buffer.from(`reload ${i}`);
      jobs.push(pool.sign(k.algorithm, reloaded, data)!.then((sig) => [k, data, sig]));
    }
    for (const [k, data, sig] of await Promise.all(jobs)) assert.ok(rawVerifies(k, data, sig));
    assert.equal(pool.stats.keys, 2);
  });

  it('key ids past 16 bits work (ids were 16-bit: the 65,536th key made every signing throw)', async () => {
    pool = new SigningPool({ threads: 1, firstKeyId: 65_530 });
    const keys = Array.from({ length: 12 }, (_, i) => key(i % 2 === 0 ? 13 : 15, 256));
    const sigs = await Promise.all(keys.map((k, i) => pool.sign(k.algorithm, k.privateKey, Buffer.from([i]))!));
    keys.forEach((k, i) => assert.ok(rawVerifies(k, Buffer.from([i]), sigs[i]!), `key ${i}`));
    assert.equal(pool.stats.keys, 12);
  });

  it('refuses (undefined) past maxInFlight, and takes work again once it drains', async () => {
    pool = new SigningPool({ threads: 1, maxInFlight: 3 });
    const k = key(13, 256);
    const taken = [1, 2, 3].map((i) => pool.sign(k.algorithm, k.privateKey, Buffer.from([i])));
    assert.ok(taken.every((p) => p !== undefined));
    assert.equal(pool.sign(k.algorithm, k.privateKey, Buffer.from([4])), undefined);
    assert.equal(pool.stats.refused, 1);
    await Promise.all(taken);
    assert.ok(pool.sign(k.algorithm, k.privateKey, Buffer.from([5])));
  });

  it('a thread that dies fails its jobs (callers fall back) and is replaced', async () => {
    const errors: string[] = [];
    pool = new SigningPool({ threads: 1, onError: (m) => errors.push(m) });
    const k = key(13, 256);
    assert.ok(await pool.sign(k.algorithm, k.privateKey, Buffer.from('warm-up')));
    const p = pool.sign(k.algorithm, k.privateKey, Buffer.from('doomed'));
    assert.ok(p);
    const settled = p.then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    // Kill the thread from outside, as a crash would.
    const internals = pool as unknown as { threads: { worker: { terminate(): Promise<number> } }[] };
    await internals.threads[0]!.worker.terminate();
    const outcome = await settled;
    assert.ok(outcome === 'resolved' || /signing thread failed/.test(outcome), outcome);
    const data = Buffer.from('after the restart');
    const again = pool.sign(k.algorithm, k.privateKey, data);
    assert.ok(again, 'the pool is still available');
    assert.ok(rawVerifies(k, data, await again), 'the replacement thread got the key again');
    assert.ok(errors.some((m) => /signing thread failed/.test(m)));
  });

  it('without threads it is unavailable and refuses every job', () => {
    pool = new SigningPool({ threads: 0 });
    const k = key(13, 256);
    assert.equal(pool.available, false);
    assert.equal(pool.sign(k.algorithm, k.privateKey, Buffer.from('x')), undefined);
  });

  it('close() rejects jobs still in flight and makes the pool unavailable', async () => {
    pool = new SigningPool({ threads: 1 });
    const k = key(13, 256);
    const p = pool.sign(k.algorithm, k.privateKey, Buffer.from('late'));
    assert.ok(p);
    const settled = p.then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    await pool.close();
    const outcome = await settled;
    // The job either finished before close or was rejected by it; never left hanging.
    assert.ok(outcome === 'resolved' || /closed/.test(outcome), outcome);
    assert.equal(pool.available, false);
  });

  it('ZoneSigner.signRrsetOnPool: the RRSIG of an NSEC3 cover, as inline signing would make it', async () => {
    pool = new SigningPool({ threads: 1 });
    const zsk = key(13, 256);
    const signer = new ZoneSigner(APEX, { ksks: [key(13, 257)], zsks: [zsk] }, { clock: () => NOW });
    const rec = nsec3Cover(APEX, 'nosuch.example.com.');
    const onPool = await signer.signRrsetOnPool(pool, rec.owner, RrType.NSEC3, 60, [rec.rdata]);
    assert.ok(onPool);
    const inline = signer.signRrsetNow(rec.owner, RrType.NSEC3, 60, [rec.rdata]);
    assert.equal(onPool.length, 1);
    assert.deepEqual(parseRrsig(onPool[0]!), { ...parseRrsig(inline[0]!)!, signature: parseRrsig(onPool[0]!)!.signature });
    assert.ok(verifyRrsigIndependently({ rrsig: onPool[0]!, owner: rec.owner, type: RrType.NSEC3, rdatas: [rec.rdata], dnskey: zsk.dnskeyRdata, now: NOW }));
  });
});
