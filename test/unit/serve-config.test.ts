/**
 * `idzone serve` configuration parsing (cli/serve-command.ts): the shard memory map option, from
 * the flag and from the environment, and its refusals.
 */
import { strict as assert } from 'node:assert';
import { parseServeConfig } from '../../cli/serve-command.js';
import { UsageError } from '../../cli/args.js';

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
