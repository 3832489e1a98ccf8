/**
 * The signer's import boundary (STYLE.md "a pure core", ARCHITECTURE.md dependencies): node:
 * built-ins, core/, its own files, and type-only imports of the zone-store contract. No SQLite,
 * no sockets, no HTTP. Threads only in the signing pool and its worker.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SIGNER_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../../signer');
const ALLOWED_NODE = new Set(['node:crypto', 'node:fs', 'node:path', 'node:worker_threads']);
const FS_ALLOWED_IN = new Set(['key-files.ts']);
const THREADS_ALLOWED_IN = new Set(['signing-pool.ts', 'signing-worker.ts']);

describe('signer import boundary', () => {
  const files = readdirSync(SIGNER_DIR).filter((f) => f.endsWith('.ts'));
  it('finds the sources', () => assert.ok(files.length >= 10));
  for (const file of files) {
    it(file, () => {
      const src = readFileSync(join(SIGNER_DIR, file), 'utf8');
      for (const m of src.matchAll(/^(import|export)( type)?[^'"]*from '([^']+)'/gm)) {
        const typeOnly = m[2] !== undefined;
        const spec = m[3]!;
        if (spec.startsWith('./') || spec.startsWith('../core/')) continue;
        if (spec === '../zone-store/types.js' && typeOnly) continue;
        if (spec.startsWith('node:')) {
          assert.ok(ALLOWED_NODE.has(spec), `${file} imports ${spec}`);
          if (spec === 'node:worker_threads') assert.ok(THREADS_ALLOWED_IN.has(file), `${file} may not start threads`);
          else if (spec !== 'node:crypto') assert.ok(FS_ALLOWED_IN.has(file), `${file} may not touch the file system`);
          continue;
        }
        assert.fail(`${file} imports ${spec}${typeOnly ? ' (type)' : ''}`);
      }
    });
  }
});
