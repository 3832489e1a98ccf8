/**
 * cli/writer-lock.ts against real processes: a live holder is refused with its pid; the lock of a
 * process killed with SIGKILL is free at once (the kernel drops it); two processes starting
 * together on a dead holder's lock file never both get it; within one process it is re-entrant.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { acquireWriterLock, WriterLockError } from '../../cli/writer-lock.js';

const LOCK_MODULE = pathToFileURL(join(process.cwd(), 'dist', 'cli', 'writer-lock.js')).href;

/** A process that tries to take the lock at `at` (ms since epoch), prints GOT or REFUSED, then holds it `holdMs`. */
function holder(dir: string, at: number, holdMs: number): { child: ChildProcess; result: Promise<string> } {
  const code = `const { acquireWriterLock } = await import(${JSON.stringify(LOCK_MODULE)});
while (Date.now() < ${at}) {}
let r = 'REFUSED';
try { acquireWriterLock(${JSON.stringify(dir)}, 'test holder'); r = 'GOT'; } catch {}
process.stdout.write(r + '\\n');
setTimeout(() => process.exit(0), ${holdMs});`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const result = new Promise<string>((resolve) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', () => resolve(out.trim()));
  });
  return { child, result };
}

describe('writer lock', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idzone-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses while a live process holds it, naming the pid; free at once after that process is killed', async () => {
    const h = holder(dir, 0, 60_000);
    assert.equal(await h.result, 'GOT');
    assert.throws(() => acquireWriterLock(dir, 'second'), (e: unknown) => e instanceof WriterLockError && e.message.includes(`process ${h.child.pid} (test holder)`));
    h.child.kill('SIGKILL');
    await new Promise((r) => h.child.once('exit', r));
    const lock = acquireWriterLock(dir, 'after the kill');
    lock.release();
  });

  it('two processes starting together on a dead holder\'s lock file: exactly one gets it', async () => {
    for (let round = 0; round < 3; round++) {
      writeFileSync(join(dir, 'writer.lock'), '999999\nidzone serve\n');
      const at = Date.now() + 600;
      const a = holder(dir, at, 1500);
      const b = holder(dir, at, 1500);
      const results = (await Promise.all([a.result, b.result])).sort();
      assert.deepEqual(results, ['GOT', 'REFUSED'], `round ${round}`);
      await Promise.all([a, b].map((x) => new Promise((r) => (x.child.exitCode !== null ? r(undefined) : x.child.once('exit', r)))));
    }
  });

  it('is re-entrant within a process and released with its last holder', async () => {
    const first = acquireWriterLock(dir, 'outer');
    const second = acquireWriterLock(dir, 'inner');
    second.release();
    const blocked = holder(dir, 0, 0);
    assert.equal(await blocked.result, 'REFUSED');
    first.release();
    const free = holder(dir, 0, 0);
    assert.equal(await free.result, 'GOT');
  });

  it('a damaged lock file is named, with what to do (SQLite said only "file is not a database")', () => {
    writeFileSync(join(dir, 'writer.lock.sqlite'), Buffer.alloc(4096, 0x5a));
    assert.throws(
      () => acquireWriterLock(dir, 'test'),
      (e: unknown) => e instanceof WriterLockError && e.message.includes(join(dir, 'writer.lock.sqlite')) && /delete it once no idzone process uses/.test(e.message),
    );
  });
});
