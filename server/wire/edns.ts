/**
 * EDNS(0) facts the server needs (RFC 6891): the OPT record as parsed from a query, the payload
 * size a UDP response may use (§6.2.3–§6.2.5, with the DNS Flag Day 2020 limit of 1232 octets),
 * the wire size of an OPT record, and encoders for the options idzone sends: Extended DNS Errors
 * (RFC 8914 §2) and edns-tcp-keepalive (RFC 7828 §3.1).
 */

export interface EdnsOption {
  code: number;
  data: Buffer;
}

/** The OPT record of a query (RFC 6891 §6.1.2, §6.1.3). */
export interface EdnsInfo {
  /** Requestor's UDP payload size as sent (the CLASS field); see effectiveUdpPayload. */
  udpSize: number;
  version: number;
  /** DNSSEC OK (RFC 3225 §3). */
  do: boolean;
  /**
   * Compact Answers OK (RFC 9824 §5.1, the EDNS flag after DO): the querier takes NXDOMAIN with a
   * compact NXNAME proof. Echoed in the response's OPT.
   */
  co?: boolean;
  /** Options as received, data as views into the query message. */
  options: EdnsOption[];
}

/** Our UDP payload limit (DNS Flag Day 2020), advertised in every OPT we send. */
export const OUR_UDP_PAYLOAD = 1232;
/** RFC 6891 §6.2.5: values below 512 are treated as 512; also the limit without EDNS (RFC 1035 §4.2.1). */
export const MIN_UDP_PAYLOAD = 512;
/** A DNS message over TCP is framed by a 16-bit length (RFC 1035 §4.2.2). */
export const MAX_MESSAGE_SIZE = 65535;
/** Highest EDNS version we implement (RFC 6891 §6.1.3). */
export const EDNS_VERSION = 0;

export const EdnsOptionCode = {
  COOKIE: 10,
  TCP_KEEPALIVE: 11,
  PADDING: 12,
  EDE: 15,
} as const;

/** Size a UDP response may have: max(512, min(client size, ours)); 512 without EDNS. */
export function effectiveUdpPayload(edns: EdnsInfo | undefined): number {
  if (edns === undefined) return MIN_UDP_PAYLOAD;
  return Math.max(MIN_UDP_PAYLOAD, Math.min(edns.udpSize, OUR_UDP_PAYLOAD));
}

/** Size limit for a response on the given transport (streams carry up to 65535 octets). */
export function responseSizeLimit(transport: 'udp' | 'tcp' | 'tls', edns: EdnsInfo | undefined): number {
  return transport === 'udp' ? effectiveUdpPayload(edns) : MAX_MESSAGE_SIZE;
}

/** Wire size of an OPT record holding these options: root owner (1) + fixed fields (10) + options. */
export function optRecordSize(options: readonly EdnsOption[]): number {
  let size = 11;
  for (const o of options) size += 4 + o.data.length;
  return size;
}

/**
 * Extended DNS Error option (RFC 8914 §2): INFO-CODE (16 bits) then EXTRA-TEXT in UTF-8, not
 * NUL-terminated. The text is cut at a character boundary to at most `maxTextBytes` octets, so an
 * error response always fits a 512-octet datagram.
 */
export function encodeEdeOption(infoCode: number, text = '', maxTextBytes = 200): EdnsOption {
  const bytes = truncateUtf8(text, Math.max(0, maxTextBytes));
  const data = Buffer.allocUnsafe(2 + bytes.length);
  data.writeUInt16BE(infoCode & 0xffff, 0);
  bytes.copy(data, 2);
  return { code: EdnsOptionCode.EDE, data };
}

/** edns-tcp-keepalive with a TIMEOUT (RFC 7828 §3.1), in units of 100 ms. */
export function encodeTcpKeepaliveOption(timeoutMs: number): EdnsOption {
  const data = Buffer.allocUnsafe(2);
  data.writeUInt16BE(Math.min(0xffff, Math.max(0, Math.round(timeoutMs / 100))), 0);
  return { code: EdnsOptionCode.TCP_KEEPALIVE, data };
}

/** UTF-8 bytes of `text`, cut at the last whole character that fits in `max` octets. */
function truncateUtf8(text: string, max: number): Buffer {
  const all = Buffer.from(text, 'utf8');
  if (all.length <= max) return all;
  let end = max;
  // Continuation bytes look like 0b10xxxxxx; back up to the start of the character they belong to.
  while (end > 0 && (all[end]! & 0xc0) === 0x80) end--;
  return all.subarray(0, end);
}
