/**
 * `idzone serve` exits non-zero when it cannot start (here: its DNS port is taken), with a signing
 * thread too, whose worker thread, the re-signer and the rollover timer used to keep the process
 * alive, so a supervisor never saw the failure.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(process.cwd(), 'bin', 'idzone.js');

describe('idzone serve when it cannot start', function () {
  this.timeout(30_000);
  for (const threads of ['0', '1']) {
    it(`exits with status 1 when the DNS port is taken (--signing-threads ${threads})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'idzone-busy-'));
      const blocker = net.createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
      const port = (blocker.address() as net.AddressInfo).port;
      try {
        const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', join(dir, 'data'), '--dns', `127.0.0.1:${port}`, '--api', '127.0.0.1:0', '--signing-threads', threads, '--log-level', 'error'], { stdio: 'ignore' });
        const code = await new Promise<number | null>((resolve) => {
          const timer = setTimeout(() => {
            child.kill('SIGKILL');
            resolve(null);
          }, 20_000);
          child.once('exit', (c) => {
            clearTimeout(timer);
            resolve(c);
          });
        });
        assert.equal(code, 1);
      } finally {
        blocker.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
