/**
 * Domain names in canonical form (RFC 4034 §6.1/§6.2): inside idzone a name is a string in
 * presentation format, absolute (trailing dot), ASCII letters lowercased, special bytes escaped as
 * `\.`, `\\` or `\DDD` (RFC 1035 §5.1). The root is ".". One spelling per name, so names can be map
 * keys and database keys. Wire form (RFC 1035 §3.1) is produced from it when needed.
 */

export const MAX_NAME_WIRE = 255; // RFC 1035 §2.3.4
export const MAX_LABEL = 63;

export class NameError extends Error {
  readonly code = 'ERR_NAME_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'NameError';
  }
}

/** Escapes one label given as raw bytes, lowercasing ASCII letters. */
export function escapeLabel(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    if (b >= 0x41 && b <= 0x5a) out += String.fromCharCode(b + 32);
    else if (b === 0x2e || b === 0x5c) out += '\\' + String.fromCharCode(b);
    else if (b > 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += '\\' + String(b).padStart(3, '0');
  }
  return out;
}

/** Builds a canonical name from raw wire labels (leftmost first, root label excluded). */
export function nameFromWireLabels(labels: readonly Uint8Array[]): string {
  if (labels.length === 0) return '.';
  let out = '';
  for (const l of labels) out += escapeLabel(l) + '.';
  return out;
}

/**
 * Parses presentation text into raw labels. Relative names (no trailing dot) are completed with
 * `origin`; `@` alone means the origin. Throws NameError on bad escapes or length limits.
 */
export function parseLabels(text: string, origin?: string): Uint8Array[] {
  if (text === '@') {
    if (origin === undefined) throw new NameError('"@" used without an origin');
    return parseLabels(origin);
  }
  if (text === '.') return [];
  if (text.length === 0) throw new NameError('empty name');
  const labels: Uint8Array[] = [];
  let cur: number[] = [];
  let absolute = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (cur.length === 0) throw new NameError(`empty label in "${text}"`);
      labels.push(Uint8Array.from(cur));
      cur = [];
      if (i === text.length - 1) absolute = true;
      continue;
    }
    if (c === 0x5c) {
      const next = text.charCodeAt(i + 1);
      if (Number.isNaN(next)) throw new NameError(`dangling escape in "${text}"`);
      if (next >= 0x30 && next <= 0x39) {
        const digits = text.slice(i + 1, i + 4);
        if (!/^\d{3}$/.test(digits)) throw new NameError(`bad \\DDD escape in "${text}"`);
        const v = Number(digits);
        if (v > 255) throw new NameError(`escape \\${digits} out of range in "${text}"`);
        cur.push(v);
        i += 3;
      } else {
        cur.push(next);
        i += 1;
      }
      continue;
    }
    if (c > 0x7e || c < 0x21) throw new NameError(`character ${JSON.stringify(text[i])} must be escaped in "${text}"`);
    cur.push(c);
  }
  if (cur.length > 0) labels.push(Uint8Array.from(cur));
  if (!absolute) {
    if (origin === undefined) {
      // Treat a name without trailing dot and without origin as absolute: API and CLI users
      // rarely type the final dot.
    } else {
      labels.push(...parseLabels(origin));
    }
  }
  let wire = 1;
  for (const l of labels) {
    if (l.length > MAX_LABEL) throw new NameError(`label longer than ${MAX_LABEL} octets in "${text}"`);
    wire += l.length + 1;
  }
  if (wire > MAX_NAME_WIRE) throw new NameError(`name longer than ${MAX_NAME_WIRE} octets: "${text}"`);
  return labels;
}

/** Parses presentation text into a canonical name. */
export function parseName(text: string, origin?: string): string {
  return nameFromWireLabels(parseLabels(text.trim(), origin));
}

/** Splits a canonical name into its escaped presentation labels (root excluded). */
export function splitLabels(name: string): string[] {
  if (name === '.') return [];
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c) {
      i += /\d/.test(name[i + 1] ?? '') ? 3 : 1;
    } else if (c === 0x2e) {
      out.push(name.slice(start, i));
      start = i + 1;
    }
  }
  return out;
}

/** Joins escaped labels back into a canonical name. */
export function joinLabels(labels: readonly string[]): string {
  return labels.length === 0 ? '.' : labels.join('.') + '.';
}

export function labelCount(name: string): number {
  return labelStarts(name).length;
}

/**
 * Where each label of an absolute name starts, leftmost first (none for the root): the name below
 * label k is `name.slice(starts[k])`, the same string as joinLabels(splitLabels(name).slice(k)),
 * found without building the labels. Escaped dots (`\.`, `\046`) do not end a label.
 */
export function labelStarts(name: string): number[] {
  const starts: number[] = [];
  if (name === '.') return starts;
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c) {
      const d = name.charCodeAt(i + 1);
      i += d >= 0x30 && d <= 0x39 ? 3 : 1;
    } else if (c === 0x2e) {
      starts.push(start);
      start = i + 1;
    }
  }
  return starts;
}

/** RRSIG Labels field (RFC 4034 §3.1.3): labels of the owner, a leading `*` not counted. */
export function rrsigLabelCount(name: string): number {
  const n = labelStarts(name).length;
  return name.startsWith('*.') ? n - 1 : n;
}

export function parentName(name: string): string | undefined {
  const labels = splitLabels(name);
  if (labels.length === 0) return undefined;
  return joinLabels(labels.slice(1));
}

/** True when `name` equals `zone` or lies below it (label-wise, never by string suffix alone). */
export function isInZone(name: string, zone: string): boolean {
  if (zone === '.') return true;
  if (name === zone) return true;
  if (!name.endsWith('.' + zone)) return false;
  // The suffix must start on a label boundary: the character before the dot must not escape it.
  const cut = name.length - zone.length - 1;
  let backslashes = 0;
  for (let i = cut - 1; i >= 0 && name.charCodeAt(i) === 0x5c; i--) backslashes++;
  return backslashes % 2 === 0 && splitLabels(name).length > splitLabels(zone).length;
}

/**
 * Why a zone's apex may not be a wildcard: its SOA, NS and DNSKEY RRSIGs would count one label fewer
 * than their owner (RFC 4034 §3.1.3), so validators take every answer from the zone for a wildcard
 * expansion they cannot prove (delv: "insecure" even with the zone's key as trust anchor); and RFC
 * 4592 §4.2–4.3 make SOA and NS at a wildcard meaningless.
 */
export const WILDCARD_APEX_MESSAGE = 'a zone apex cannot be a wildcard name (leftmost label "*")';

export function isWildcardName(name: string): boolean {
  return name.startsWith('*.') || name === '*.';
}

/** Uncompressed canonical wire form (RFC 4034 §6.2). */
export function nameToWire(name: string): Buffer {
  const fast = plainNameToWire(name);
  if (fast !== undefined) return fast;
  const labels = parseLabels(name);
  let len = 1;
  for (const l of labels) len += l.length + 1;
  const buf = Buffer.allocUnsafe(len);
  let o = 0;
  for (const l of labels) {
    buf[o++] = l.length;
    buf.set(l, o);
    o += l.length;
  }
  buf[o] = 0;
  return buf;
}

/**
 * nameToWire for the common case: an absolute name of printable ASCII without escapes, where every
 * character is one octet. Undefined for anything else (root, escapes, bad lengths), which the
 * general parser handles and reports.
 */
function plainNameToWire(name: string): Buffer | undefined {
  const n = name.length;
  if (n < 2 || n > 254 || name.charCodeAt(n - 1) !== 0x2e) return undefined;
  const buf = Buffer.allocUnsafe(n + 1);
  let lengthAt = 0;
  let o = 1;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2e) {
      const len = o - lengthAt - 1;
      if (len === 0 || len > 63) return undefined;
      buf[lengthAt] = len;
      lengthAt = o++;
    } else if (c <= 0x20 || c >= 0x7f || c === 0x5c) {
      return undefined;
    } else {
      buf[o++] = c;
    }
  }
  buf[lengthAt] = 0;
  return buf;
}

/** Wire length of a canonical name without building it. */
export function nameWireLength(name: string): number {
  return nameToWire(name).length;
}

/** RFC 4034 §6.1 canonical order: compare label by label from the right, as lowercase octets. */
export function compareNames(a: string, b: string): number {
  const la = parseLabels(a);
  const lb = parseLabels(b);
  let i = la.length - 1;
  let j = lb.length - 1;
  for (; i >= 0 && j >= 0; i--, j--) {
    const c = Buffer.compare(la[i]!, lb[j]!);
    if (c !== 0) return c;
  }
  return i === j ? 0 : i < 0 ? -1 : 1;
}

/** Ancestors of `name` strictly below `apex`, nearest first (name itself excluded). */
export function ancestorsBelow(name: string, apex: string): string[] {
  const labels = splitLabels(name);
  const depth = labels.length - splitLabels(apex).length;
  const out: string[] = [];
  for (let k = 1; k < depth; k++) out.push(joinLabels(labels.slice(k)));
  return out;
}
