/**
 * Base32 with the "extended hex" alphabet (RFC 4648 §7), as NSEC3 uses for hashed owner names
 * (RFC 5155 §3.3): lowercase output, no padding. Node has no built-in codec for it. A 20-byte SHA-1
 * hash encodes to exactly 32 characters.
 */

const ALPHABET = '0123456789abcdefghijklmnopqrstuv';

/** Lookup table from char code to 5-bit value; -1 for characters outside the alphabet. */
const DECODE = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 32; i++) {
    t[ALPHABET.charCodeAt(i)] = i;
    t[ALPHABET.toUpperCase().charCodeAt(i)] = i;
  }
  return t;
})();

const ALPHABET_CODES = Buffer.from(ALPHABET, 'latin1');
let scratch = Buffer.allocUnsafe(64);

/**
 * Encodes bytes as lowercase base32hex without padding. Every NSEC3 owner in an answer goes
 * through here: the characters are written as bytes and read back as one latin1 string, which
 * costs a third of building the string a character at a time.
 */
export function base32hexEncode(bytes: Uint8Array): string {
  const n = Math.ceil((bytes.length * 8) / 5);
  if (scratch.length < n) scratch = Buffer.allocUnsafe(n);
  const out = scratch;
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    acc = ((acc << 8) | bytes[i]!) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out[o++] = ALPHABET_CODES[(acc >>> bits) & 31]!;
    }
  }
  if (bits > 0) out[o++] = ALPHABET_CODES[(acc << (5 - bits)) & 31]!;
  return out.toString('latin1', 0, o);
}

/**
 * Decodes unpadded base32hex (either case). Returns undefined for characters outside the alphabet
 * or for a length no byte string encodes to (leftover bits must be fewer than 5 and zero).
 */
export function base32hexDecode(text: string): Buffer | undefined {
  const out = Buffer.alloc(Math.floor((text.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0) return undefined;
    acc = ((acc << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  if (bits >= 5 || (acc & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}
