/**
 * Shared test data for the import/export tests: digests of the right lengths, a real SubjectPublicKeyInfo
 * (TLSA 3 1 0 carries it in full), a temporary-directory helper and a store factory.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A SHA-256-sized digest (TLSA matching type 1). */
export const HEX32 = 'ab'.repeat(32);
/** A SHA-512-sized digest (TLSA matching type 2). */
export const HEX64 = 'cd'.repeat(64);
/** A SHA-256 SSHFP fingerprint (type 2). */
export const SSHFP_HEX = 'ef'.repeat(32);

/** Hex DER of a fresh P-256 SubjectPublicKeyInfo. */
export function spkiHex(): string {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return publicKey.export({ type: 'spki', format: 'der' }).toString('hex');
}

/** A scratch directory for files; `cleanup` removes it. */
export function scratchDir(): { dir: string; write(name: string, text: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'idzone-import-'));
  return {
    dir,
    write(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
