/**
 * The options every fleet benchmark shares (fleet.ts, signing.ts): fleet size, output and work
 * directories, dnsperf run length, and how long to wait for the server to idle after start-up.
 * Each script adds its own options to these and validates them the same way.
 */
import { join } from 'node:path';

export const FLEET_OPTIONS = {
  devices: { type: 'string' },
  quick: { type: 'boolean', default: false },
  out: { type: 'string', default: 'bench/out' },
  'work-dir': { type: 'string' },
  seconds: { type: 'string', default: '10' },
  'settle-max': { type: 'string', default: '600' },
} as const;

export interface FleetOptions {
  devices: number;
  out: string;
  workDir: string;
  seconds: number;
  settleMax: number;
}

export interface FleetValues {
  devices?: string | undefined;
  quick?: boolean | undefined;
  out: string;
  'work-dir'?: string | undefined;
  seconds: string;
  'settle-max': string;
}

/** Converts and checks the shared values; throws with the option's range on a bad value. */
export function fleetOptions(values: FleetValues): FleetOptions {
  const devices = Number(values.devices ?? (values.quick === true ? 50_000 : 1_000_000));
  const seconds = Number(values.seconds);
  const settleMax = Number(values['settle-max']);
  if (!Number.isInteger(devices) || devices < 1 || devices > 50_000_000) throw new Error('--devices: 1 … 50,000,000');
  if (!(seconds > 0 && seconds <= 120)) throw new Error('--seconds: 1 … 120');
  if (!(settleMax >= 0 && settleMax <= 3600)) throw new Error('--settle-max: 0 … 3600 seconds');
  return { devices, out: values.out, workDir: values['work-dir'] ?? join(values.out, 'work'), seconds, settleMax };
}
