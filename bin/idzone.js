#!/usr/bin/env node
// Entry point of the `idzone` command: runs the compiled CLI. `npm install` builds dist/ (prepare).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/idzone.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('idzone: dist/ is missing; run `npm install` (or `npm run build`) in the repository first\n');
  process.exit(2);
}
const { runCli } = await import(main);
process.exitCode = await runCli(process.argv.slice(2));
