/**
 * The CLI's refusals of arguments it would otherwise misread (exit 2, nothing done): a value that
 * is really the next option, words left over after the options (`--write false`), and options a
 * subcommand does not take.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../cli/idzone.js';
import { openSqliteStore } from '../../zone-store/sqlite-zone-store.js';

async function quietly(args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => ((err += String(c)), true)) as typeof process.stderr.write;
  try {
    return { code: await runCli(args), err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

describe('cli: arguments that would be misread are refused', function () {
  this.timeout(30_000);
  let dir: string;
  let dataDir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'idzone-cliargs-'));
    dataDir = join(dir, 'data');
    assert.equal((await quietly(['zone', 'create', '--data-dir', dataDir, 'z.example.'])).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('token create --write false makes no token', async () => {
    const r = await quietly(['token', 'create', '--data-dir', dataDir, '--zone', '*', '--write', 'false']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unexpected argument\(s\): false/);
    const store = openSqliteStore(dataDir, { readonly: true });
    try {
      assert.equal(store.listTokens().length, 0);
    } finally {
      store.close();
    }
  });

  it('an option where a value belongs is not taken as the value', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const r = await quietly(['zone', 'create', '--data-dir', '--csk', 'y.example.']);
      assert.equal(r.code, 2);
      assert.match(r.err, /--data-dir needs a value/);
      assert.ok(!existsSync(join(dir, '--csk')));
    } finally {
      process.chdir(cwd);
    }
  });

  it('zone list, export: no stray words; zone list: no create options', async () => {
    assert.equal((await quietly(['zone', 'list', '--data-dir', dataDir, 'extra'])).code, 2);
    assert.equal((await quietly(['export', '--data-dir', dataDir, '--zone', 'z.example.', 'extra'])).code, 2);
    const r = await quietly(['zone', 'list', '--data-dir', dataDir, '--csk']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown option --csk/);
  });

  it('a reader that goes away (| head -1) ends a command quietly with 0, not with an EPIPE stack trace', async () => {
    const bin = fileURLToPath(new URL('../../../bin/idzone.js', import.meta.url));
    // More than a pipe holds (64 KiB), so the writer is still writing when the reader goes.
    const file = join(dir, 'names.ndjson');
    const data = 'ab'.repeat(32);
    writeFileSync(file, Array.from({ length: 1500 }, (_, i) => JSON.stringify({ name: `n${i}`, tlsa: [{ usage: 3, selector: 1, matchingType: 1, data }] })).join('\n'));
    assert.equal((await quietly(['import', '--zone', 'z.example.', '--data-dir', dataDir, file])).code, 0);
    for (const args of [['export', '--zone', 'z.example.', '--data-dir', dataDir]]) {
      const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(err, '', `${args.join(' ')}: ${err}`);
      assert.equal(code, 0, args.join(' '));
    }
  });
});
