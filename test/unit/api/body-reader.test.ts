import assert from 'node:assert/strict';
import { LineSplitter, parseJsonBytes } from '../../../api/body-reader.js';
import { jsonErrorOffset } from '../../../api/json-error-offset.js';
import { createApiConfig } from '../../../api/api-config.js';

describe('api/json-error-offset', () => {
  const cases: [string, number][] = [
    ['{"a":}', 5],
    ['{"a":1,}', 7],
    ['[1,2', 4],
    ['{"a":tru}', 5 + 3],
    ['{"a":"\\x"}', 7],
    ['{"a":1} x', 8],
    ['', 0],
    ['{"a":01}', 6],
  ];
  for (const [text, at] of cases) {
    it(`locates the error in ${JSON.stringify(text)} at ${at}`, () => {
      assert.throws(() => JSON.parse(text));
      assert.equal(jsonErrorOffset(text), at);
    });
  }

  it('survives deep nesting without overflowing the stack', () => {
    const text = '['.repeat(100_000);
    assert.equal(jsonErrorOffset(text), 1001);
  });

  it('parseJsonBytes reports position, line and column', () => {
    const r = parseJsonBytes(Buffer.from('{\n  "a": ,\n}'));
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.problem.detail, /position 9 \(line 2, column 8\)/);
    const u = parseJsonBytes(Buffer.from([0x7b, 0xff, 0x7d]));
    assert.equal(u.ok, false);
  });
});

describe('api/body-reader: LineSplitter', () => {
  it('splits across chunks, numbers lines, drops CR, flags overlong lines without holding them', () => {
    const got: [number, string | undefined, string | undefined][] = [];
    const s = new LineSplitter(8, (n, t, p) => got.push([n, t, p]));
    s.push(Buffer.from('ab'));
    s.push(Buffer.from('c\r\n0123456789abcdef'));
    s.push(Buffer.from('xyz\n\nlast'));
    s.end();
    assert.deepEqual(got, [
      [1, 'abc', undefined],
      [2, undefined, 'line longer than 8 bytes'],
      [3, '', undefined],
      [4, 'last', undefined],
    ]);
  });

  it('reads whole lines inside one chunk like split ones: CR, the length limit, UTF-8 and bad UTF-8', () => {
    const got: [number, string | undefined, string | undefined][] = [];
    const s = new LineSplitter(8, (n, t, p) => got.push([n, t, p]));
    const bad = Buffer.from([0x61, 0xff, 0x62, 0x0a]);
    s.push(Buffer.concat([Buffer.from('12345678\n123456789\r\n\r\nh\u00e9\u20ac\n\ufeffa\n'), bad, Buffer.from('ok\r\nta')]));
    s.push(Buffer.from('il\n'));
    s.end();
    assert.deepEqual(got, [
      [1, '12345678', undefined],
      [2, undefined, 'line longer than 8 bytes'],
      [3, '', undefined],
      [4, 'h\u00e9\u20ac', undefined],
      [5, 'a', undefined],
      [6, undefined, 'line is not valid UTF-8'],
      [7, 'ok', undefined],
      [8, 'tail', undefined],
    ]);
  });
});

describe('api/api-config', () => {
  it('defaults, freezes, and lists every bad key at once', () => {
    const good = createApiConfig({ metricsAccess: 'token' });
    assert.ok(good.ok);
    if (good.ok) {
      assert.equal(good.config.maxBodyBytes, 1024 * 1024);
      assert.equal(good.config.metricsAccess, 'token');
      assert.ok(Object.isFrozen(good.config));
    }
    const badCfg = createApiConfig({ maxBodyBytes: -1, healthAccess: 'maybe', typo: 1 });
    assert.equal(badCfg.ok, false);
    if (!badCfg.ok) assert.equal(badCfg.errors.length, 3);
  });
});
