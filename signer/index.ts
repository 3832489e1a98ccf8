/**
 * Public surface of the signer: keys and key files, canonical form and RRSIG, validity windows,
 * NSEC3 (hash, base32hex, type bitmaps, white lies, compact denial), the signature cache and the
 * per-zone signer. See signer/README.md.
 */
export * from './errors.js';
export * from './base32hex.js';
export * from './type-bitmap.js';
export * from './canonical.js';
export * from './keys.js';
export * from './key-files.js';
export * from './validity.js';
export * from './rrsig.js';
export * from './nsec3.js';
export * from './signature-cache.js';
export * from './zone-signer.js';
