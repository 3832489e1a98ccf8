/**
 * The DNS cookie secret (query/cookies.ts): 16 random bytes in `<data-dir>/cookie.secret` (hex,
 * mode 0600), made on the first start. Every DNS process of a server reads the same file, so a
 * server cookie made by one worker is valid at another, and across restarts. Servers behind one
 * anycast address can share it by copying the file (RFC 9018 §5).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const COOKIE_SECRET_FILE = 'cookie.secret';

export function loadOrCreateCookieSecret(dataDir: string): Buffer {
  const path = join(dataDir, COOKIE_SECRET_FILE);
  if (!existsSync(path)) {
    // Written whole under a temporary name, then linked into place (which fails if the file
    // appeared meanwhile): a crash never leaves an empty or partial secret behind.
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, randomBytes(16).toString('hex') + '\n', { mode: 0o600 });
    try {
      linkSync(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      unlinkSync(tmp);
    }
  }
  return readCookieSecret(path);
}

export function readCookieSecret(path: string): Buffer {
  const text = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-fA-F]{32}$/.test(text)) throw new Error(`${path}: expected 32 hexadecimal digits (a 16-byte DNS cookie secret)`);
  return Buffer.from(text, 'hex');
}
