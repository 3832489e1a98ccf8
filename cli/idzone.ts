/**
 * The `idzone` command line: one dispatcher, one small function per command, `--help` on every
 * command. Writing commands take the data directory's writer lock, so they refuse to run beside a
 * live server (whose caches would not learn of the change) and point to the HTTP API instead.
 * Exit codes: 0 success, 1 operational failure, 2 usage error.
 */
import { existsSync } from 'node:fs';
import { createLogger } from '../server/log.js';
import { DnssecAlgorithm } from '../signer/keys.js';
import { createZoneWithKeys } from '../api/routes-zones.js';
import { KeyService } from '../server/dnssec/key-service.js';
import { Resigner } from '../server/dnssec/resigner.js';
import { createToken } from '../api/tokens.js';
import { isStoreError } from '../zone-store/errors.js';
import { openSqliteStore, type SqliteZoneStore } from '../zone-store/sqlite-zone-store.js';
import { parseName } from '../core/names.js';
import { formatHelp, parseCommandArgs, UsageError, type OptionSpec } from './args.js';
import { isInitialised } from './data-dir-init.js';
import { runExport } from './export-command.js';
import { formatImportReport, runImport } from './import-command.js';
import { runKey } from './key-command.js';
import { runServe, SERVE_OPTIONS } from './serve-command.js';
import { acquireWriterLock, WriterLockError } from './writer-lock.js';

const DATA_DIR: OptionSpec = { type: 'string', env: 'IDZONE_DATA_DIR', default: './data', help: 'data directory' };

const TOP_HELP = `Usage: idzone <command> [options]

Authoritative DNS server for DANCE identity zones (TLSA and SSHFP), signed online.

Commands:
  serve                      run the DNS server and the HTTP API
  zone create|list|delete|ds manage zones (ds prints the DS records for the parent)
  key status|rollover|ds-seen DNSSEC key rollovers: where a zone stands, the next step, the parent's DS
  import                     load names from NDJSON or zone-file text
  export                     print a zone as zone-file text
  token create               make an API bearer token

Run "idzone <command> --help" for a command's options.
`;

export async function runCli(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  quietOnClosedOutput(cmd === 'serve');
  try {
    switch (cmd) {
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(TOP_HELP);
        return cmd === undefined ? 2 : 0;
      case 'serve':
        if (rest.includes('--help')) return help('idzone serve [options]', 'Serves DNS (UDP and TCP) and the HTTP API. A missing data directory is created with a signed demo zone and an admin token.', SERVE_OPTIONS);
        return await runServe(rest);
      case 'zone':
        return await runZone(rest);
      case 'key':
        return await runKey(rest);
      case 'import':
        return await runImportCommand(rest);
      case 'export':
        return await runExportCommand(rest);
      case 'token':
        return runToken(rest);
      default:
        process.stderr.write(`idzone: unknown command "${cmd}"\n\n${TOP_HELP}`);
        return 2;
    }
  } catch (err) {
    return reportError(err);
  }
}

/**
 * A reader that goes away (`idzone key status Z | head -1`, `idzone export Z | head`) makes writes
 * to stdout fail with EPIPE, which Node raises as an unhandled 'error' event: the command died with
 * a stack trace. A one-shot command now stops quietly, as Unix tools do; `serve` keeps answering DNS
 * and drops the lines nobody reads.
 */
function quietOnClosedOutput(serving: boolean): void {
  keepServingOnClosedOutput = serving;
  if (closedOutputHandled) return;
  closedOutputHandled = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
      if (!keepServingOnClosedOutput) process.exit(0);
    });
  }
}

let closedOutputHandled = false;
let keepServingOnClosedOutput = false;

function reportError(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(err.problems.map((p) => `idzone: ${p}`).join('\n') + '\n');
    return 2;
  }
  if (err instanceof WriterLockError || isStoreError(err) || (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('ERR_'))) {
    process.stderr.write(`idzone: ${(err as Error).message}\n`);
    return 1;
  }
  process.stderr.write(`idzone: ${(err as Error)?.stack ?? String(err)}\n`);
  return 1;
}

function help(usage: string, summary: string, spec: Record<string, OptionSpec>): number {
  process.stdout.write(formatHelp(usage, summary, spec));
  return 0;
}

/** Opens an existing data directory for writing, under the writer lock. */
export function openForWrite(dataDir: string, purpose: string): { store: SqliteZoneStore; done: () => void } {
  if (!isInitialised(dataDir)) throw new UsageError([`${dataDir} is not an idzone data directory (run "idzone serve --data-dir ${dataDir}" once, or "idzone zone create --data-dir ${dataDir} NAME")`]);
  const lock = acquireWriterLock(dataDir, purpose);
  try {
    const store = openSqliteStore(dataDir, { create: false });
    return {
      store,
      done: () => {
        store.close();
        lock.release();
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}

function openForRead(dataDir: string): SqliteZoneStore {
  if (!isInitialised(dataDir)) throw new UsageError([`${dataDir} is not an idzone data directory`]);
  return openSqliteStore(dataDir, { readonly: true });
}

const ZONE_OPTIONS: Record<string, OptionSpec> = {
  'data-dir': DATA_DIR,
  algorithm: { type: 'string', default: '13', help: 'create: DNSSEC algorithm, 13 (ECDSA P-256) or 15 (Ed25519)' },
  csk: { type: 'boolean', help: 'create: one combined signing key instead of KSK + ZSK' },
  unsigned: { type: 'boolean', help: 'create: no DNSSEC (not recommended: relying parties need validated answers)' },
  denial: { type: 'string', default: 'nsec3', help: 'create: "nsec3" (white lies) or "compact" (RFC 9824)' },
  ns: { type: 'string', help: 'create: comma-separated apex NS names (default ns1.<parent>)' },
};

/** What each zone subcommand accepts: only `create` takes the key and denial options. */
function zoneOptions(sub: string): Record<string, OptionSpec> {
  if (sub === 'create') return ZONE_OPTIONS;
  return { 'data-dir': DATA_DIR };
}

const ZONE_SUMMARIES: Record<string, string> = {
  create: 'Creates a zone, signed with fresh keys (KSK + ZSK, ECDSA P-256 unless told otherwise), and prints the DS records for the parent. Creates the data directory if needed.',
  list: 'Lists zones with their serial, number of names, signing and denial mode.',
  delete: 'Deletes a zone with all its names, keys and journal.',
  ds: 'Prints the DS records (SHA-256) of the zone\'s active KSKs, for the parent zone.',
  resign: 'Re-makes every stored signature that is missing (bulk imports store names unsigned), due for refresh, or made by a key that no longer signs. The server does this in the background; this is the offline equivalent.',
};

async function runZone(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || !['create', 'list', 'delete', 'ds', 'resign'].includes(sub)) {
    help('idzone zone create|list|delete|ds|resign [--data-dir DIR] [NAME]', 'Creates (signed, with fresh keys), lists or deletes zones; "ds" prints the DS records to give to the parent zone; "resign" re-makes every stored signature that is missing, due or made by a key that no longer signs (the server does this in the background).', ZONE_OPTIONS);
    return sub === '--help' ? 0 : 2;
  }
  const { values, positionals } = parseCommandArgs(rest, zoneOptions(sub));
  if (values['help'] === true) return help(`idzone zone ${sub} [--data-dir DIR] ${sub === 'list' ? '' : 'NAME'}`, ZONE_SUMMARIES[sub] ?? 'Manage zones.', zoneOptions(sub));
  const dataDir = String(values['data-dir']);
  if (sub === 'list') {
    noPositionals('zone list', positionals);
    const store = openForRead(dataDir);
    try {
      for (const z of store.listZones()) process.stdout.write(`${z.name}\tserial ${z.serial}\t${store.countNames(z)} names\t${store.countRecords(z) ?? '?'} records\t${z.settings.signed ? 'signed' : 'unsigned'}\t${z.settings.denial}\n`);
    } finally {
      store.close();
    }
    return 0;
  }
  const name = zoneArg(positionals, sub);
  if (sub === 'ds') return printDs(dataDir, name);
  if (sub === 'resign') return withWriter(dataDir, `idzone zone resign ${name}`, (store) => resignZone(dataDir, store, name));
  if (sub === 'delete') return withWriter(dataDir, `idzone zone delete ${name}`, (store) => {
    if (!store.deleteZone(name)) throw new UsageError([`no zone ${name}`]);
    new KeyService({ dataDir, store, log: createLogger('warn'), clock: () => Math.floor(Date.now() / 1000) }).deleteZoneKeys(name);
    process.stdout.write(`deleted ${name}\n`);
  });
  const algorithm = String(values['algorithm']);
  if (algorithm !== '13' && algorithm !== '15') throw new UsageError([`--algorithm: expected 13 or 15, got "${algorithm}"`]);
  const denial = String(values['denial']);
  if (denial !== 'nsec3' && denial !== 'compact') throw new UsageError([`--denial: expected nsec3 or compact, got "${denial}"`]);
  if (!existsSync(dataDir) || !isInitialised(dataDir)) {
    const store = openSqliteStore(dataDir, { create: true });
    store.close();
  }
  return withWriter(dataDir, `idzone zone create ${name}`, (store) => {
    const settings: Parameters<SqliteZoneStore['createZone']>[1] = { denial };
    if (typeof values['ns'] === 'string') settings.ns = values['ns'].split(',').map((n) => parseName(n));
    // A failed create leaves nothing behind, or says what is left and how to remove it (createZoneWithKeys).
    if (values['unsigned'] !== true) {
      const keys = new KeyService({ dataDir, store, log: createLogger('warn'), clock: () => Math.floor(Date.now() / 1000) });
      const signing = { layout: values['csk'] === true ? 'csk' : 'ksk-zsk', algorithm: algorithm === '15' ? DnssecAlgorithm.ED25519 : DnssecAlgorithm.ECDSAP256SHA256 } as const;
      const info = createZoneWithKeys(store, keys, name, settings, signing, `"idzone zone delete --data-dir ${dataDir} ${name}"`);
      process.stdout.write(`created ${info.name} (serial ${info.serial}, signed, algorithm ${algorithm}, denial ${denial})\n`);
      for (const ds of keys.dsRecords(info)) process.stdout.write(`${ds}\n`);
      if (values['csk'] === true) process.stderr.write('note: a CSK cannot be rolled by idzone (key rollover refuses CSK zones); use the default KSK + ZSK for zones whose keys will change\n');
    } else {
      const info = createZoneWithKeys(store, undefined, name, settings, undefined, `"idzone zone delete --data-dir ${dataDir} ${name}"`);
      process.stdout.write(`created ${info.name} (serial ${info.serial}, unsigned)\n`);
    }
  });
}

function resignZone(dataDir: string, store: SqliteZoneStore, name: string): void {
  const zone = store.getZone(name);
  if (zone === undefined) throw new UsageError([`no zone ${name}`]);
  if (!zone.settings.signed) throw new UsageError([`zone ${name} is not signed`]);
  const clock = (): number => Math.floor(Date.now() / 1000);
  const log = createLogger('warn');
  const keys = new KeyService({ dataDir, store, log, clock });
  if (!keys.loadZone(zone)) throw new UsageError([`the keys of ${name} cannot be loaded (see the log line above)`]);
  let signatures = 0;
  const resigner = new Resigner({ store, signerFor: (z) => keys.registry.get(z), clock, log, pageSize: 1000, onSigned: (n) => (signatures += n) });
  const r = resigner.runPassSync(name);
  store.checkpoint();
  if (r === undefined) throw new UsageError([`re-signing ${name} stopped: the zone or its keys went away`]);
  const rate = r.seconds > 0 ? Math.round(signatures / r.seconds) : signatures;
  process.stdout.write(`${name}: ${r.scanned} names checked, ${r.resigned} re-signed (${signatures} signatures) in ${r.seconds.toFixed(1)} s, ${rate} signatures/s\n`);
}

function noPositionals(command: string, positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError([`${command}: unexpected argument(s): ${positionals.join(' ')}`]);
}

function zoneArg(positionals: string[], sub: string): string {
  if (positionals.length !== 1) throw new UsageError([`zone ${sub}: expected one zone NAME, got ${positionals.length}`]);
  try {
    return parseName(positionals[0]!);
  } catch (e) {
    throw new UsageError([`zone ${sub}: ${(e as Error).message}`]);
  }
}

function printDs(dataDir: string, name: string): number {
  const store = openForRead(dataDir);
  try {
    const zone = store.getZone(name);
    if (zone === undefined) throw new UsageError([`no zone ${name}`]);
    if (!zone.settings.signed) throw new UsageError([`zone ${name} is not signed`]);
    // Read-only handle: describing keys reads the catalog and never writes.
    const keys = new KeyService({ dataDir, store, log: createLogger('warn'), clock: () => Math.floor(Date.now() / 1000) });
    for (const ds of keys.dsRecords(zone)) process.stdout.write(`${ds}\n`);
    return 0;
  } finally {
    store.close();
  }
}

function withWriter(dataDir: string, purpose: string, f: (store: SqliteZoneStore) => void): number {
  const { store, done } = openForWrite(dataDir, purpose);
  try {
    f(store);
    return 0;
  } finally {
    done();
  }
}

const IMPORT_OPTIONS: Record<string, OptionSpec> = {
  'data-dir': DATA_DIR,
  zone: { type: 'string', help: 'zone to import into (required)' },
  format: { type: 'string', help: '"ndjson" or "zone" (default: detected from the first character)' },
  'batch-size': { type: 'string', default: '10000', help: 'names per transaction' },
};

async function runImportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, IMPORT_OPTIONS);
  if (values['help'] === true) return help('idzone import --data-dir DIR --zone ZONE FILE', 'Imports NDJSON lines ({"name", "ttl", "tlsa": [...], "sshfp": [...]}) or RFC 1035 zone-file text holding TLSA/SSHFP. Every rejected line is reported with its number and reason; batches commit atomically, so a killed import leaves whole batches only.', IMPORT_OPTIONS);
  if (typeof values['zone'] !== 'string') throw new UsageError(['import: --zone is required']);
  if (positionals.length !== 1) throw new UsageError(['import: expected one FILE']);
  const format = values['format'];
  if (format !== undefined && format !== 'ndjson' && format !== 'zone') throw new UsageError([`--format: expected ndjson or zone, got "${String(format)}"`]);
  const batch = Number(values['batch-size']);
  if (!Number.isInteger(batch) || batch < 1 || batch > 1_000_000) throw new UsageError([`--batch-size: expected 1..1000000`]);
  const dataDir = String(values['data-dir']);
  const { store, done } = openForWrite(dataDir, 'idzone import');
  try {
    const zone = parseName(values['zone']);
    const zi = store.getZone(zone);
    if (zi === undefined) throw new UsageError([`no zone ${zone} in ${dataDir}`]);
    const keys = new KeyService({ dataDir, store, log: createLogger('warn'), clock: () => Math.floor(Date.now() / 1000) });
    if (!keys.loadZone(zi)) return 1;
    store.setSigner(keys.registry);
    const opts: Parameters<typeof runImport>[0] = { store, zone, file: positionals[0]!, batchSize: batch };
    if (format !== undefined) opts.format = format;
    const report = await runImport(opts);
    store.checkpoint();
    process.stdout.write(formatImportReport(report) + '\n');
    return report.rejected.length > 0 ? 1 : 0;
  } finally {
    done();
  }
}

async function runExportCommand(argv: string[]): Promise<number> {
  const spec = { 'data-dir': DATA_DIR, zone: { type: 'string', help: 'zone to export (required)' } } satisfies Record<string, OptionSpec>;
  const { values, positionals } = parseCommandArgs(argv, spec);
  if (values['help'] === true) return help('idzone export --data-dir DIR --zone ZONE', 'Prints the zone as zone-file text (owner TTL IN TYPE RDATA), SOA and NS first. Runs beside a server; exits 1 when the zone changed during the export (the output then mixes versions).', spec);
  if (typeof values['zone'] !== 'string') throw new UsageError(['export: --zone is required']);
  noPositionals('export', positionals);
  const store = openForRead(String(values['data-dir']));
  try {
    const report = await runExport({ store, zone: parseName(values['zone']), out: process.stdout });
    if (!report.consistent) {
      process.stderr.write(`idzone export: ${report.zone} changed while it was exported (serial ${report.serial} → ${report.endSerial ?? 'deleted'}): the output mixes versions; export again with writes paused\n`);
      return 1;
    }
    return 0;
  } finally {
    store.close();
  }
}

function runToken(argv: string[]): number {
  const [sub, ...rest] = argv;
  const spec = {
    'data-dir': DATA_DIR,
    zone: { type: 'string', help: 'comma-separated zones the token may use, or "*" (required)' },
    write: { type: 'boolean', help: 'allow writes (default: read only)' },
    admin: { type: 'boolean', help: 'allow creating and deleting zones' },
    description: { type: 'string', default: '', help: 'a note stored with the token' },
  } satisfies Record<string, OptionSpec>;
  if (sub !== 'create') {
    help('idzone token create --data-dir DIR --zone Z [--write] [--admin]', 'Prints a new API bearer token; only its SHA-256 is stored.', spec);
    return sub === '--help' ? 0 : 2;
  }
  const { values, positionals } = parseCommandArgs(rest, spec);
  if (values['help'] === true) return help('idzone token create --data-dir DIR --zone Z [--write] [--admin]', 'Prints a new API bearer token; only its SHA-256 is stored.', spec);
  if (typeof values['zone'] !== 'string') throw new UsageError(['token create: --zone is required']);
  // `--write false` must not grant writes with "false" left unread: nothing is taken positionally.
  noPositionals('token create', positionals);
  const zones = values['zone'] === '*' ? ['*'] : values['zone'].split(',').map((z) => parseName(z));
  // Tokens do not affect DNS answers, so creating one beside a running server is safe.
  const store = openSqliteStore(String(values['data-dir']), { create: false });
  try {
    const { token } = createToken(store, { zones, write: values['write'] === true, admin: values['admin'] === true, description: String(values['description']) });
    process.stdout.write(token + '\n');
    return 0;
  } finally {
    store.close();
  }
}
