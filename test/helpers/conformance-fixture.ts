/**
 * Shared set-up for test/conformance: one real server per test file (mocha before/after hooks),
 * the demo zone's names as the tests know them (cli/demo-zone.ts), and an independent decode of
 * every answer with dns-packet next to raw-dns.ts's own reader.
 */
import * as dnsPacket from 'dns-packet';
import type { ServeConfig } from '../../server/main.js';
import { startTestServer, type TestServer } from './server-fixture.js';

export const ZONE = '_device.example.net.';

/** Every name that exists in the demo zone, ENT included (cli/demo-zone.ts). */
export const DEMO_NAMES = [
  '_device.example.net.',
  'sensor1._device.example.net.',
  'sensor2._device.example.net.',
  'camera7._device.example.net.',
  '_mqtt-client.sensor1._device.example.net.',
  'gw1.site7._device.example.net.',
  'site7._device.example.net.',
  '*._device.example.net.', // the test variant of the demo zone (server-fixture.ts)
] as const;

/**
 * Type codes as the RFCs number them, written out here rather than imported from core/rr-types.ts,
 * so a wrong constant in the server is not mirrored by the tests that judge it.
 */
export const T = {
  SOA: 6,
  NS: 2,
  A: 1,
  AAAA: 28,
  MX: 15,
  TXT: 16,
  SSHFP: 44,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
  NSEC3PARAM: 51,
  TLSA: 52,
  CDS: 59,
  CDNSKEY: 60,
  NXNAME: 128,
  ANY: 255,
} as const;

export const RC = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

/** Registers before/after hooks starting one server for the enclosing describe; read `.t` in tests. */
export function useServer(overrides: Partial<ServeConfig> = {}): { t: TestServer } {
  const holder = {} as { t: TestServer };
  before(async function () {
    this.timeout(20_000);
    holder.t = await startWithRetry(overrides);
  });
  after(async function () {
    this.timeout(10_000);
    await holder.t?.stop();
  });
  return holder;
}

/**
 * server/dns-service.ts binds UDP on port 0, then TCP on the port UDP got; that TCP port can
 * already be taken (often by one of this process's own client sockets), which fails start-up with
 * EADDRINUSE. Reported to the lead; until the server retries itself, the fixture tries again so
 * the conformance tests judge answers, not port luck. Any other error is thrown at once.
 */
async function startWithRetry(overrides: Partial<ServeConfig>): Promise<TestServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTestServer(overrides);
    } catch (err) {
      if (attempt >= 5 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
}

/** dns-packet's view of a message (header flags and rcode name), to cross-check raw-dns.ts. */
export function independentDecode(msg: Buffer): dnsPacket.DecodedPacket & { rcode?: string } {
  return dnsPacket.decode(msg) as dnsPacket.DecodedPacket & { rcode?: string };
}

/** A fresh random name under the zone that does not exist. */
export function randomName(prefix = ''): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = 'nx-';
  for (let i = 0; i < 14; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return `${prefix}${s}.${ZONE}`;
}
