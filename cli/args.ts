/**
 * Strict command-line parsing on top of node:util parseArgs: unknown options and missing values
 * are collected and reported together (STYLE.md "strict at the edge"), never half-applied.
 */
import { parseArgs } from 'node:util';

export interface OptionSpec {
  type: 'string' | 'boolean';
  env?: string;
  help: string;
  default?: string | boolean;
}

export class UsageError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'UsageError';
  }
}

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parseCommandArgs(argv: string[], spec: Record<string, OptionSpec>, env: NodeJS.ProcessEnv = process.env): Parsed {
  const parsed = parseCommandArgsCollecting(argv, spec, env);
  if (parsed.problems.length > 0) throw new UsageError(parsed.problems);
  return parsed;
}

/**
 * Like parseCommandArgs, but returns the problems with the options (unknown ones, missing or
 * unexpected values) instead of throwing, so a command can report them together with the bad
 * values it finds itself. A string option takes the next argument even when it starts with a dash
 * (`--rrl-rate -3` is the value -3, refused by the option's own check).
 */
export function parseCommandArgsCollecting(argv: string[], spec: Record<string, OptionSpec>, env: NodeJS.ProcessEnv = process.env): Parsed & { problems: string[] } {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const [k, v] of Object.entries(spec)) options[k] = { type: v.type };
  const problems: string[] = [];
  const values: Record<string, string | boolean | undefined> = {};
  const positionals: string[] = [];
  const { tokens } = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
  for (const t of tokens) {
    if (t.kind === 'positional') positionals.push(t.value);
    if (t.kind !== 'option') continue;
    const o = Object.hasOwn(options, t.name) ? options[t.name] : undefined;
    if (o === undefined) problems.push(`unknown option ${t.rawName}`);
    else if (o.type === 'string' && t.value === undefined) problems.push(`${t.rawName} needs a value`);
    else if (o.type === 'string' && t.inlineValue === false && t.value.startsWith('-') && !/^-\d/.test(t.value)) problems.push(`${t.rawName} needs a value (got the option ${t.value}; a value starting with '-' is written ${t.rawName}=${t.value})`);
    else if (o.type === 'boolean' && t.inlineValue === true) problems.push(`${t.rawName} takes no value`);
    else values[t.name] = o.type === 'boolean' ? true : t.value;
  }
  for (const [k, v] of Object.entries(spec)) {
    if (values[k] === undefined && v.env !== undefined && env[v.env] !== undefined && env[v.env] !== '') values[k] = v.type === 'boolean' ? env[v.env] === '1' || env[v.env] === 'true' : env[v.env];
    if (values[k] === undefined && v.default !== undefined) values[k] = v.default;
  }
  return { values, positionals, problems };
}

export function formatHelp(usage: string, summary: string, spec: Record<string, OptionSpec>): string {
  const lines = [`Usage: ${usage}`, '', summary, '', 'Options:'];
  for (const [k, v] of Object.entries(spec)) {
    const flag = v.type === 'string' ? `--${k} VALUE` : `--${k}`;
    const extra = [v.env ? `env ${v.env}` : '', v.default !== undefined ? `default ${String(v.default)}` : ''].filter(Boolean).join(', ');
    lines.push(`  ${flag.padEnd(24)} ${v.help}${extra ? ` (${extra})` : ''}`);
  }
  lines.push(`  ${'--help'.padEnd(24)} show this help`);
  return lines.join('\n') + '\n';
}

/** Parses HOST:PORT, [v6]:PORT. */
export function parseHostPort(text: string, what: string): { host: string; port: number } {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text) ?? /^([^:\s]+):(\d+)$/.exec(text);
  if (!m) throw new UsageError([`${what}: expected HOST:PORT (or [IPv6]:PORT), got "${text}"`]);
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError([`${what}: port ${m[2]} out of range`]);
  return { host: m[1]!, port };
}

export function parsePositiveInt(text: string | boolean | undefined, what: string, min = 1, max = 1_000_000): number {
  const n = Number(text);
  if (typeof text !== 'string' || !/^\d+$/.test(text) || n < min || n > max) throw new UsageError([`${what}: expected an integer from ${min} to ${max}, got "${String(text)}"`]);
  return n;
}
