/**
 * RR types, classes, opcodes and rcodes used by idzone, as `as const` tables (RFC 1035 §3.2.2,
 * RFC 6895 registries). Also the compartment policy: which types idzone stores from input
 * (TLSA, SSHFP), which it manages itself (SOA, NS at the apex) and which the signer generates.
 */

export const RrType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  NAPTR: 35,
  DNAME: 39,
  OPT: 41,
  DS: 43,
  SSHFP: 44,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
  NSEC3PARAM: 51,
  TLSA: 52,
  SMIMEA: 53,
  CDS: 59,
  CDNSKEY: 60,
  OPENPGPKEY: 61,
  SVCB: 64,
  HTTPS: 65,
  NXNAME: 128,
  TSIG: 250,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
} as const;
export type RrTypeName = keyof typeof RrType;

export const RrClass = { IN: 1, CH: 3, NONE: 254, ANY: 255 } as const;

export const Opcode = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  NOTAUTH: 9,
  BADVERS: 16,
} as const;

/** Extended DNS Error codes (RFC 8914 §4) that idzone sends. */
export const EdeCode = {
  OTHER: 0,
  DNSSEC_BOGUS: 6,
  PROHIBITED: 18,
  NOT_AUTHORITATIVE: 20,
  NOT_SUPPORTED: 21,
  INVALID_QUERY_TYPE: 30,
} as const;

const NAME_BY_TYPE = new Map<number, string>(Object.entries(RrType).map(([k, v]) => [v, k]));

/** Presentation mnemonic of a type, or the RFC 3597 `TYPEnnn` form. */
export function typeToString(type: number): string {
  return NAME_BY_TYPE.get(type) ?? `TYPE${type}`;
}

/** Parses a type mnemonic or `TYPEnnn`; undefined when neither. Case-insensitive. */
export function typeFromString(text: string): number | undefined {
  const upper = text.toUpperCase();
  const known = (RrType as Record<string, number>)[upper];
  if (known !== undefined) return known;
  const m = /^TYPE(\d{1,5})$/.exec(upper);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n <= 0xffff ? n : undefined;
}

/** The identity data types idzone accepts from input (API, import, transfer in). */
export const DATA_TYPES: ReadonlySet<number> = new Set([RrType.TLSA, RrType.SSHFP]);

/** Types the server manages itself at the apex (never accepted from input below the apex). */
export const APEX_MANAGED_TYPES: ReadonlySet<number> = new Set([RrType.SOA, RrType.NS]);

/** Types the signer generates; never stored from input. */
export const SIGNER_TYPES: ReadonlySet<number> = new Set([
  RrType.DNSKEY,
  RrType.RRSIG,
  RrType.NSEC3,
  RrType.NSEC3PARAM,
  RrType.CDS,
  RrType.CDNSKEY,
]);

export function isDataType(type: number): boolean {
  return DATA_TYPES.has(type);
}

/** Meta and question-only types (RFC 6895 §3.1): never held at a name. */
export function isMetaType(type: number): boolean {
  return type === RrType.OPT || (type >= 128 && type <= 255);
}
