/**
 * `idzone key status ZONE`, `idzone key rollover ZONE --zsk|--ksk [--force] [--parent-ds-ttl S]` and
 * `idzone key ds-seen ZONE [--since TIME] [--parent-ds-ttl S]`: where a zone's ZSK and KSK rollovers
 * stand, the next step of one (ZSK by pre-publication, RFC 6781 §4.1.1.1; KSK double-KSK with
 * CDS/CDNSKEY, RFC 7583 §3.3, RFC 7344), and the operator's confirmation that the parent serves
 * the new KSK's DS (the KSK retire step waits for it, then for the parent's DS TTL: a validator
 * may hold the parent's previous DS set that long). The steps and their safety are decided
 * by server/dnssec/rollover-service.ts; this file chooses where to run them and says the outcome:
 *   - a live server on the data directory (writer lock held by the pid in server.json): through its
 *     HTTP API with `<data-dir>/admin.token`, so its DNS caches and signers reload at once and its
 *     re-signer's progress counts;
 *   - otherwise offline: under the writer lock, with a synchronous re-sign pass where a step needs
 *     one (status alone reads the store read-only, without the lock).
 * Exit codes: 0 done (a forced step that was not safe yet also warns on stderr), 1 refused (not
 * safe yet: says what it waits for or when; CSK or unsigned zone) or failed, 2 usage.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateView, type RolloverStateView, type ZoneKeysView } from '../api/routes-keys.js';
import { parseName } from '../core/names.js';
import { KeyService } from '../server/dnssec/key-service.js';
import { Resigner } from '../server/dnssec/resigner.js';
import { FORCED_LOG_MESSAGE, RolloverError, RolloverService } from '../server/dnssec/rollover-service.js';
import { createLogger, type LogFn } from '../server/log.js';
import { openSqliteStore, type SqliteZoneStore } from '../zone-store/sqlite-zone-store.js';
import { formatHelp, parseCommandArgs, UsageError, type OptionSpec } from './args.js';
import { ADMIN_TOKEN_FILE, isInitialised } from './data-dir-init.js';
import { connectAddress, readLiveServer } from './serve-command.js';
import { acquireWriterLock } from './writer-lock.js';

const DATA_DIR: OptionSpec = { type: 'string', env: 'IDZONE_DATA_DIR', default: './data', help: 'data directory' };

export const KEY_STATUS_OPTIONS: Record<string, OptionSpec> = { 'data-dir': DATA_DIR };
const PARENT_DS_TTL: OptionSpec = { type: 'string', help: "TTL of the zone's DS RRset at the parent, in seconds (remembered for the zone; 86400 until set)" };
export const KEY_ROLLOVER_OPTIONS: Record<string, OptionSpec> = {
  'data-dir': DATA_DIR,
  zsk: { type: 'boolean', help: 'roll the zone-signing key (publish → activate → remove)' },
  ksk: { type: 'boolean', help: 'roll the key-signing key (publish → retire → remove; give the parent the new DS, then confirm with "idzone key ds-seen")' },
  force: { type: 'boolean', help: 'take the step even if it is not safe yet (emergencies only: validators may fail)' },
  'parent-ds-ttl': PARENT_DS_TTL,
};
export const KEY_DS_SEEN_OPTIONS: Record<string, OptionSpec> = {
  'data-dir': DATA_DIR,
  since: { type: 'string', help: 'when the parent started serving the DS: ISO 8601 time or Unix seconds (default: now)' },
  'parent-ds-ttl': PARENT_DS_TTL,
};

const STATUS_USAGE = 'idzone key status ZONE [--data-dir DIR]';
const STATUS_SUMMARY = "Says, for the ZSK and the KSK, which rollover step the zone is in, what the next step is, when it is safe and what else it waits for; lists the zone's public keys and DS records.";
const ROLLOVER_USAGE = 'idzone key rollover ZONE --zsk|--ksk [--force] [--parent-ds-ttl SECONDS] [--data-dir DIR]';
const ROLLOVER_SUMMARY =
  'Takes the next step of a ZSK or KSK rollover, starting one if none is under way. Run it again when "idzone key status" says the next step is safe. ' +
  'A KSK rollover\'s "retire" step also waits for "idzone key ds-seen" (the parent serves the new DS) and then for the parent\'s DS TTL. ' +
  'With a server running on the data directory, the step goes through its HTTP API (admin.token); otherwise it is taken offline.';
const DS_SEEN_USAGE = 'idzone key ds-seen ZONE [--since TIME] [--parent-ds-ttl SECONDS] [--data-dir DIR]';
const DS_SEEN_SUMMARY =
  'Confirms that the parent zone serves the DS of the new KSK of the KSK rollover under way (check its servers first, e.g. "dig ZONE DS"). ' +
  'The old KSK keeps signing the DNSKEY set until the parent\'s DS TTL (plus 300 s) has passed since then, for validators that cached the parent\'s DS set before the new DS was in it; ' +
  '"idzone key status" then says when "idzone key rollover ZONE --ksk" (retire) is safe.';
const KEY_HELP = `Usage: idzone key status|rollover|ds-seen ZONE [options]

  status ZONE                     rollover state of the ZSK and KSK, and when the next step is safe
  rollover ZONE --zsk|--ksk       take the next rollover step (refused, exit 1, until it is safe)
  ds-seen ZONE                    confirm the parent serves the new KSK's DS (the KSK retire step waits for it)

Run "idzone key status --help", "idzone key rollover --help" or "idzone key ds-seen --help" for options.
`;

/** Where and how a command reaches the zone's keys. */
interface KeyBackend {
  status(zone: string): Promise<Outcome<ZoneKeysView>>;
  rollover(zone: string, kind: 'zsk' | 'ksk', force: boolean, parentDsTtl: number | undefined): Promise<Outcome<{ step: string; status: ZoneKeysView; warning?: string }>>;
  dsSeen(zone: string, options: DsSeenRequest): Promise<Outcome<DsSeenAnswer>>;
  close(): void;
}

interface DsSeenRequest {
  since?: number;
  parentDsTtl?: number;
}

interface DsSeenAnswer {
  keyTag: number;
  dsSeenAt: number;
  parentDsTtl: number;
  status: ZoneKeysView;
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
  if (sub === 'ds-seen') return runDsSeen(rest, now);
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
  const parentDsTtl = ttlArg(values['parent-ds-ttl'], 'rollover');
  if (parentDsTtl !== undefined && kind === 'zsk') throw new UsageError(['key rollover: --parent-ds-ttl applies to --ksk only']);
  const backend = openBackend(String(values['data-dir']), 'write');
  try {
    const done = await backend.rollover(zone, kind, values['force'] === true, parentDsTtl);
    if (!done.ok) return refused(done.refusal, now());
    const st = done.value.status;
    if (done.value.warning !== undefined) process.stderr.write(`idzone: warning: ${done.value.warning}\n`);
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

async function runDsSeen(argv: string[], now: () => number): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, KEY_DS_SEEN_OPTIONS);
  if (values['help'] === true) return print(formatHelp(DS_SEEN_USAGE, DS_SEEN_SUMMARY, KEY_DS_SEEN_OPTIONS), 0);
  const zone = zoneArg(positionals, 'ds-seen');
  const req: DsSeenRequest = {};
  const ttl = ttlArg(values['parent-ds-ttl'], 'ds-seen');
  if (ttl !== undefined) req.parentDsTtl = ttl;
  if (values['since'] !== undefined) req.since = timeArg(String(values['since']));
  const backend = openBackend(String(values['data-dir']), 'write');
  try {
    const done = await backend.dsSeen(zone, req);
    if (!done.ok) return refused(done.refusal, now());
    const r = done.value;
    process.stdout.write(`KSK rollover of ${r.status.zone}: the parent serves the DS for KSK ${r.keyTag} since ${new Date(r.dsSeenAt * 1000).toISOString()} (parent's DS TTL ${r.parentDsTtl} s)\n`);
    process.stdout.write(formatKind(r.status.zone, r.status.ksk, now()));
    return 0;
  } finally {
    backend.close();
  }
}

function ttlArg(v: string | boolean | undefined, sub: string): number | undefined {
  if (v === undefined) return undefined;
  const text = String(v);
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n > 2147483647) throw new UsageError([`key ${sub}: --parent-ds-ttl needs whole seconds from 0 to 2147483647, got "${text}"`]);
  return n;
}

/** Unix seconds, or an ISO 8601 time with a zone (Z or ±hh:mm). */
function timeArg(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) throw new UsageError([`key ds-seen: --since needs Unix seconds or an ISO 8601 time with a zone (2026-01-31T12:00:00Z), got "${text}"`]);
  return Math.floor(ms / 1000);
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
  // A refusal carries safeAt only when time is all the step waits for; otherwise the message says what.
  const when =
    r.safeAt !== undefined
      ? `\n  safe: ${r.safeAt <= now ? 'now' : `${new Date(r.safeAt * 1000).toISOString()} (${relative(r.safeAt, now)})`}`
      : /NOT_SAFE/.test(r.code)
        ? '\n  safe: not yet (see above what it waits for; "idzone key status" shows it too)'
        : '';
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
  const withKeys = async <T extends object>(zone: string, r: Outcome<T>): Promise<Outcome<T & { view: ZoneKeysView }>> => {
    if (!r.ok) return r;
    // The keys list is not part of a step's answer; read it back for the DS lines.
    const st = await call<ZoneKeysView>('GET', keysPath(zone));
    return st.ok ? { ok: true, value: { ...r.value, view: st.value } } : st;
  };
  return {
    status: (zone) => call<ZoneKeysView>('GET', keysPath(zone)),
    rollover: async (zone, kind, force, parentDsTtl) => {
      const body = parentDsTtl === undefined ? { kind, force } : { kind, force, parentDsTtl };
      const r = await withKeys(zone, await call<{ action: { step: string }; warning?: string }>('POST', `${keysPath(zone)}/rollover`, body));
      if (!r.ok) return r;
      const out: { step: string; status: ZoneKeysView; warning?: string } = { step: r.value.action.step, status: r.value.view };
      if (r.value.warning !== undefined) out.warning = r.value.warning;
      return { ok: true, value: out };
    },
    dsSeen: async (zone, req) => {
      const r = await withKeys(zone, await call<{ keyTag: number; dsSeenAt: number; parentDsTtl: number }>('POST', `${keysPath(zone)}/ds-seen`, req));
      return r.ok ? { ok: true, value: { keyTag: r.value.keyTag, dsSeenAt: r.value.dsSeenAt, parentDsTtl: r.value.parentDsTtl, status: r.value.view } } : r;
    },
    close: () => undefined,
  };
}

// ---- offline, on the store ----

function offlineBackend(dataDir: string, mode: 'read' | 'write'): KeyBackend {
  const lock = mode === 'write' ? acquireWriterLock(dataDir, 'idzone key') : undefined;
  let store: SqliteZoneStore;
  try {
    store = openSqliteStore(dataDir, mode === 'write' ? { create: false } : { readonly: true });
  } catch (err) {
    lock?.release();
    throw err;
  }
  const warnings = createLogger('warn');
  // A forced step's warning is printed by runRollover itself; everything else at warn and above goes to stderr.
  const log: LogFn = (level, msg, fields) => {
    if (msg !== FORCED_LOG_MESSAGE) warnings(level, msg, fields);
  };
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
    rollover: async (zone, kind, force, parentDsTtl) =>
      attempt(() => {
        const z = store.getZone(zone);
        // Writes re-sign nodes at write time; the signer must know the zone's current keys.
        if (z !== undefined) keys.loadZone(z);
        store.setSigner(keys.registry);
        const { action, warning } = rollovers.advance(zone, kind, force, parentDsTtl === undefined ? {} : { parentDsTtl });
        store.checkpoint();
        const out: { step: string; status: ZoneKeysView; warning?: string } = { step: action.step, status: view(zone) };
        if (warning !== undefined) out.warning = warning;
        return out;
      }),
    dsSeen: async (zone, req) =>
      attempt(() => {
        const r = rollovers.confirmDsSeen(zone, req);
        return { keyTag: r.keyTag, dsSeenAt: r.dsSeenAt, parentDsTtl: r.parentDsTtl, status: view(zone) };
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
  'ksk retire': 'the old KSK stops signing the DNSKEY set and leaves CDS/CDNSKEY (the parent drops its DS)',
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
  const when = s.safeAt <= now ? 'now' : `${s.safeAtTime} (${relative(s.safeAt, now)})`;
  const lines = [
    `${name}: ${where}`,
    `  ${s.description}`,
    `  next: step ${nextNo} "${s.next.step}": ${NEXT_MEANS[`${s.kind} ${s.next.step}`] ?? s.next.step}${tags ? ` (${tags})` : ''}`,
  ];
  if (s.waitingFor === undefined) {
    lines.push(`  safe: ${when}`);
  } else {
    // Not safe at any time until the condition is met; the time is only a lower bound.
    lines.push(`  safe: not yet${s.safeAt > now ? `, and not before ${when}` : ''}`);
    lines.push(`  waiting for: ${s.waitingFor}`);
  }
  if (s.kind === 'ksk' && s.parentDsTtl !== undefined && s.stepTaken > 0) {
    const seen = s.dsSeenAt !== undefined ? `; the parent serves the new DS since ${s.dsSeenAtTime ?? new Date(s.dsSeenAt * 1000).toISOString()} (confirmed)` : '';
    lines.push(`  parent's DS TTL: ${s.parentDsTtl} s${seen}`);
  }
  const awaitingDs = s.kind === 'ksk' && s.stepTaken === 1 && s.dsSeenAt === undefined;
  if (awaitingDs) lines.push(`  then: idzone key ds-seen ${zone}  (once the parent serves the new DS; --parent-ds-ttl SECONDS if its DS TTL is not ${s.parentDsTtl ?? 86400})`);
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
