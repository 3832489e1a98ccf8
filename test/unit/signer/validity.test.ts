/** Signature windows: backdating, hourly quantisation, jitter, 25 % refresh rule, RFC 1982 times. */
import { strict as assert } from 'node:assert';
import { SignerError } from '../../../signer/errors.js';
import { compareSigTime, DEFAULT_VALIDITY, isDueForRefresh, isWithinWindow, jitterSeconds, resolveValidityConfig, signatureWindow } from '../../../signer/validity.js';

const NOW = 1_767_225_600 + 30 * 60 + 17; // 2026-01-01 00:30:17 UTC
const DAY = 86400;

describe('signer/validity', () => {
  it('inception is at least an hour back and on the hour', () => {
    const w = signatureWindow(NOW, 'a.example.com.');
    assert.equal(w.inception % 3600, 0);
    assert.ok(NOW - w.inception >= 3600 && NOW - w.inception < 7200);
  });
  it('signatures made within the same hour share the window', () => {
    const hourStart = NOW - (NOW % 3600);
    const a = signatureWindow(hourStart, 'a.example.com.');
    const b = signatureWindow(hourStart + 3599, 'a.example.com.');
    assert.deepEqual(a, b);
    assert.notDeepEqual(signatureWindow(hourStart + 3600, 'a.example.com.'), a);
  });
  it('expiration is 14 days plus at most 10 % jitter, deterministic per key', () => {
    const w = signatureWindow(NOW, 'a.example.com.');
    const extra = w.expiration - w.inception - 14 * DAY;
    assert.ok(extra >= 0 && extra <= 1.4 * DAY);
    assert.deepEqual(signatureWindow(NOW, 'a.example.com.'), w);
  });
  it('jitter spreads expirations across owners', () => {
    const values = new Set<number>();
    for (let i = 0; i < 200; i++) values.add(jitterSeconds(`n${i}.example.com.`));
    assert.ok(values.size > 190);
    const max = Math.max(...values);
    assert.ok(max <= DEFAULT_VALIDITY.validitySeconds * 0.1 && max > DEFAULT_VALIDITY.validitySeconds * 0.08);
  });
  it('configurable validity, jitter can be turned off', () => {
    const c = resolveValidityConfig({ validitySeconds: 2 * DAY, jitterFraction: 0 });
    const w = signatureWindow(NOW, 'x.', c);
    assert.equal(w.expiration - w.inception, 2 * DAY);
  });
  it('rejects bad configs listing every problem', () => {
    assert.throws(
      () => resolveValidityConfig({ validitySeconds: 10, jitterFraction: 2, refreshFraction: 0 }),
      (e: unknown) => e instanceof SignerError && /validitySeconds/.test(e.message) && /jitterFraction/.test(e.message) && /refreshFraction/.test(e.message),
    );
  });
  it('due for refresh once less than 25 % of validity remains', () => {
    const w = { inception: 1_000_000, expiration: 1_000_000 + 100 * 3600 };
    assert.equal(isDueForRefresh(w, w.inception + 74 * 3600), false);
    assert.equal(isDueForRefresh(w, w.inception + 75 * 3600 + 1), true);
    assert.equal(isDueForRefresh(w, w.expiration + 10), true);
  });
  it('refresh and window checks survive the 2106 wrap of 32-bit time', () => {
    const inception = 0xffff0000;
    const expiration = (inception + 100 * 3600) >>> 0; // wraps past 2^32
    assert.ok(expiration < inception);
    const w = { inception, expiration };
    const soon = inception + 3600; // still before the wrap
    assert.equal(isDueForRefresh(w, soon), false);
    assert.equal(isWithinWindow(w, soon), true);
    assert.equal(isDueForRefresh(w, inception + 99 * 3600), true);
    assert.equal(isWithinWindow(w, inception + 99 * 3600), true);
    assert.equal(isWithinWindow(w, inception + 101 * 3600), false);
  });
  it('RFC 1982 comparison of 32-bit times', () => {
    assert.ok(compareSigTime(1, 2) < 0);
    assert.ok(compareSigTime(0xffffffff, 1) < 0);
    assert.ok(compareSigTime(1, 0xffffffff) > 0);
    assert.equal(compareSigTime(5, 5), 0);
  });
});
