/**
 * `idzone key status ZONE` and `idzone key rollover ZONE --zsk|--ksk [--force]`: where a zone's ZSK
 * and KSK rollovers stand and the next step of one (ZSK by pre-publication, RFC 6781 §4.1.1.1; KSK
 * double-KSK with CDS/CDNSKEY, RFC 7583 §3.3.2, RFC 7344). The steps and their safety are decided
 * by server/dnssec/rollover-service.ts; this file chooses where to run them and says the outcome:
 *   - a live server on the data directory (writer lock held by the pid in server.json): through its
 *     HTTP API with `<data-dir>/admin.token`, so its DNS caches and signers reload at once and its
 *     re-signer's progress counts;
 *   - otherwise offline: under the writer lock, with a synchronous re-sign pass where a step needs
 *     one (status alone reads the store read-only, without the lock).
 * Exit codes: 0 done, 1 refused (not safe yet: says why and when; CSK or unsigned zone) or failed,
 * 2 usage.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateView, type RolloverStateView, type ZoneKeysView } from '../api/routes-keys.js';
import { parseName } from '../core/names.js';
import { KeyService } from '../server/dnssec/key-service.js';
import { Resigner } from '../server/dnssec/resigner.js';
import { RolloverError, RolloverService } from '../server/dnssec/rollover-service.js';
import { createLogger } from '../server/log.js';
import { openSqliteStore, type SqliteZoneStore } from '../zone-store/sqlite-zone-store.js';
import { formatHelp, parseCommandArgs, UsageError, type OptionSpec } from './args.js';
import { ADMIN_TOKEN_FILE, isInitialised } from './data-dir-init.js';
import { connectAddress, readLiveServer } from './serve-command.js';
import { acquireWriterLock } from './writer-lock.js';

const DATA_DIR: OptionSpec = { type: 'string', env: 'IDZONE_DATA_DIR', default: './data', help: 'data directory' };

export const KEY_STATUS_OPTIONS: Record<string, OptionSpec> = { 'data-dir': DATA_DIR };
export const KEY_ROLLOVER_OPTIONS: Record<string, OptionSpec> = {
  'data-dir': DATA_DIR,
  zsk: { type: 'boolean', help: 'roll the zone-signing key (publish → activate → remove)' },
  ksk: { type: 'boolean', help: 'roll the key-signing key (publish → retire → remove; give the parent the new DS)' },
  force: { type: 'boolean', help: 'take the step even if it is not safe yet (emergencies only: validators may fail)' },
};

const STATUS_USAGE = 'idzone key status ZONE [--data-dir DIR]';
const STATUS_SUMMARY = "Says, for the ZSK and the KSK, which rollover step the zone is in, what the next step is, when it is safe and what else it waits for; lists the zone's public keys and DS records.";
const ROLLOVER_USAGE = 'idzone key rollover ZONE --zsk|--ksk [--force] [--data-dir DIR]';
const ROLLOVER_SUMMARY =
  'Takes the next step of a ZSK or KSK rollover, starting one if none is under way. Run it again when "idzone key status" says the next step is safe. ' +
  'With a server running on the data directory, the step goes through its HTTP API (admin.token); otherwise it is taken offline.';
const KEY_HELP = `Usage: idzone key status|rollover ZONE [options]

  status ZONE                     rollover state of the ZSK and KSK, and when the next step is safe
  rollover ZONE --zsk|--ksk       take the next rollover step (refused, exit 1, until it is safe)

Run "idzone key status --help" or "idzone key rollover --help" for options.
`;

/** Where and how a command reaches the zone's keys. */
interface KeyBackend {
  status(zone: string): Promise<Outcome<ZoneKeysView>>;
  rollover(zone: string, kind: 'zsk' | 'ksk', force: boolean): Promise<Outcome<{ step: string; status: ZoneKeysView }>>;
  close(): void;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

interface Refusal {
  code: string;
  message: string;
  safeAt?: number;
}

export async function runKey(argv: string[], now: () => number = () => Math.floor(Date.now() / 1000)): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h') return print(KEY_HELP, 0);
  if (sub === 'status') return runStatus(rest, now);
  if (sub === 'rollover') return runRollover(rest, now);
  process.stderr.write(sub === undefined ? KEY_HELP : `idzone: unknown key command "${sub}"\n\n${KEY_HELP}`);
  return 2;
}

async function runStatus(argv: string[], now: () => number): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, KEY_STATUS_OPTIONS);
  if (values['help'] === true) return print(formatHelp(STATUS_USAGE, STATUS_SUMMARY, KEY_STATUS_OPTIONS), 0);
  const zone = zoneArg(positionals, 'status');
  const backend = openBackend(String(values['data-dir']), 'read');
  try {
    const st = await backend.status(zone);
    if (!st.ok) return refused(st.refusal, now());
    process.stdout.write(formatStatus(st.value, now()));
    return 0;
  } finally {
    backend.close();
  }
}

async function runRollover(argv: string[], now: () => number): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, KEY_ROLLOVER_OPTIONS);
  if (values['help'] === true) return print(formatHelp(ROLLOVER_USAGE, ROLLOVER_SUMMARY, KEY_ROLLOVER_OPTIONS), 0);
  const zone = zoneArg(positionals, 'rollover');
  if ((values['zsk'] === true) === (values['ksk'] === true)) throw new UsageError(['key rollover: give exactly one of --zsk or --ksk']);
  const kind = values['zsk'] === true ? 'zsk' : 'ksk';
  const backend = openBackend(String(values['data-dir']), 'write');
  try {
    const done = await backend.rollover(zone, kind, values['force'] === true);
    if (!done.ok) return refused(done.refusal, now());
    const st = done.value.status;
    process.stdout.write(`${kind.toUpperCase()} rollover of ${st.zone}: took step "${done.value.step}"\n`);
    process.stdout.write(formatKind(st.zone, kind === 'zsk' ? st.zsk : st.ksk, now()));
    if (kind === 'ksk') {
      const ds = st.keys.filter((k) => k.ds !== undefined && k.state === 'active').map((k) => k.ds!);
      process.stdout.write(`  DS the parent should hold (CDS/CDNSKEY publish the same):\n${ds.map((d) => `    ${d}\n`).join('')}`);
    }
    return 0;
  } finally {
    backend.close();
  }
}

function zoneArg(positionals: string[], sub: string): string {
  if (positionals.length !== 1) throw new UsageError([`key ${sub}: expected one zone NAME, got ${positionals.length}`]);
  try {
    return parseName(positionals[0]!);
  } catch (e) {
    throw new UsageError([`key ${sub}: ${(e as Error).message}`]);
  }
}

function print(text: string, code: number): number {
  process.stdout.write(text);
  return code;
}

function refused(r: Refusal, now: number): number {
  const when = r.safeAt !== undefined ? `\n  safe: ${r.safeAt <= now ? 'now' : `${new Date(r.safeAt * 1000).toISOString()} (${relative(r.safeAt, now)})`}; "idzone key status" says what it waits for` : '';
  process.stderr.write(`idzone: refused (${r.code}): ${r.message}${when}\n`);
  return 1;
}

function openBackend(dataDir: string, mode: 'read' | 'write'): KeyBackend {
  if (!isInitialised(dataDir)) throw new UsageError([`${dataDir} is not an idzone data directory`]);
  const live = readLiveServer(dataDir);
  if (live !== undefined) return apiBackend(`http://${connectAddress(live.api)}`, readToken(dataDir));
  return offlineBackend(dataDir, mode);
}

function readToken(dataDir: string): string {
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw Object.assign(new Error(`a server is running on ${dataDir}, but its admin token ${file} cannot be read: ${(e as Error).message}`), { code: 'ERR_CLI_TOKEN' });
  }
}

// ---- through a live server's API ----

interface ProblemBody {
  code?: string;
  detail?: string;
  safeAt?: number;
}

function apiBackend(base: string, token: string): KeyBackend {
  const call = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Outcome<T>> => {
    const init: RequestInit = { method, headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) } };
    if (body !== undefined) init.body = JSON.stringify(body);
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(120_000) });
    } catch (e) {
      throw Object.assign(new Error(`cannot reach the running server's API at ${base}: ${(e as Error).message}`), { code: 'ERR_CLI_API' });
    }
    const json = (await res.json().catch(() => ({}))) as unknown;
    if (res.ok) return { ok: true, value: json as T };
    const p = json as ProblemBody;
    const refusal: Refusal = { code: p.code ?? `HTTP ${res.status}`, message: p.detail ?? res.statusText };
    if (typeof p.safeAt === 'number') refusal.safeAt = p.safeAt;
    return { ok: false, refusal };
  };
  const keysPath = (zone: string): string => `/api/v1/zones/${encodeURIComponent(zone)}/keys`;
  return {
    status: (zone) => call<ZoneKeysView>('GET', keysPath(zone)),
    rollover: async (zone, kind, force) => {
      const r = await call<{ action: { step: string } }>('POST', `${keysPath(zone)}/rollover`, { kind, force });
      if (!r.ok) return r;
      // The keys list is not part of the step's answer; read it back for the DS lines.
      const st = await call<ZoneKeysView>('GET', keysPath(zone));
      return st.ok ? { ok: true, value: { step: r.value.action.step, status: st.value } } : st;
    },
    close: () => undefined,
  };
}

// ---- offline, on the store ----

function offlineBackend(dataDir: string, mode: 'read' | 'write'): KeyBackend {
  const lock = mode === 'write' ? acquireWriterLock(dataDir, 'idzone key rollover') : undefined;
  let store: SqliteZoneStore;
  try {
    store = openSqliteStore(dataDir, mode === 'write' ? { create: false } : { readonly: true });
  } catch (err) {
    lock?.release();
    throw err;
  }
  const log = createLogger('warn');
  const clock = (): number => Math.floor(Date.now() / 1000);
  const keys = new KeyService({ dataDir, store, log, clock });
  const resigner = new Resigner({ store, signerFor: (z) => keys.registry.get(z), clock, log });
  const rollovers = new RolloverService({ dataDir, store, keys, clock, log, resigner, resignSynchronously: true });
  const view = (zone: string): ZoneKeysView => {
    const st = rollovers.status(zone);
    const info = store.getZone(st.zone)!;
    return { zone: st.zone, csk: st.csk, keys: keys.describeKeys(info), zsk: stateView(st.zsk), ksk: stateView(st.ksk) };
  };
  return {
    status: async (zone) => attempt(() => view(zone)),
    rollover: async (zone, kind, force) =>
      attempt(() => {
        const z = store.getZone(zone);
        // Writes re-sign nodes at write time; the signer must know the zone's current keys.
        if (z !== undefined) keys.loadZone(z);
        store.setSigner(keys.registry);
        const { action } = rollovers.advance(zone, kind, force);
        store.checkpoint();
        return { step: action.step, status: view(zone) };
      }),
    close: () => {
      store.close();
      lock?.release();
    },
  };
}

function attempt<T>(f: () => T): Outcome<T> {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (!(e instanceof RolloverError)) throw e;
    const refusal: Refusal = { code: e.code, message: e.message };
    if (e.safeAt !== undefined) refusal.safeAt = e.safeAt;
    return { ok: false, refusal };
  }
}

// ---- output ----

const STEPS: Readonly<Record<'zsk' | 'ksk', readonly string[]>> = { zsk: ['publish', 'activate', 'remove'], ksk: ['publish', 'retire', 'remove'] };

const NEXT_MEANS: Readonly<Record<string, string>> = {
  'zsk publish': 'publish a new ZSK beside the active one (starts a rollover)',
  'zsk activate': 'the new ZSK starts signing; the old one stays published; stored signatures are re-made',
  'zsk remove': 'remove the old ZSK from the DNSKEY set',
  'ksk publish': 'add a new KSK that signs the DNSKEY set beside the old one; CDS/CDNSKEY list both (starts a rollover)',
  'ksk retire': 'the old KSK stops signing and leaves CDS/CDNSKEY (the parent drops its DS)',
  'ksk remove': 'remove the old KSK from the DNSKEY set',
};

export function formatStatus(v: ZoneKeysView, now: number): string {
  let out = `zone ${v.zone} (${v.csk ? 'combined signing key: ZSK/KSK rollovers do not apply' : 'KSK + ZSK'})\n`;
  if (!v.csk) out += formatKind(v.zone, v.zsk, now) + formatKind(v.zone, v.ksk, now);
  out += 'keys:\n';
  for (const k of v.keys) out += `  ${k.role.toUpperCase()} ${k.keyTag}  algorithm ${k.algorithm}  ${k.state ?? ''}${k.ds !== undefined ? `\n    ${k.ds}` : ''}\n`;
  return out;
}

export function formatKind(zone: string, s: RolloverStateView, now: number): string {
  const steps = STEPS[s.kind];
  const name = s.kind.toUpperCase();
  const where = s.stepTaken === 0 ? 'no rollover under way' : `step ${s.stepTaken} of ${steps.length} ("${steps[s.stepTaken - 1]}") taken`;
  const tags = [s.next.newKeyTag !== undefined ? `new key ${s.next.newKeyTag}` : '', s.next.oldKeyTags?.length ? `old key ${s.next.oldKeyTags.join(', ')}` : ''].filter(Boolean).join('; ');
  const nextNo = s.stepTaken === 0 ? 1 : s.stepTaken + 1;
  const lines = [
    `${name}: ${where}`,
    `  ${s.description}`,
    `  next: step ${nextNo} "${s.next.step}": ${NEXT_MEANS[`${s.kind} ${s.next.step}`] ?? s.next.step}${tags ? ` (${tags})` : ''}`,
    `  safe: ${s.safeAt <= now ? 'now' : `${s.safeAtTime} (${relative(s.safeAt, now)})`}`,
  ];
  if (s.waitingFor !== undefined) lines.push(`  waiting for: ${s.waitingFor}`);
  lines.push(`  then: idzone key rollover ${zone} --${s.kind}${s.safeAt <= now && s.waitingFor === undefined ? '' : '  (once safe)'}`);
  return lines.join('\n') + '\n';
}

/** "now", or "in N minutes" (with hours or days when that is long). */
export function relative(at: number, now: number): string {
  if (at <= now) return 'now';
  const minutes = Math.ceil((at - now) / 60);
  if (minutes < 120) return `in ${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = minutes / 60;
  return hours < 48 ? `in ${minutes} minutes, about ${Math.round(hours)} hours` : `in ${minutes} minutes, about ${Math.round(hours / 24)} days`;
}
