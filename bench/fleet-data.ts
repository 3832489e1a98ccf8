/**
 * The benchmark fleet: N devices `dev000001._device.bench.example.` …, each with one TLSA 3 1 1
 * (SHA-256 of an SPKI, here the SHA-256 of the device number so runs are reproducible) and, for every
 * odd-numbered device (half the fleet), one SSHFP 4 2. Written as NDJSON in the shape `idzone import`
 * and `POST /api/v1/zones/{zone}/import` accept, streamed with back-pressure so a million lines never
 * sit in memory. Also writes dnsperf query files (random positive, NXDOMAIN and NODATA names) from a
 * seeded generator, and prepares (or reuses) an imported fleet data directory.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { runIdzoneOk, type CliRun } from './server-process.js';
import { openSqliteStore } from '../zone-store/index.js';

export const FLEET_ZONE = '_device.bench.example.';

/** Owner of device i (1-based); at least six digits, more when N needs them. */
export function deviceName(i: number, devices: number, zone = FLEET_ZONE): string {
  return `dev${String(i).padStart(Math.max(6, String(devices).length), '0')}.${zone}`;
}

export function tlsaDigest(i: number, salt = 'tlsa'): string {
  return createHash('sha256').update(`${salt}:${i}`).digest('hex');
}

/** One NDJSON import line for device i. */
export function deviceLine(i: number, devices: number, zone = FLEET_ZONE, salt = 'tlsa'): string {
  const tlsa = `[{"usage":3,"selector":1,"matchingType":1,"data":"${tlsaDigest(i, salt)}"}]`;
  const sshfp = i % 2 === 1 ? `,"sshfp":[{"algorithm":4,"type":2,"fingerprint":"${createHash('sha256').update(`sshfp:${i}`).digest('hex')}"}]` : '';
  return `{"name":"${deviceName(i, devices, zone)}","ttl":60,"tlsa":${tlsa}${sshfp}}\n`;
}

/** Streams `count` lines from `line(k)` (k = 0 … count-1) into a file, honouring back-pressure. */
export async function writeLines(file: string, count: number, line: (k: number) => string): Promise<void> {
  const out = createWriteStream(file);
  const chunk: string[] = [];
  for (let k = 0; k < count; k++) {
    chunk.push(line(k));
    if (chunk.length === 4096 || k === count - 1) {
      if (!out.write(chunk.join(''))) await once(out, 'drain');
      chunk.length = 0;
    }
  }
  out.end();
  await once(out, 'finish');
}

export function writeFleetNdjson(file: string, devices: number, zone = FLEET_ZONE): Promise<void> {
  return writeLines(file, devices, (k) => deviceLine(k + 1, devices, zone));
}

/** Mulberry32: a small seeded PRNG, so query files are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type QueryMix = 'positive' | 'nxdomain' | 'nodata' | 'mixed';

/**
 * A dnsperf query file of `count` lines. positive: TLSA at random devices; nxdomain: TLSA at random
 * names that do not exist (all distinct, so neither the answer cache nor the signature cache can
 * help); nodata: type A at random devices; mixed: one third of each.
 */
export function writeQueryFile(file: string, mix: QueryMix, count: number, devices: number, seed: number): Promise<void> {
  const rnd = seededRandom(seed);
  const device = (): string => deviceName(1 + Math.floor(rnd() * devices), devices);
  const absent = (k: number): string => `nx${k.toString(36)}-${Math.floor(rnd() * 2 ** 32).toString(36)}.${FLEET_ZONE}`;
  const pick: Record<Exclude<QueryMix, 'mixed'>, (k: number) => string> = {
    positive: () => `${device()} TLSA\n`,
    nxdomain: (k) => `${absent(k)} TLSA\n`,
    nodata: () => `${device()} A\n`,
  };
  const kinds = ['positive', 'nxdomain', 'nodata'] as const;
  return writeLines(file, count, (k) => (mix === 'mixed' ? pick[kinds[k % 3]!](k) : pick[mix](k)));
}

export interface PreparedFleet {
  dataDir: string;
  ndjson: string;
  devices: number;
  generateSeconds: number;
  /** Undefined when an existing import was reused. */
  importRun?: CliRun;
  zoneCreateSeconds?: number;
}

/**
 * Generates the NDJSON fleet and imports it with `idzone zone create` + `idzone import` into
 * `<workDir>/fleet-<N>/data`. With `reuse`, a data directory that already holds N names is kept.
 */
export async function prepareFleet(workDir: string, devices: number, reuse: boolean, log: (s: string) => void): Promise<PreparedFleet> {
  const base = join(workDir, `fleet-${devices}`);
  const dataDir = join(base, 'data');
  const ndjson = join(base, 'fleet.ndjson');
  mkdirSync(base, { recursive: true });
  if (reuse && existsSync(dataDir)) {
    const held = await fleetNameCount(dataDir, log);
    if (held === devices) {
      log(`reusing imported fleet in ${dataDir}`);
      return { dataDir, ndjson, devices, generateSeconds: 0 };
    }
    log(`${dataDir} holds ${held ?? 'no readable'} fleet names, not ${devices}: generating it again`);
  }
  log(`generating ${devices} devices into ${ndjson}`);
  const t0 = performance.now();
  await writeFleetNdjson(ndjson, devices);
  const generateSeconds = (performance.now() - t0) / 1000;
  rmSync(dataDir, { recursive: true, force: true });
  const created = await runIdzoneOk(['zone', 'create', '--data-dir', dataDir, FLEET_ZONE]);
  log(`importing with: idzone import --data-dir ${dataDir} --zone ${FLEET_ZONE} ${ndjson}`);
  const importRun = await runIdzoneOk(['import', '--data-dir', dataDir, '--zone', FLEET_ZONE, ndjson]);
  return { dataDir, ndjson, devices, generateSeconds, importRun, zoneCreateSeconds: created.seconds };
}

/**
 * Names in the fleet zone per `idzone zone list`; undefined (with the reason logged) when the
 * directory is not usable. A directory written by an older idzone is migrated first, by opening it
 * once as the writer: `zone list` opens read-only and refuses a schema the writer has not migrated,
 * and a fleet of a million names must not be thrown away for that.
 */
export async function fleetNameCount(dataDir: string, log: (s: string) => void = () => {}): Promise<number | undefined> {
  const list = async (): Promise<number | undefined> => {
    const r = await runIdzoneOk(['zone', 'list', '--data-dir', dataDir], 60_000);
    const line = r.stdout.split('\n').find((l) => l.startsWith(`${FLEET_ZONE}\t`));
    const m = line === undefined ? null : /\t(\d+) names\t/.exec(line);
    return m ? Number(m[1]) : undefined;
  };
  try {
    return await list();
  } catch (err) {
    // The CLI prints the store's message, not its code (ERR_STORE_SCHEMA_TOO_OLD).
    const message = (err as Error).message;
    if (!message.includes('start the writer first')) {
      log(`idzone zone list failed on ${dataDir}: ${message.slice(0, 300)}`);
      return undefined;
    }
  }
  log(`migrating ${dataDir} to this build's schema`);
  try {
    openSqliteStore(dataDir, { create: false }).close();
    return await list();
  } catch (err) {
    log(`cannot migrate ${dataDir}: ${(err as Error).message.slice(0, 300)}`);
    return undefined;
  }
}
