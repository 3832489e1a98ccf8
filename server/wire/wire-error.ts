/**
 * The one error type of the wire decoder. It never leaves server/wire: decodeQuery catches it and
 * turns it into a FORMERR (or NOTIMP) result, so callers see outcomes as values (STYLE.md §Errors).
 */

export class WireError extends Error {
  readonly code = 'ERR_WIRE_MALFORMED';
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}
