/**
 * Response rate limiting (server/query/rate-limit.ts) with a hand-driven clock: the token bucket,
 * slip, client prefixes, response classes, the exempt list and the bounded table.
 */
import { strict as assert } from 'node:assert';
import { RRL_DEFAULTS, RrlAction, RrlClass, ResponseRateLimiter, checkRrlConfig, clientPrefix, type RrlConfig } from '../../../server/query/rate-limit.js';

function limiter(over: Partial<RrlConfig>): { rrl: ResponseRateLimiter; clock: { ms: number } } {
  const clock = { ms: 1_000_000 };
  return { rrl: new ResponseRateLimiter({ ...RRL_DEFAULTS, rate: 5, ...over }, () => clock.ms), clock };
}

/** The actions for `n` answers of one class about one name from one address, in order. */
function burst(rrl: ResponseRateLimiter, n: number, address = '192.0.2.1', cls: (typeof RrlClass)[keyof typeof RrlClass] = RrlClass.NXDOMAIN, name = 'zone.example.'): number[] {
  return Array.from({ length: n }, () => rrl.check(address, cls, name, 0));
}

const { SEND: S, SLIP: T, DROP: D } = RrlAction;

describe('response rate limiting', () => {
  it('sends `rate` answers a second, then drops them, slipping every slip-th one', () => {
    const { rrl } = limiter({ slip: 2 });
    assert.deepEqual(burst(rrl, 11), [S, S, S, S, S, D, T, D, T, D, T]);
    assert.deepEqual(rrl.stats, { buckets: 1, slipped: 3, dropped: 3 });
  });

  it('refills at `rate` per second, never beyond one second of burst', () => {
    const { rrl, clock } = limiter({ slip: 0 });
    burst(rrl, 5);
    clock.ms += 400; // 2 tokens
    assert.deepEqual(burst(rrl, 3), [S, S, D]);
    clock.ms += 60_000; // long idle: still only `rate` at once
    assert.deepEqual(burst(rrl, 7), [S, S, S, S, S, D, D]);
  });

  it('slip 0 drops every limited answer, slip 1 truncates every one', () => {
    assert.deepEqual(burst(limiter({ slip: 0 }).rrl, 8), [S, S, S, S, S, D, D, D]);
    assert.deepEqual(burst(limiter({ slip: 1 }).rrl, 8), [S, S, S, S, S, T, T, T]);
  });

  it('never slips error answers (a slip would be no smaller)', () => {
    const { rrl } = limiter({ slip: 1 });
    assert.deepEqual(burst(rrl, 7, '192.0.2.1', RrlClass.ERROR, ''), [S, S, S, S, S, D, D]);
  });

  it('counts a whole client prefix as one client: /24 and /56 by default, IPv4-mapped as IPv4', () => {
    const { rrl } = limiter({ slip: 0 });
    burst(rrl, 5, '192.0.2.1');
    assert.equal(rrl.check('192.0.2.200', RrlClass.NXDOMAIN, 'zone.example.', 0), D);
    assert.equal(rrl.check('::ffff:192.0.2.9', RrlClass.NXDOMAIN, 'zone.example.', 0), D);
    assert.equal(rrl.check('192.0.3.1', RrlClass.NXDOMAIN, 'zone.example.', 0), S);
    burst(rrl, 5, '2001:db8:0:1200::1');
    assert.equal(rrl.check('2001:db8:0:12ff:ffff::2', RrlClass.NXDOMAIN, 'zone.example.', 0), D);
    assert.equal(rrl.check('2001:db8:0:1300::1', RrlClass.NXDOMAIN, 'zone.example.', 0), S);
  });

  it('masks addresses to their prefix', () => {
    assert.equal(clientPrefix('192.0.2.77', 24, 56), '192.0.2.0/24');
    assert.equal(clientPrefix('192.0.2.77', 32, 56), '192.0.2.77/32');
    assert.equal(clientPrefix('10.255.1.2', 8, 56), '10.0.0.0/8');
    assert.equal(clientPrefix('::ffff:198.51.100.3', 24, 56), '198.51.100.0/24');
    assert.equal(clientPrefix('2001:db8:aaaa:bbcc::1', 24, 56), '2001:db8:aaaa:bb00:0:0:0:0/56');
    assert.equal(clientPrefix('2001:db8::1', 24, 128), '2001:db8:0:0:0:0:0:1/128');
    assert.equal(clientPrefix('fe80::1%eth0', 24, 64), 'fe80:0:0:0:0:0:0:0/64');
    assert.equal(clientPrefix('::', 24, 56), '0:0:0:0:0:0:0:0/56');
  });

  it('keeps classes, names and types apart, so one limited answer does not limit another', () => {
    const { rrl } = limiter({ slip: 0 });
    burst(rrl, 6, '192.0.2.1', RrlClass.ANSWER, 'a.zone.example.');
    assert.equal(rrl.check('192.0.2.1', RrlClass.ANSWER, 'b.zone.example.', 52), S);
    assert.equal(rrl.check('192.0.2.1', RrlClass.ANSWER, 'a.zone.example.', 44), S);
    assert.equal(rrl.check('192.0.2.1', RrlClass.NODATA, 'a.zone.example.', 0), S);
    assert.equal(rrl.check('192.0.2.1', RrlClass.NXDOMAIN, 'zone.example.', 0), S);
  });

  it('never limits exempt addresses and prefixes', () => {
    const { rrl } = limiter({ slip: 0, exempt: ['127.0.0.0/8', '2001:db8::/32', '192.0.2.9'] });
    assert.ok(burst(rrl, 50, '127.0.0.1').every((a) => a === S));
    assert.ok(burst(rrl, 50, '::ffff:127.0.0.1').every((a) => a === S));
    assert.ok(burst(rrl, 50, '2001:db8:1::5').every((a) => a === S));
    assert.ok(burst(rrl, 50, '192.0.2.9').every((a) => a === S));
    assert.deepEqual(burst(rrl, 6, '192.0.2.10'), [S, S, S, S, S, D]);
  });

  it('keeps at most maxBuckets buckets, evicting the least recently used', () => {
    const { rrl } = limiter({ slip: 0, maxBuckets: 100 });
    burst(rrl, 5, '198.51.100.1'); // exhausted
    for (let i = 0; i < 1000; i++) {
      rrl.check(`10.${i >> 8}.${i & 255}.1`, RrlClass.NXDOMAIN, 'zone.example.', 0);
      // Kept in use, the exhausted bucket survives the churn and stays limited.
      if (i % 50 === 0) assert.equal(rrl.check('198.51.100.1', RrlClass.NXDOMAIN, 'zone.example.', 0), D);
    }
    assert.equal(rrl.stats.buckets, 100);
  });

  it('refuses configurations out of range, naming the setting', () => {
    assert.deepEqual(checkRrlConfig(RRL_DEFAULTS), []);
    const bad = checkRrlConfig({ ...RRL_DEFAULTS, rate: -1, slip: 11, ipv4PrefixLength: 33, ipv6PrefixLength: 8, maxBuckets: 0, exempt: ['10.0.0.0/33', 'example.com', '1.2.3.4/x'] });
    for (const word of ['rate', 'slip', 'IPv4 prefix', 'IPv6 prefix', 'table size', '10.0.0.0/33', 'example.com', '1.2.3.4/x']) {
      assert.ok(bad.some((p) => p.includes(word)), `${word}: ${bad.join('; ')}`);
    }
    assert.throws(() => new ResponseRateLimiter({ ...RRL_DEFAULTS, slip: -1 }), /slip/);
  });
});
