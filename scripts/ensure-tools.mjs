#!/usr/bin/env node
/**
 * Pre-test check for the DNS tools the conformance tests use as judges (kdig, dig, delv, named,
 * ldns-verify-zone, dnssec-cds, dnsperf, curl). A missing tool is never a silent skip: as root the missing Debian
 * packages are installed with apt-get and the check runs again; otherwise the exact install command
 * is printed and the script exits 1.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Tool → the Debian package that ships it. */
const TOOLS = {
  kdig: 'knot-dnsutils',
  dig: 'bind9-dnsutils',
  delv: 'bind9-dnsutils',
  named: 'bind9',
  'ldns-verify-zone': 'ldnsutils',
  'dnssec-cds': 'bind9-utils',
  'dnssec-dsfromkey': 'bind9-utils',
  dnsperf: 'dnsperf',
  curl: 'curl',
};

// named lives in /usr/sbin, which is not on every user's PATH.
const SEARCH_DIRS = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/local/sbin', '/usr/sbin', '/sbin'];

function isInstalled(tool) {
  return SEARCH_DIRS.some((dir) => {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function missingTools() {
  return Object.keys(TOOLS).filter((t) => !isInstalled(t));
}

function packagesFor(tools) {
  return [...new Set(tools.map((t) => TOOLS[t]))];
}

function install(packages) {
  const cmd = `apt-get update && apt-get install -y ${packages.join(' ')}`;
  console.error(`ensure-tools: installing ${packages.join(', ')}: ${cmd}`);
  const r = spawnSync('sh', ['-c', cmd], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.error) console.error(`ensure-tools: could not run apt-get: ${r.error.message}`);
}

const missing = missingTools();
if (missing.length === 0) process.exit(0);

if (typeof process.getuid === 'function' && process.getuid() === 0) {
  install(packagesFor(missing));
  const still = missingTools();
  if (still.length === 0) process.exit(0);
  console.error(`ensure-tools: FAILED: still missing after apt-get: ${still.join(', ')} (packages ${packagesFor(still).join(', ')})`);
  process.exit(1);
}

console.error(`ensure-tools: missing DNS tools needed by the tests: ${missing.join(', ')}`);
console.error('Install them as root with:');
console.error(`  apt-get update && apt-get install -y ${[...new Set(Object.values(TOOLS))].join(' ')}`);
process.exit(1);
