/**
 * Just enough DER (ITU-T X.690 §8.1) to lift the SubjectPublicKeyInfo out of an X.509 certificate
 * (RFC 5280 §4.1) byte for byte. TLSA selector 1 (RFC 6698 §2.1.2) hashes the SPKI exactly as the
 * certificate carries it; re-encoding a parsed key could differ (explicit EC parameters, compressed
 * points), so the bytes are sliced from the certificate instead.
 */

interface Tlv {
  tag: number;
  /** Offset of the first content octet. */
  start: number;
  /** Offset just past the content (and so past the whole TLV). */
  end: number;
}

/** Reads one TLV at `off`; undefined when the bytes are not well-formed DER within `limit`. */
function readTlv(buf: Buffer, off: number, limit: number): Tlv | undefined {
  if (off + 2 > limit) return undefined;
  const tag = buf[off]!;
  const first = buf[off + 1]!;
  let len = first;
  let start = off + 2;
  if (first & 0x80) {
    const n = first & 0x7f;
    // Lengths over 4 octets cannot describe anything held in a Buffer here; 0x80 is BER indefinite form.
    if (n === 0 || n > 4 || start + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + len;
  if (end > limit) return undefined;
  return { tag, start, end };
}

const SEQUENCE = 0x30;
const VERSION_TAG = 0xa0; // [0] EXPLICIT Version

/** The DER SubjectPublicKeyInfo (whole TLV) of a DER certificate, or undefined when it cannot be found. */
export function spkiFromCertificate(der: Buffer): Buffer | undefined {
  const cert = readTlv(der, 0, der.length);
  if (cert?.tag !== SEQUENCE) return undefined;
  const tbs = readTlv(der, cert.start, cert.end);
  if (tbs?.tag !== SEQUENCE) return undefined;
  let off = tbs.start;
  const first = readTlv(der, off, tbs.end);
  if (first === undefined) return undefined;
  if (first.tag === VERSION_TAG) off = first.end;
  // serialNumber, signature, issuer, validity, subject, then subjectPublicKeyInfo (RFC 5280 §4.1).
  for (let i = 0; i < 5; i++) {
    const skip = readTlv(der, off, tbs.end);
    if (skip === undefined) return undefined;
    off = skip.end;
  }
  const spki = readTlv(der, off, tbs.end);
  if (spki?.tag !== SEQUENCE) return undefined;
  return der.subarray(off, spki.end);
}
