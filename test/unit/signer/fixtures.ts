/** RFC example keys and records shared by the signer tests (SPECS.md §8.2–§8.4). */
import { nameToWire } from '../../../core/names.js';
import { dnskeyRdata } from '../../../signer/keys.js';

const b64 = (s: string): Buffer => Buffer.from(s, 'base64');

/** RFC 4034 §5.4 (RSA/SHA-1, algorithm 5). */
export const RFC4034_DNSKEY = dnskeyRdata(
  256,
  5,
  b64('AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw=='),
);

/** RFC 6605 §6.1 (P-256). */
export const RFC6605 = {
  zone: 'example.net.',
  dnskey: dnskeyRdata(257, 13, b64('GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==')),
  privateRaw: b64('GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ='),
  owner: 'www.example.net.',
  aRdata: Buffer.from([192, 0, 2, 1]),
  expiration: Date.UTC(2010, 8, 9, 10, 4, 39) / 1000,
  inception: Date.UTC(2010, 7, 12, 10, 4, 39) / 1000,
  signature: b64('qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw=='),
};

/** RFC 8080 §6.1 and §6.2 (Ed25519). */
export const RFC8080 = {
  zone: 'example.com.',
  seed: b64('ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI='),
  dnskey: dnskeyRdata(257, 15, b64('l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=')),
  dnskey2: dnskeyRdata(257, 15, b64('zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=')),
  mxRdata: Buffer.concat([Buffer.from([0, 10]), nameToWire('mail.example.com.')]),
  expiration: 1440021600,
  inception: 1438207200,
  /** As printed in the RFC: verifies only when signed with Labels = 3. */
  printedSignature: b64('Edk+IB9KNNWg0HAjm7FazXyrd5m3Rk8zNZbvNpAcM+eysqcUOMIjWoevFkjH5GaMWeG96GUVZu6ECKOQmemHDg=='),
  /** With the correct Labels = 2 (SPECS.md §8.4 regression vector). */
  correctSignature: b64('oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg=='),
};
