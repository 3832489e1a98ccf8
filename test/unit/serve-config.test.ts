/**
 * `idzone serve` configuration parsing (cli/serve-command.ts): the shard memory map option, from
 * the flag and from the environment, and its refusals.
 */
import { strict as assert } from 'node:assert';
import { parseServeConfig, tryHint } from '../../cli/serve-command.js';
import { UsageError } from '../../cli/args.js';
import { DEMO_DEVICE, DEMO_ZONE } from '../../cli/demo-zone.js';
import { RrType } from '../../core/rr-types.js';
import { createMemoryStore } from '../../zone-store/index.js';

describe('idzone serve configuration: --mmap-mb', () => {
  it('maps nothing by default', () => {
    assert.equal(parseServeConfig([], {}).mmapBytes, 0);
  });

  it('takes MiB from the flag or from IDZONE_MMAP_MB, the flag first', () => {
    assert.equal(parseServeConfig(['--mmap-mb', '512'], {}).mmapBytes, 512 * 1024 * 1024);
    assert.equal(parseServeConfig([], { IDZONE_MMAP_MB: '64' }).mmapBytes, 64 * 1024 * 1024);
    assert.equal(parseServeConfig(['--mmap-mb', '8'], { IDZONE_MMAP_MB: '64' }).mmapBytes, 8 * 1024 * 1024);
  });

  it('refuses what is not a whole number of MiB in range, naming the option', () => {
    for (const bad of ['-1', '1.5', 'lots', '99999999']) {
      assert.throws(() => parseServeConfig(['--mmap-mb', bad], {}), (e: unknown) => e instanceof UsageError && e.problems.some((p) => p.includes('--mmap-mb')), bad);
    }
  });
});

describe('idzone serve configuration: response rate limiting', () => {
  it('is off by default, with BIND-like defaults for the rest', () => {
    assert.deepEqual(parseServeConfig([], {}).rrl, { rate: 0, slip: 2, ipv4PrefixLength: 24, ipv6PrefixLength: 56, maxBuckets: 100_000, exempt: [] });
  });

  it('takes every setting from flags or the environment', () => {
    const cfg = parseServeConfig(['--rrl-rate', '20', '--rrl-slip', '1', '--rrl-ipv4-prefix', '32', '--rrl-exempt', '192.0.2.0/24, 2001:db8::1'], { IDZONE_RRL_IPV6_PREFIX: '64', IDZONE_RRL_TABLE_SIZE: '5000' });
    assert.deepEqual(cfg.rrl, { rate: 20, slip: 1, ipv4PrefixLength: 32, ipv6PrefixLength: 64, maxBuckets: 5000, exempt: ['192.0.2.0/24', '2001:db8::1'] });
  });

  it('refuses bad values, naming the option', () => {
    const cases: [string, string][] = [
      ['--rrl-rate', '-5'],
      ['--rrl-slip', '11'],
      ['--rrl-ipv4-prefix', '33'],
      ['--rrl-ipv6-prefix', '200'],
      ['--rrl-table-size', '0'],
      ['--rrl-exempt', '10.0.0.0/8,not-an-address'],
    ];
    for (const [flag, bad] of cases) {
      assert.throws(() => parseServeConfig([flag, bad], {}), (e: unknown) => e instanceof UsageError && e.problems.some((p) => p.includes(flag)), `${flag} ${bad}`);
    }
  });
});

describe('idzone serve configuration: --dns-cookies', () => {
  it('is on by default, off when asked, and refuses anything else', () => {
    assert.equal(parseServeConfig([], {}).dnsCookies, true);
    assert.equal(parseServeConfig(['--dns-cookies', 'off'], {}).dnsCookies, false);
    assert.equal(parseServeConfig([], { IDZONE_DNS_COOKIES: 'off' }).dnsCookies, false);
    assert.throws(() => parseServeConfig(['--dns-cookies', 'maybe'], {}), (e: unknown) => e instanceof UsageError && e.problems.some((p) => p.includes('--dns-cookies')));
  });
});

describe('idzone serve start-up banner: the query to try', () => {
  const kdig = 'kdig @127.0.0.1 -p 5300';
  const tlsa = { type: RrType.TLSA, ttl: 60, rdatas: [Buffer.from('030101' + 'ab'.repeat(32), 'hex')] };

  it('names the demo device while the demo zone holds it', () => {
    const store = createMemoryStore();
    store.createZone(DEMO_ZONE);
    store.applyChanges(DEMO_ZONE, [{ op: 'put', owner: DEMO_DEVICE, rrsets: [tlsa] }]);
    assert.equal(tryHint(store, kdig, '127.0.0.1:8053'), `try: ${kdig} ${DEMO_DEVICE.replace(/\.$/, '')} TLSA +dnssec`);
  });

  it('falls back to the first zone\'s SOA when the demo device is gone, or to creating a zone', () => {
    const store = createMemoryStore();
    assert.match(tryHint(store, kdig, '127.0.0.1:8053'), /^no zones yet: POST http:\/\/127\.0\.0\.1:8053\/api\/v1\/zones/);
    store.createZone('_device.other.example.');
    assert.equal(tryHint(store, kdig, '127.0.0.1:8053'), `try: ${kdig} _device.other.example. SOA +dnssec`);
    store.createZone(DEMO_ZONE);
    assert.equal(tryHint(store, kdig, '127.0.0.1:8053'), `try: ${kdig} ${store.listZones()[0]!.name} SOA +dnssec`);
  });
});

describe('idzone serve configuration: every problem at once', () => {
  it('reports unknown options, missing values and bad values together', () => {
    assert.throws(
      () => parseServeConfig(['--bogus', '--workers', 'zero', '--dns', 'nope', '--rrl-rate', '-3', '--api'], {}),
      (e: unknown) => {
        assert.ok(e instanceof UsageError);
        for (const p of ['unknown option --bogus', '--api needs a value', '--workers', '--dns', '--rrl-rate']) assert.ok(e.problems.some((x) => x.includes(p)), `${p} in ${e.problems.join(' | ')}`);
        return true;
      },
    );
  });

  it('never takes the next option as a value: --data-dir --log-level debug is refused, not a directory named --log-level', () => {
    assert.throws(
      () => parseServeConfig(['--data-dir', '--log-level', 'debug'], {}),
      (e: unknown) => e instanceof UsageError && e.problems.some((x) => x.includes('--data-dir needs a value')),
    );
    assert.equal(parseServeConfig(['--data-dir=--odd-name'], {}).dataDir, '--odd-name');
  });
});
