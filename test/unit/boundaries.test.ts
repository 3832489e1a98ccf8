/**
 * The module boundaries of ARCHITECTURE.md and STYLE.md, enforced by reading imports (boundaries
 * that were only agreed on eroded in the projects we learn from). Dependencies point one way:
 *   core        ← everything (names, types, identity RDATA): imports nothing of ours
 *   signer      → core (and types only from zone-store/types.ts: KeyRecord, NodeSigner)
 *   zone-store  → core
 *   server/wire, server/transport → core (pure protocol / bytes in, bytes out)
 *   api         → core, zone-store
 *   server      → core, zone-store, signer, api (main.ts is the composition root)
 *   cli         → anything
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = process.cwd();

interface Rule {
  dir: string;
  allowed: string[];
  /** Folders that may be imported with `import type` only. */
  typeOnly?: string[];
}

const RULES: Rule[] = [
  { dir: 'core', allowed: ['core'] },
  { dir: 'signer', allowed: ['core', 'signer'], typeOnly: ['zone-store'] },
  { dir: 'zone-store', allowed: ['core', 'zone-store'] },
  { dir: 'server/wire', allowed: ['core', 'server/wire'] },
  { dir: 'server/transport', allowed: ['core', 'server/transport'] },
  { dir: 'api', allowed: ['core', 'zone-store', 'api'] },
  { dir: 'server/query', allowed: ['core', 'zone-store', 'signer', 'server'] },
  { dir: 'server', allowed: ['core', 'zone-store', 'signer', 'server', 'api'] },
];

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (e.endsWith('.ts')) out.push(p);
  }
  return out;
}

function imports(file: string): { target: string; typeOnly: boolean }[] {
  const text = readFileSync(file, 'utf8');
  const out: { target: string; typeOnly: boolean }[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'(\.[^']+)'/gm)) {
    const target = relative(ROOT, join(file, '..', m[3]!)).replace(/\\/g, '/');
    out.push({ target, typeOnly: m[2] !== undefined });
  }
  return out;
}

function ruleFor(file: string): Rule | undefined {
  const rel = relative(ROOT, file).replace(/\\/g, '/');
  return RULES.filter((r) => rel.startsWith(r.dir + '/')).sort((a, b) => b.dir.length - a.dir.length)[0];
}

function within(target: string, dir: string): boolean {
  return target === dir || target.startsWith(dir + '/');
}

describe('module boundaries (imports point one way)', () => {
  for (const rule of RULES) {
    it(`${rule.dir}/ imports only ${rule.allowed.join(', ')}${rule.typeOnly ? ` (types only from ${rule.typeOnly.join(', ')})` : ''}`, () => {
      const problems: string[] = [];
      for (const file of tsFiles(join(ROOT, rule.dir))) {
        if (ruleFor(file) !== rule) continue;
        for (const imp of imports(file)) {
          if (rule.allowed.some((d) => within(imp.target, d))) continue;
          if (imp.typeOnly && rule.typeOnly?.some((d) => within(imp.target, d))) continue;
          problems.push(`${relative(ROOT, file)} imports ${imp.target}${imp.typeOnly ? ' (type)' : ''}`);
        }
      }
      assert.deepEqual(problems, []);
    });
  }
});
