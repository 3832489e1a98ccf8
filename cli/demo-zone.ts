/**
 * The demo identity zone `npm start` creates in a new data directory: DANCE device names
 * (client-auth "IoT device" format), a DANE-TA wildcard for the whole fleet, a service-specific
 * name (`_<service>.<client-name>`), SSH host keys as SSHFP, and a device two labels deep so an
 * empty non-terminal exists. Digests are derived from fixed strings, so every install serves the
 * same, reproducible data.
 */
import { createHash } from 'node:crypto';
import { encodeSshfp, encodeTlsa } from '../core/identity-rdata.js';
import { RrType } from '../core/rr-types.js';
import type { NameChange } from '../zone-store/types.js';

export const DEMO_ZONE = '_device.example.net.';
export const DEMO_DEVICE = 'sensor1._device.example.net.';
export const DEMO_WILDCARD_EXAMPLE = 'cam42.site7._device.example.net.';

function digest(alg: 'sha256' | 'sha512', seed: string): Buffer {
  return createHash(alg).update(`idzone demo ${seed}`).digest();
}

function tlsa(usage: number, selector: number, matchingType: number, seed: string): Buffer {
  return encodeTlsa({ usage, selector, matchingType, data: digest(matchingType === 2 ? 'sha512' : 'sha256', seed) });
}

function sshfp(algorithm: number, seed: string): Buffer {
  return encodeSshfp({ algorithm, fpType: 2, fingerprint: digest('sha256', seed) });
}

export function demoChanges(): NameChange[] {
  const put = (owner: string, rrsets: { type: number; rdatas: Buffer[] }[]): NameChange => ({
    op: 'put',
    owner,
    rrsets: rrsets.map((r) => ({ type: r.type, ttl: 60, rdatas: r.rdatas })),
  });
  return [
    put('sensor1._device.example.net.', [
      { type: RrType.TLSA, rdatas: [tlsa(3, 1, 1, 'sensor1 spki')] },
      { type: RrType.SSHFP, rdatas: [sshfp(4, 'sensor1 ed25519')] },
    ]),
    put('sensor2._device.example.net.', [{ type: RrType.TLSA, rdatas: [tlsa(3, 1, 2, 'sensor2 spki')] }]),
    put('camera7._device.example.net.', [
      { type: RrType.TLSA, rdatas: [tlsa(3, 1, 1, 'camera7 spki')] },
      { type: RrType.SSHFP, rdatas: [sshfp(4, 'camera7 ed25519'), sshfp(1, 'camera7 rsa')] },
    ]),
    put('_mqtt-client.sensor1._device.example.net.', [{ type: RrType.TLSA, rdatas: [tlsa(3, 1, 1, 'sensor1 mqtt client')] }]),
    put('gw1.site7._device.example.net.', [{ type: RrType.TLSA, rdatas: [tlsa(3, 1, 1, 'gw1.site7 spki')] }]),
    // DANE-TA for every device of site 7 (any name below site7 chains to the site CA). Not at the
    // apex: there a wildcard would answer every random device name, hiding NXDOMAIN.
    put('*.site7._device.example.net.', [{ type: RrType.TLSA, rdatas: [tlsa(2, 0, 1, 'site7 ca')] }]),
  ];
}
