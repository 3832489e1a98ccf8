/**
 * A streaming reader of DNS master files (RFC 1035 §5) restricted to identity data. It implements
 * §5.1's syntax: `$ORIGIN` and `$TTL` (RFC 2308 §4) directives, `;` comments, quoted strings,
 * backslash escapes, parentheses continuing an entry over several lines, the owner inherited by a
 * line that starts with white space, `@`, relative names completed with the origin, and an optional
 * TTL and class in either order. TTLs take BIND's unit syntax (`1h30m`, `1w2d`). RDATA is read in
 * the type's own presentation form — TLSA (RFC 6698 §2.2) and SSHFP (RFC 4255 §3.2) — or in the
 * generic `\# length hex` form of RFC 3597 §5.
 *
 * The compartment policy of core/rr-types.ts applies per record: TLSA and SSHFP below the apex are
 * validated (core/identity-rdata.ts) and returned; the apex SOA and NS, and the types the signer
 * makes, are reported as skipped; everything else is an error naming the type. `$INCLUDE` is refused:
 * an import is one self-contained file.
 *
 * The parser is a line-at-a-time state machine holding only the entry being read, so a file of
 * millions of records streams through in constant memory. It does no I/O: callers feed it lines.
 */
import { NameError, isInZone, parseName } from './names.js';
import { RrType, SIGNER_TYPES, isDataType, isMetaType, typeFromString, typeToString } from './rr-types.js';
import { parseHex, validateIdentityRdata } from './identity-rdata.js';

/** One outcome per entry of the file, located by the line the entry starts on (1-based). */
export type ZoneFileEntry =
  | { kind: 'record'; line: number; owner: string; ttl: number; type: number; rdata: Buffer }
  | { kind: 'skipped'; line: number; owner: string; type: number; reason: string }
  | { kind: 'error'; line: number; error: string };

export interface ZoneFileOptions {
  /** The zone apex (canonical name); also the initial origin. */
  zone: string;
  /** TTL of records that state none when the file has no `$TTL` and no earlier explicit TTL. */
  defaultTtl: number;
  /** Largest TTL accepted for identity records (zone policy); larger ones, and 0, are errors. */
  maxTtl?: number;
}

/** RFC 2181 §8: a TTL is an unsigned 31-bit number. */
export const MAX_TTL = 0x7fffffff;
/**
 * Bound on one entry's text. The largest legal RDATA (65535 octets) is 131070 hex digits; an entry
 * beyond this bound is an unclosed parenthesis swallowing the file, not a record.
 */
export const MAX_ENTRY_CHARS = 262144;

const TTL_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * Parses a TTL: plain seconds, or BIND's unit form where every number carries a unit (s, m, h, d,
 * w, any case, summed: `1h30m` = 5400; `1h30` is an error, as in BIND). Undefined when malformed or
 * above 2^31-1.
 */
export function parseTtl(text: string): number | undefined {
  let total = 0;
  if (/^\d+$/.test(text)) total = Number(text);
  else if (/^(\d+[smhdw])+$/i.test(text)) {
    for (const m of text.matchAll(/(\d+)([smhdw])/gi)) total += Number(m[1]) * TTL_UNITS[m[2]!.toLowerCase()]!;
  } else return undefined;
  return total <= MAX_TTL ? total : undefined;
}

interface Token {
  text: string;
  quoted: boolean;
}

interface PendingEntry {
  line: number;
  indented: boolean;
  tokens: Token[];
  chars: number;
  error?: string;
}

/** Incremental parser: feed lines with pushLine, then call end(); each returns the finished entries. */
export class ZoneFileParser {
  private lineNo = 0;
  private depth = 0;
  private pending: PendingEntry | undefined;
  private origin: string;
  private dollarTtl: number | undefined;
  private lastExplicitTtl: number | undefined;
  /** Owner for lines starting with white space; `invalidAt` when the last named owner was bad. */
  private lastOwner: { name: string } | { invalidAt: number } | undefined;

  constructor(private readonly opts: ZoneFileOptions) {
    this.origin = opts.zone;
  }

  pushLine(raw: string): ZoneFileEntry[] {
    this.lineNo++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const entry = (this.pending ??= { line: this.lineNo, indented: /^[ \t]/.test(text), tokens: [], chars: 0 });
    this.scanLine(text, entry);
    entry.chars += text.length;
    if (entry.chars > MAX_ENTRY_CHARS && this.depth > 0) {
      entry.error = `entry starting at line ${entry.line} runs past ${MAX_ENTRY_CHARS} characters: unbalanced "("?`;
      this.depth = 0;
    }
    if (this.depth > 0) return [];
    this.pending = undefined;
    if (entry.error !== undefined) return [{ kind: 'error', line: entry.line, error: entry.error }];
    if (entry.tokens.length === 0) return [];
    const out = this.processEntry(entry);
    return out === undefined ? [] : [out];
  }

  end(): ZoneFileEntry[] {
    const entry = this.pending;
    this.pending = undefined;
    if (entry === undefined || this.depth === 0) return [];
    this.depth = 0;
    return [{ kind: 'error', line: entry.line, error: entry.error ?? `"(" opened in the entry at line ${entry.line} is never closed` }];
  }

  /** RFC 1035 §5.1 lexical rules for one physical line, appending tokens to the entry. */
  private scanLine(text: string, entry: PendingEntry): void {
    // Fast path for the common line with nothing special in it: plain white-space splitting.
    if (!/[;()"\\]/.test(text)) {
      for (const t of text.split(/[ \t]+/)) if (t !== '') entry.tokens.push({ text: t, quoted: false });
      return;
    }
    let cur: Token | undefined;
    const close = (): void => {
      if (cur !== undefined) entry.tokens.push(cur);
      cur = undefined;
    };
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (cur?.quoted) {
        if (c === '"') close();
        else if (c === '\\' && i + 1 < text.length) cur.text += c + text[++i];
        else cur.text += c;
        continue;
      }
      if (c === ';') break;
      if (c === ' ' || c === '\t') close();
      else if (c === '(' || c === ')') {
        close();
        this.depth += c === '(' ? 1 : -1;
        if (this.depth < 0) {
          entry.error ??= `")" without a matching "("`;
          this.depth = 0;
        }
      } else if (c === '"') {
        close();
        cur = { text: '', quoted: true };
      } else if (c === '\\') {
        if (i + 1 >= text.length) entry.error ??= 'backslash at the end of a line';
        cur ??= { text: '', quoted: false };
        cur.text += text.slice(i, i + 2);
        i++;
      } else {
        cur ??= { text: '', quoted: false };
        cur.text += c;
      }
    }
    if (cur?.quoted) {
      entry.error ??= 'quoted string not closed on its line';
      this.depth = 0;
      cur = undefined;
    }
    close();
  }

  private processEntry(entry: PendingEntry): ZoneFileEntry | undefined {
    const first = entry.tokens[0]!;
    if (!entry.indented && !first.quoted && first.text.startsWith('$')) return this.directive(entry);
    const owner = this.resolveOwner(entry);
    if ('error' in owner) return { kind: 'error', line: entry.line, error: owner.error };
    return this.record(entry.line, owner.name, entry.tokens.slice(entry.indented ? 0 : 1));
  }

  /** `$ORIGIN` and `$TTL` (RFC 1035 §5.1, RFC 2308 §4); `$INCLUDE` and others are refused. */
  private directive(entry: PendingEntry): ZoneFileEntry | undefined {
    const [head, ...args] = entry.tokens;
    const name = head!.text.toUpperCase();
    const fail = (error: string): ZoneFileEntry => ({ kind: 'error', line: entry.line, error });
    if (name === '$INCLUDE') return fail('$INCLUDE is not supported: an import is one self-contained file (inline the included file)');
    if (name !== '$ORIGIN' && name !== '$TTL') return fail(`unknown or unsupported directive ${head!.text}`);
    if (args.length !== 1 || args[0]!.quoted) return fail(`${name} takes exactly one argument`);
    const arg = args[0]!.text;
    if (name === '$TTL') {
      const ttl = parseTtl(arg);
      if (ttl === undefined) return fail(`bad TTL "${arg}" in $TTL`);
      this.dollarTtl = ttl;
      return undefined;
    }
    const origin = parseNameSafe(arg, this.origin);
    if ('error' in origin) return fail(`bad $ORIGIN: ${origin.error}`);
    this.origin = origin.name;
    return undefined;
  }

  private resolveOwner(entry: PendingEntry): { name: string } | { error: string } {
    if (entry.indented) {
      const last = this.lastOwner;
      if (last === undefined) return { error: 'line starts with white space but no earlier record named an owner' };
      if ('invalidAt' in last) return { error: `owner inherited from line ${last.invalidAt}, which is invalid` };
      return last;
    }
    const tok = entry.tokens[0]!;
    const parsed = tok.quoted ? { error: `owner "${tok.text}" must not be quoted` } : parseNameSafe(tok.text, this.origin);
    this.lastOwner = 'error' in parsed ? { invalidAt: entry.line } : parsed;
    return 'error' in parsed ? { error: `bad owner name: ${parsed.error}` } : parsed;
  }

  /** `[TTL] [class] type RDATA` with TTL and class in either order (RFC 1035 §5.1). */
  private record(line: number, owner: string, tokens: Token[]): ZoneFileEntry {
    const fail = (error: string): ZoneFileEntry => ({ kind: 'error', line, error });
    let ttl: number | undefined;
    let klass: string | undefined;
    let i = 0;
    for (; i < tokens.length && !tokens[i]!.quoted; i++) {
      const t = tokens[i]!.text;
      if (ttl === undefined && /^\d/.test(t)) {
        ttl = parseTtl(t);
        if (ttl === undefined) return fail(`bad TTL "${t}": expected seconds or units such as 1h30m, at most ${MAX_TTL}`);
      } else if (klass === undefined && /^(IN|CH|CS|HS|NONE|ANY|CLASS\d+)$/i.test(t)) klass = t.toUpperCase();
      else break;
    }
    if (klass !== undefined && klass !== 'IN' && klass !== 'CLASS1') return fail(`class ${klass} is not supported: only IN`);
    const typeTok = tokens[i];
    if (typeTok === undefined) return fail('record has no type');
    const type = typeTok.quoted ? undefined : typeFromString(typeTok.text);
    if (type === undefined) return fail(`unknown type "${typeTok.text}"`);
    if (ttl !== undefined) this.lastExplicitTtl = ttl;
    const effectiveTtl = ttl ?? this.dollarTtl ?? this.lastExplicitTtl ?? this.opts.defaultTtl;
    const refused = this.checkPolicy(line, owner, type, effectiveTtl);
    if (refused !== undefined) return refused;
    const rdata = parseIdentityRdata(type, tokens.slice(i + 1));
    if ('error' in rdata) return fail(rdata.error);
    return { kind: 'record', line, owner, ttl: effectiveTtl, type, rdata: rdata.rdata };
  }

  /** The compartment policy (core/rr-types.ts): which owner/type pairs an import may hold. */
  private checkPolicy(line: number, owner: string, type: number, ttl: number): ZoneFileEntry | undefined {
    const zone = this.opts.zone;
    const name = typeToString(type);
    const fail = (error: string): ZoneFileEntry => ({ kind: 'error', line, error });
    const skip = (reason: string): ZoneFileEntry => ({ kind: 'skipped', line, owner, type, reason });
    if (!isInZone(owner, zone)) return fail(`owner ${owner} is outside zone ${zone}`);
    if (type === RrType.SOA || type === RrType.NS) {
      if (owner === zone) return skip(`${name} at the apex is managed by idzone from the zone settings`);
      if (type === RrType.NS) return fail(`NS at ${owner} would be a delegation; idzone serves no delegations`);
      return fail(`SOA is only allowed at the apex, not at ${owner}`);
    }
    if (SIGNER_TYPES.has(type) || type === RrType.NSEC) return skip(`${name} is generated by the signer`);
    if (isMetaType(type)) return fail(`type ${name} is a meta type and cannot appear in a zone`);
    if (!isDataType(type)) return fail(`type ${name} is not accepted: idzone stores only TLSA and SSHFP`);
    // Same bounds as the API (api/identity-input.ts): a zero TTL would defeat caching of keys.
    const max = this.opts.maxTtl ?? MAX_TTL;
    if (ttl < 1 || ttl > max) return fail(`TTL ${ttl} is out of range: identity records take 1 to ${max} (the zone's maximum)`);
    return undefined;
  }
}

function parseNameSafe(text: string, origin: string): { name: string } | { error: string } {
  try {
    return { name: parseName(withOrigin(text, origin)) };
  } catch (e) {
    if (e instanceof NameError) return { error: e.message };
    throw e;
  }
}

/**
 * Completes a relative name textually, so the origin is not re-parsed for every record (the owner
 * parse is the parser's hottest step). `@`, absolute names and a dangling final backslash are left
 * to parseName, which resolves or reports them itself.
 */
function withOrigin(text: string, origin: string): string {
  if (text === '@') return origin;
  const dotted = text.endsWith('.');
  let backslashes = 0;
  for (let i = text.length - (dotted ? 2 : 1); i >= 0 && text[i] === '\\'; i--) backslashes++;
  const escaped = backslashes % 2 === 1; // the final dot, or nothing (a dangling escape), is escaped
  if (dotted !== escaped) return text; // absolute, or a dangling escape for parseName to report
  return origin === '.' ? text + '.' : `${text}.${origin}`;
}

/** TLSA/SSHFP RDATA in its own form or RFC 3597's `\#`, validated against the DANE policy. */
function parseIdentityRdata(type: number, tokens: Token[]): { rdata: Buffer } | { error: string } {
  const name = typeToString(type);
  if (tokens.some((t) => t.quoted)) return { error: `${name} RDATA must not contain quoted strings` };
  const parsed = tokens[0]?.text === '\\#' ? parseGeneric(name, tokens.slice(1)) : parseNative(type, tokens);
  if ('error' in parsed) return parsed;
  const violations = validateIdentityRdata(type, parsed.rdata);
  if (violations.length > 0) return { error: violations.map((v) => v.message).join('; ') };
  return parsed;
}

/** RFC 3597 §5: `\# <length> <hex…>`, the hex possibly split by white space. */
function parseGeneric(name: string, tokens: Token[]): { rdata: Buffer } | { error: string } {
  const lenText = tokens[0]?.text;
  if (lenText === undefined || !/^\d{1,5}$/.test(lenText) || Number(lenText) > 0xffff) {
    return { error: `${name} generic RDATA needs a length 0-65535 after \\#` };
  }
  const hex = tokens.slice(1).map((t) => t.text).join('');
  const rdata = parseHex(hex);
  if (rdata === undefined) return { error: `${name} generic RDATA is not valid hex (${hex.length} characters; an even number of hex digits is needed)` };
  if (rdata.length !== Number(lenText)) return { error: `${name} generic RDATA length ${lenText} does not match the ${rdata.length} octets of hex given` };
  return { rdata };
}

/** TLSA `usage selector mtype hex…` (RFC 6698 §2.2), SSHFP `alg fptype hex…` (RFC 4255 §3.2). */
function parseNative(type: number, tokens: Token[]): { rdata: Buffer } | { error: string } {
  const isTlsa = type === RrType.TLSA;
  const fields = isTlsa ? ['usage', 'selector', 'matching type'] : ['algorithm', 'fingerprint type'];
  const name = typeToString(type);
  if (tokens.length <= fields.length) {
    return { error: `${name} needs ${fields.join(', ')} and ${isTlsa ? 'certificate association data' : 'fingerprint'} in hex` };
  }
  const octets: number[] = [];
  for (const [k, field] of fields.entries()) {
    const t = tokens[k]!.text;
    if (!/^\d{1,3}$/.test(t) || Number(t) > 255) return { error: `${name} ${field} "${t}" is not a number 0-255` };
    octets.push(Number(t));
  }
  const hex = tokens.slice(fields.length).map((t) => t.text).join('');
  const data = parseHex(hex);
  if (data === undefined) return { error: `${name} ${isTlsa ? 'certificate association data' : 'fingerprint'} is not valid hex (${hex.length} characters; an even number of hex digits is needed)` };
  return { rdata: Buffer.concat([Buffer.from(octets), data]) };
}

/** Streams entries from lines (an async iterator over a file via readline, or any iterable). */
export async function* parseZoneFile(lines: AsyncIterable<string> | Iterable<string>, opts: ZoneFileOptions): AsyncGenerator<ZoneFileEntry> {
  const parser = new ZoneFileParser(opts);
  for await (const line of lines) yield* parser.pushLine(line);
  yield* parser.end();
}
