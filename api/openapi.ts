/**
 * The OpenAPI 3.1 document of the whole API, served at GET /api/v1/openapi.json. It is written out
 * here rather than generated from the route table, so that tests can compare the two: every route is
 * documented, every documented operation exists, and every error code of the registry appears
 * (openapi.test.ts); and every live request and answer matches the schema declared for its route,
 * status and media type (openapi-schemas.test.ts, with a JSON Schema 2020-12 validator).
 *
 * Schemas are JSON Schema 2020-12 (the OpenAPI 3.1 dialect). Objects the server builds or checks
 * strictly are `additionalProperties: false`; since that keyword sees only the properties listed
 * beside it, shapes that extend one another are built by spreading shared property lists
 * (`nameViewProperties`, `identityProperties`, …), never by `allOf` of a closed schema.
 */
import { SSHFP_ALGORITHMS, SSHFP_FP_LENGTHS, TLSA_MATCHING, TLSA_SELECTORS, TLSA_USAGES } from '../core/identity-rdata.js';
import { API_ERRORS, ApiErrorCode } from './errors.js';
import { MAX_ENTRIES_PER_TYPE, MAX_NAME_RDATA_OCTETS } from './identity-input.js';
import { DEFAULT_PAGE, MAX_PAGE } from './routes-names.js';
import { MAX_USER_BYTES } from './user-owner.js';

const ref = (name: string): object => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object): object => ({ 'application/json': { schema } });
const responseRef = (name: string): object => ({ $ref: `#/components/responses/${name}` });
const serialHeader = { 'Idzone-Serial': { $ref: '#/components/headers/IdzoneSerial' } };
const ok = (description: string, schema: string, headers?: object): object => ({ description, content: json(ref(schema)), ...(headers ? { headers } : {}) });

/**
 * Error responses by what a route does. Every route can fail with 500, and with 400 for a query
 * parameter it does not read (or one given twice); every route behind a token with 401. A `{zone}`
 * route adds 400 (a zone or name in the path that is not a domain name, a bad `limit`/`after`), 403
 * (scope is checked before existence) and 404. Routes that read a JSON body add 413 and 415 and a
 * body's 400s; routes that write wait for the DNS workers and add 503.
 */
const baseErrors = { '400': responseRef('InvalidRequest'), '500': responseRef('Internal') };
const tokenErrors = { ...baseErrors, '401': responseRef('Unauthorized') };
const zoneErrors = { ...tokenErrors, '400': responseRef('InvalidRequest'), '403': responseRef('Forbidden'), '404': responseRef('NotFound') };
const zoneWriteErrors = { ...zoneErrors, '503': responseRef('Unavailable') };
const bodyErrors = { '400': responseRef('BadRequest'), '413': responseRef('TooLarge'), '415': responseRef('MediaType') };
const zoneBodyWriteErrors = { ...zoneWriteErrors, ...bodyErrors };

const PATH_ENCODING = 'Percent-encode `/`, `?`, `%` and `\\` (and, as in any URL, `#`, spaces and non-ASCII characters): each path segment is percent-decoded on its own after the path is split at `/` and cut at `?`.';
const zoneParam = {
  name: 'zone',
  in: 'path',
  required: true,
  description: `Zone apex, e.g. \`_device.example.net.\` (trailing dot optional). ${PATH_ENCODING}`,
  schema: { type: 'string' },
};
const nameParam = {
  name: 'name',
  in: 'path',
  required: true,
  description: `Owner name: absolute with a trailing dot or when it already ends in the zone, otherwise relative to the zone (\`sensor7\`). ${PATH_ENCODING}`,
  schema: { type: 'string' },
};
const bearer = [{ bearer: [] }];

const paths = {
  '/api/v1/zones': {
    get: { operationId: 'listZones', summary: 'Zones the token may see', security: bearer, responses: { '200': ok('The zones', 'ZoneList'), ...tokenErrors } },
    post: {
      operationId: 'createZone',
      summary: 'Create a zone and its DNSSEC keys (admin token)',
      security: bearer,
      requestBody: { required: true, content: json(ref('ZoneCreate')) },
      responses: {
        '201': ok('The zone, its DNSKEYs and DS records', 'Zone', { ...serialHeader, Location: { required: true, description: 'The new zone: /api/v1/zones/<apex>', schema: { type: 'string' } } }),
        ...tokenErrors,
        ...bodyErrors,
        '403': responseRef('Forbidden'),
        '409': responseRef('Conflict'),
        '503': responseRef('Unavailable'),
      },
    },
  },
  '/api/v1/zones/{zone}': {
    parameters: [zoneParam],
    get: { operationId: 'getZone', summary: 'One zone with its settings, keys and DS records', security: bearer, responses: { '200': ok('The zone', 'Zone'), ...zoneErrors } },
    delete: { operationId: 'deleteZone', summary: 'Delete a zone and all its records (admin token)', security: bearer, responses: { '204': { description: 'Deleted' }, ...zoneWriteErrors } },
  },
  '/api/v1/zones/{zone}/keys': {
    parameters: [zoneParam],
    get: {
      operationId: 'getZoneKeys',
      summary: 'The zone’s DNSSEC keys (public data only) and where its ZSK and KSK rollovers stand',
      security: bearer,
      responses: { '200': ok('Keys and rollover state', 'ZoneKeys'), ...zoneErrors, '409': responseRef('ZoneUnsigned') },
    },
  },
  '/api/v1/zones/{zone}/keys/rollover': {
    parameters: [zoneParam],
    post: {
      operationId: 'advanceRollover',
      summary: 'Take the next step of a ZSK or KSK rollover, starting one if none is under way (admin token)',
      description:
        'ZSK (pre-publication, RFC 6781 §4.1.1.1): publish → activate → remove. KSK (double-KSK with CDS/CDNSKEY, RFC 7583 §3.3, RFC 7344): publish → retire → remove. ' +
        'A step taken before it is safe for validators that cached the previous DNSKEY set (or the parent\'s previous DS set) is refused with 409 ERR_API_ROLLOVER_NOT_SAFE, unless `force` is true (the answer then carries a `warning`). ' +
        'The refusal carries `safeAt` when time is all the step waits for; while it waits for a condition (the state\'s `waitingFor`: the operator\'s confirmation that the parent serves the new DS, see confirmDsSeen; a re-sign pass) it has none and `detail` names the condition. ' +
        'A step that would start signing with a key whose private file does not load is refused even with `force`. ' +
        'The answer comes once every DNS worker serves the new key set.',
      security: bearer,
      requestBody: { required: true, content: json(ref('RolloverRequest')) },
      responses: { '200': ok('The step taken and the new state', 'RolloverResult'), ...zoneBodyWriteErrors, '409': responseRef('RolloverRefused') },
    },
  },
  '/api/v1/zones/{zone}/keys/ds-seen': {
    parameters: [zoneParam],
    post: {
      operationId: 'confirmDsSeen',
      summary: 'Confirm that the parent serves the DS of the new KSK of the KSK rollover under way (admin token)',
      description:
        'The server cannot see the parent zone; like BIND\'s `rndc dnssec -checkds published` or Knot\'s `zone-ksk-submitted`, the operator says when the parent started serving the new DS (`since`, default now). ' +
        'A validator that fetched the parent\'s DS set just before may hold only the old DS for the parent\'s DS TTL, so the KSK retire step (the old KSK stops signing the DNSKEY set) is safe only at ' +
        'max(publish + DNSKEY TTL, `since` + `parentDsTtl`) + 300 s. `parentDsTtl` (seconds, default 86400) is remembered for the zone. Nothing in DNS changes. ' +
        '409 ERR_API_CONFLICT when no KSK rollover waits for the parent\'s DS; 400 for a `since` in the future or before the new KSK was published.',
      security: bearer,
      requestBody: { required: true, content: json(ref('DsSeenRequest')) },
      responses: { '200': ok('The confirmation recorded and the new state', 'DsSeenResult'), ...zoneErrors, ...bodyErrors, '409': responseRef('DsSeenRefused') },
    },
  },
  '/api/v1/zones/{zone}/names': {
    parameters: [zoneParam],
    get: {
      operationId: 'listNames',
      summary: 'Names of the zone in the store’s stable order, paginated',
      security: bearer,
      parameters: [
        { name: 'after', in: 'query', required: false, description: 'Start after this name (the `next` of the previous page).', schema: { type: 'string' } },
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE } },
      ],
      responses: { '200': ok('One page of names', 'NameList'), ...zoneErrors },
    },
  },
  '/api/v1/zones/{zone}/names/{name}': {
    parameters: [zoneParam, nameParam],
    get: { operationId: 'getName', summary: 'The identity records at a name', security: bearer, responses: { '200': ok('The records', 'NameRecords'), ...zoneErrors } },
    put: {
      operationId: 'putName',
      summary: 'Replace every identity record at a name',
      security: bearer,
      requestBody: { required: true, content: json(ref('IdentityBody')) },
      responses: { '200': ok('Replaced', 'NameRecords', serialHeader), '201': ok('Created', 'NameRecords', serialHeader), ...zoneBodyWriteErrors },
    },
    delete: {
      operationId: 'deleteName',
      summary: 'Revoke: remove every identity record at a name (404, and no serial change, when it holds none)',
      security: bearer,
      responses: { '204': { description: 'Removed', headers: serialHeader }, ...zoneWriteErrors },
    },
  },
  '/api/v1/zones/{zone}/changes': {
    parameters: [zoneParam],
    post: {
      operationId: 'applyChanges',
      summary: 'Apply puts and deletes atomically: all or nothing, one serial',
      security: bearer,
      requestBody: { required: true, content: json(ref('ChangeBatch')) },
      responses: { '200': ok('Applied', 'ChangeResults', serialHeader), ...zoneBodyWriteErrors },
    },
  },
  '/api/v1/zones/{zone}/import': {
    parameters: [zoneParam],
    post: {
      operationId: 'importNames',
      summary: 'Stream NDJSON identity bodies (one per line, with name or user), committed in batches',
      security: bearer,
      requestBody: {
        required: true,
        description:
          'Newline-delimited JSON: the schema is that of each non-blank line (an ImportLine), not of the whole body. There is no total size limit; a line longer than the configured limit, or one that is not valid, is rejected in the report and the rest is imported.',
        content: { 'application/x-ndjson': { schema: ref('ImportLine') }, 'application/jsonl': { schema: ref('ImportLine') } },
      },
      responses: { '200': ok('The import report', 'ImportReport', serialHeader), ...zoneWriteErrors, '415': responseRef('MediaType'), '503': responseRef('ImportUnavailable') },
    },
  },
  '/api/v1/openapi.json': {
    get: { operationId: 'getOpenApi', summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) }, ...baseErrors } },
  },
  '/healthz': {
    get: {
      operationId: 'getHealth',
      summary: 'Liveness and store health (open or token, per config)',
      security: [{}, { bearer: [] }],
      responses: { '200': ok('Healthy', 'Health'), ...tokenErrors },
    },
  },
  '/metrics': {
    get: {
      operationId: 'getMetrics',
      summary: 'Prometheus metrics (open or token, per config)',
      security: [{}, { bearer: [] }],
      responses: { '200': { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } }, ...tokenErrors },
    },
  },
};

const MAX_TTL = 0x7fffffff; // RFC 2181 §8
const integer = (min: number, max: number, description?: string): object => ({ type: 'integer', minimum: min, maximum: max, ...(description ? { description } : {}) });
const ttl = (description?: string): object => integer(1, MAX_TTL, description);
const serial = integer(0, 0xffffffff, 'Zone SOA serial');
const strictObject = (properties: object, required: string[] = []): object => ({ type: 'object', additionalProperties: false, properties, required });
/** Every listed property is required. */
const closedObject = (properties: object): object => strictObject(properties, Object.keys(properties));

/**
 * Hex as the server reads it (core/identity-rdata.ts parseHex): hex digits in either case, an even
 * number of them, with whitespace (JavaScript `\s`) allowed anywhere and ignored (RFC 6698 §2.2
 * presentation form). `digits` pins the number of hex digits.
 */
const hexPattern = (digits?: number): string => (digits === undefined ? '^\\s*(?:[0-9a-fA-F]\\s*[0-9a-fA-F]\\s*)*$' : `^\\s*(?:[0-9a-fA-F]\\s*){${digits}}$`);
/** Hex as the server writes it (views.ts): lowercase, no whitespace. */
const hexOut = { type: 'string', pattern: '^(?:[0-9a-f]{2})*$' };

const tlsaUsage = { enum: [...TLSA_USAGES], description: '0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE' };
const tlsaSelector = { enum: [...TLSA_SELECTORS], description: '0 whole certificate, 1 SubjectPublicKeyInfo' };
const tlsaMatching = { enum: [...TLSA_MATCHING], description: '0 the bytes themselves, 1 SHA2-256, 2 SHA2-512' };
const tlsaOptional = { usage: tlsaUsage, selector: tlsaSelector, matchingType: tlsaMatching };
const sshfpAlgorithm = { enum: [...SSHFP_ALGORITHMS], description: '1 RSA, 2 DSA, 3 ECDSA, 4 Ed25519, 6 Ed448' };
const sshfpType = { enum: [...SSHFP_FP_LENGTHS.keys()], description: '1 SHA-1, 2 SHA-256' };
/** `then` a field of `digits` hex digits `if` the selector field has `value`. */
const digestRule = (field: string, selector: string, value: number, digits: number): object => ({
  if: { properties: { [selector]: { const: value } }, required: [selector] },
  then: { properties: { [field]: { pattern: hexPattern(digits) } } },
});

/**
 * The fields of an identity body, shared by PUT, change-batch puts and import lines (identity-input.ts
 * BODY_KEYS): a field the parser learns is added here once.
 */
const ownerProperties = {
  name: { type: 'string', description: 'Owner: absolute with a trailing dot or when it ends in the zone, else relative to the zone.' },
  user: {
    type: 'string',
    minLength: 1,
    maxLength: MAX_USER_BYTES,
    pattern: '^[^@]*$',
    description: `Instead of name: the owner becomes hex(sha256(user))[:56]._user.<zone> (RFC 7929 §3 technique). The local part only (no "@"), at most ${MAX_USER_BYTES} bytes of UTF-8.`,
  },
};
const identityProperties = {
  ...ownerProperties,
  // What GET adds to a name's records, accepted so that a GET body can be PUT back unchanged.
  zone: { type: 'string', description: 'Read-only, as GET shows it: when given, must name the zone of the request (in any spelling).' },
  serial: { ...serial, description: 'Read-only, as GET shows it: when given, any zone serial; not compared, since any write in the zone moves it.' },
  ttl: ttl('Default: the zone’s defaultTtl; at most its maxTtl.'),
  tlsa: { type: 'array', maxItems: MAX_ENTRIES_PER_TYPE, items: ref('TlsaEntry'), description: `With sshfp: at most ${MAX_NAME_RDATA_OCTETS.toLocaleString('en-US')} octets of RDATA in all (identical records once), so the answer fits one DNS message.` },
  sshfp: { type: 'array', maxItems: MAX_ENTRIES_PER_TYPE, items: ref('SshfpEntry') },
};
/** Rules beside the fields: at least one record, and name and user not both (or exactly one of them). */
const atLeastOneRecord = {
  anyOf: [
    { required: ['tlsa'], properties: { tlsa: { minItems: 1 } } },
    { required: ['sshfp'], properties: { sshfp: { minItems: 1 } } },
  ],
};
const notBothOwners = { not: { required: ['name', 'user'] } };
const exactlyOneOwner = { oneOf: [{ required: ['name'] }, { required: ['user'] }] };

/** A name's records as GET shows them and PUT takes them back (views.ts nameView). */
const nameViewProperties = {
  name: { type: 'string', description: 'The canonical absolute owner name' },
  ttl: integer(0, MAX_TTL),
  tlsa: { type: 'array', items: closedObject({ ...tlsaOptional, data: hexOut }) },
  sshfp: { type: 'array', items: closedObject({ algorithm: sshfpAlgorithm, type: sshfpType, fingerprint: hexOut }) },
};

const zoneSummaryProperties = {
  name: { type: 'string' },
  serial,
  names: { type: 'integer', minimum: 0, description: 'Names holding identity records' },
  records: { type: ['integer', 'null'], minimum: 0, description: 'TLSA and SSHFP records; null while a catalog from before record counting is being counted' },
  signed: { type: 'boolean' },
};

const zoneKeyProperties = {
  keyTag: integer(0, 65535),
  algorithm: { type: 'integer' },
  flags: { type: 'integer', description: '257 for a KSK or CSK, 256 for a ZSK' },
  role: { enum: ['ksk', 'zsk', 'csk'] },
  state: { enum: ['published', 'active', 'retired'] },
  dnskey: { type: 'string', description: 'The DNSKEY RR as text' },
};
const zoneKeyRequired = ['keyTag', 'algorithm', 'flags', 'role', 'dnskey'];

const rolloverStatusProperties = {
  zone: { type: 'string' },
  csk: { type: 'boolean', description: 'The zone signs with one combined key: split-key rollovers do not apply' },
  zsk: ref('RolloverState'),
  ksk: ref('RolloverState'),
};

const schemas = {
  HexData: { type: 'string', pattern: hexPattern(), description: 'Hexadecimal: an even number of hex digits in either case; whitespace anywhere is ignored (RFC 6698 §2.2 presentation form).' },
  TlsaEntry: {
    description:
      'TLSA (RFC 6698): explicit fields, or a PEM certificate / SPKI from which the server computes the data (default 3 1 1). Matching type 1 data is 32 octets, 2 is 64; matching type 0 data must be the DER certificate (selector 0) or SubjectPublicKeyInfo (selector 1).',
    oneOf: [
      { ...closedObject({ ...tlsaOptional, data: ref('HexData') }), allOf: [digestRule('data', 'matchingType', 1, 64), digestRule('data', 'matchingType', 2, 128)] },
      strictObject({ ...tlsaOptional, certificate: { type: 'string', description: 'PEM X.509 certificate' } }, ['certificate']),
      strictObject({ ...tlsaOptional, selector: { const: 1, description: 'A public key gives only selector 1' }, publicKey: { type: 'string', description: 'PEM SubjectPublicKeyInfo ("BEGIN PUBLIC KEY")' } }, ['publicKey']),
    ],
  },
  SshfpEntry: {
    description: 'SSHFP (RFC 4255): explicit fields, or an OpenSSH public key line from which the server computes the fingerprint (type 2, SHA-256, by default).',
    oneOf: [
      { ...closedObject({ algorithm: sshfpAlgorithm, type: sshfpType, fingerprint: ref('HexData') }), allOf: [...SSHFP_FP_LENGTHS].map(([type, octets]) => digestRule('fingerprint', 'type', type, octets * 2)) },
      strictObject({ sshKey: { type: 'string', description: 'e.g. "ssh-ed25519 AAAA… comment"' }, type: sshfpType, algorithm: { ...sshfpAlgorithm, description: 'Must match the key when given' } }, ['sshKey']),
    ],
  },
  IdentityBody: {
    ...strictObject(identityProperties),
    description: 'PUT body. name or user is optional (the URL names the owner) and must then agree with it; at least one TLSA or SSHFP record.',
    allOf: [atLeastOneRecord, notBothOwners],
  },
  ImportLine: { description: 'One NDJSON line of an import: an identity body with exactly one of name or user.', allOf: [ref('IdentityBody'), exactlyOneOwner] },
  NameView: closedObject(nameViewProperties),
  NameRecords: closedObject({ zone: { type: 'string' }, serial, ...nameViewProperties }),
  NameList: closedObject({
    zone: { type: 'string' },
    serial,
    names: { type: 'array', items: ref('NameView') },
    next: { type: ['string', 'null'], description: 'Pass as `after` for the next page; null at the end.' },
  }),
  ChangeBatch: {
    ...strictObject({ changes: { type: 'array', minItems: 1, items: ref('Change') } }, ['changes']),
    description: 'Every entry is validated before anything is written; a name may appear once per batch.',
  },
  Change: { oneOf: [ref('PutChange'), ref('DeleteChange')] },
  PutChange: {
    ...strictObject({ op: { const: 'put' }, ...identityProperties }, ['op']),
    description: 'Replace every identity record at the name: an identity body with "op": "put" and exactly one of name or user.',
    allOf: [atLeastOneRecord, exactlyOneOwner],
  },
  DeleteChange: {
    ...strictObject({ op: { const: 'delete' }, ...ownerProperties }, ['op']),
    description: 'Remove every identity record at the name (result "absent" when it holds none).',
    allOf: [exactlyOneOwner],
  },
  ChangeResults: closedObject({
    zone: { type: 'string' },
    serial,
    results: {
      type: 'array',
      description: 'One per change, in the order given',
      items: {
        oneOf: [
          closedObject({ name: { type: 'string' }, op: { const: 'put' }, result: { enum: ['created', 'replaced'] } }),
          closedObject({ name: { type: 'string' }, op: { const: 'delete' }, result: { enum: ['deleted', 'absent'] } }),
        ],
      },
    },
  }),
  ImportReport: closedObject({
    zone: { type: 'string' },
    accepted: { type: 'integer', minimum: 0, description: 'Lines accepted (and committed).' },
    rejectedCount: { type: 'integer', minimum: 0 },
    rejected: {
      type: 'array',
      items: closedObject({ line: { type: 'integer', minimum: 1 }, errors: { type: 'array', items: ref('Violation') } }),
      description: 'Rejected lines (bounded by config; rejectedCount stays exact).',
    },
    batches: { type: 'integer', minimum: 0 },
    serial,
  }),
  ZoneCreate: {
    ...strictObject(
      {
        name: { type: 'string' },
        defaultTtl: { ...ttl(), default: 60 },
        maxTtl: { ...ttl('At least defaultTtl'), default: 3600 },
        negativeTtl: { ...ttl('SOA MINIMUM (RFC 2308)'), default: 60 },
        denial: { enum: ['nsec3', 'compact'], default: 'nsec3' },
        signed: { type: 'boolean', default: true },
        algorithm: { enum: [13, 15], default: 13, description: '13 ECDSA P-256, 15 Ed25519' },
        keys: { enum: ['ksk-zsk', 'csk'], default: 'ksk-zsk' },
      },
      ['name'],
    ),
    description: 'algorithm and keys apply only to a signed zone.',
    if: { properties: { signed: { const: false } }, required: ['signed'] },
    then: { not: { anyOf: [{ required: ['algorithm'] }, { required: ['keys'] }] } },
  },
  ZoneSummary: closedObject(zoneSummaryProperties),
  ZoneList: closedObject({ zones: { type: 'array', items: ref('ZoneSummary') } }),
  ZoneSettings: closedObject({
    defaultTtl: integer(0, MAX_TTL),
    maxTtl: integer(0, MAX_TTL),
    soaTtl: integer(0, MAX_TTL),
    negativeTtl: integer(0, MAX_TTL),
    soaRefresh: integer(0, MAX_TTL),
    soaRetry: integer(0, MAX_TTL),
    soaExpire: integer(0, MAX_TTL),
    mname: { type: 'string' },
    rname: { type: 'string' },
    ns: { type: 'array', minItems: 1, items: { type: 'string' } },
    nsTtl: integer(0, MAX_TTL),
    denial: { enum: ['nsec3', 'compact'] },
    signed: { type: 'boolean' },
  }),
  Zone: closedObject({
    ...zoneSummaryProperties,
    createdAt: { type: 'string', format: 'date-time' },
    settings: ref('ZoneSettings'),
    keys: { type: 'array', items: strictObject(zoneKeyProperties, zoneKeyRequired) },
    ds: { type: 'array', items: { type: 'string' }, description: 'DS records for the parent zone, as RR text.' },
  }),
  ZoneKey: strictObject({ ...zoneKeyProperties, ds: { type: 'string', description: 'The DS RR (SHA-256) for the parent; KSK and CSK only' } }, zoneKeyRequired),
  RolloverStep: strictObject(
    {
      step: { enum: ['publish', 'activate', 'retire', 'remove'] },
      kind: { enum: ['zsk', 'ksk'] },
      newKeyTag: { type: 'integer', description: 'ZSK activate: the key that starts signing; KSK retire: the key that goes on signing alone' },
      oldKeyTags: { type: 'array', items: { type: 'integer' }, description: 'activate, retire, remove: the keys on their way out' },
    },
    ['step', 'kind'],
  ),
  RolloverState: strictObject(
    {
      kind: { enum: ['zsk', 'ksk'] },
      stepTaken: { type: 'integer', minimum: 0, maximum: 2, description: '0: no rollover under way; otherwise the number of the step last taken' },
      description: { type: 'string' },
      next: ref('RolloverStep'),
      safeAt: { type: 'integer', description: 'Unix seconds from which `next` is safe as far as time goes (0: at any time); with `waitingFor` only a lower bound' },
      safeAtTime: { type: 'string', format: 'date-time', description: '`safeAt` as an ISO 8601 time' },
      waitingFor: {
        type: 'string',
        description:
          'A condition besides time that `next` waits for; the step is refused (unless forced) while it is present: the operator’s confirmation that the parent serves the new DS (confirmDsSeen), a re-sign pass with the new ZSK, or a new key’s private file that does not load (not even forced)',
      },
      parentDsTtl: { type: 'integer', minimum: 0, description: 'KSK: the parent’s DS TTL (seconds) the retire and remove waits use' },
      dsSeenAt: { type: 'integer', description: 'KSK step 1: Unix seconds since which the parent serves the new DS (confirmed)' },
      dsSeenAtTime: { type: 'string', format: 'date-time', description: '`dsSeenAt` as an ISO 8601 time' },
    },
    ['kind', 'stepTaken', 'description', 'next', 'safeAt', 'safeAtTime'],
  ),
  RolloverStatus: closedObject(rolloverStatusProperties),
  ZoneKeys: closedObject({ ...rolloverStatusProperties, keys: { type: 'array', items: ref('ZoneKey') } }),
  RolloverRequest: strictObject(
    {
      kind: { enum: ['zsk', 'ksk'] },
      force: { type: 'boolean', default: false, description: 'Take the step even if it is not safe yet (emergencies, tests)' },
      parentDsTtl: { type: 'integer', minimum: 0, maximum: 2147483647, description: 'KSK only: the TTL of the zone’s DS RRset at the parent, remembered for the zone (86400 until set)' },
    },
    ['kind'],
  ),
  RolloverResult: strictObject(
    {
      zone: { type: 'string' },
      action: ref('RolloverStep'),
      status: ref('RolloverStatus'),
      warning: { type: 'string', description: 'Present when `force` took a step that was not safe yet: what it did not wait for' },
    },
    ['zone', 'action', 'status'],
  ),
  DsSeenRequest: strictObject(
    {
      since: { type: 'integer', minimum: 0, description: 'Unix seconds from which the parent serves the new DS (default: now); not in the future, not before the new KSK was published' },
      parentDsTtl: { type: 'integer', minimum: 0, maximum: 2147483647, description: 'The TTL of the zone’s DS RRset at the parent, remembered for the zone (86400 until set)' },
    },
    [],
  ),
  DsSeenResult: closedObject({
    zone: { type: 'string' },
    keyTag: { type: 'integer', description: 'The new KSK whose DS the parent serves' },
    dsSeenAt: { type: 'integer' },
    dsSeenAtTime: { type: 'string', format: 'date-time' },
    parentDsTtl: { type: 'integer', minimum: 0 },
    status: ref('RolloverStatus'),
  }),
  Health: {
    type: 'object',
    additionalProperties: false,
    required: ['status', 'zones'],
    description: 'status "degraded" lists in `problems` what keeps the server from doing all its work (writes that cannot complete, zones that cannot sign); the HTTP status stays 200 while DNS is answered.',
    properties: {
      status: { enum: ['ok', 'degraded'] },
      zones: { type: 'integer', minimum: 0 },
      problems: { type: 'array', items: { type: 'string' } },
    },
  },
  Violation: closedObject({ pointer: { type: 'string', description: 'RFC 6901 pointer into the body; /path/<param> and /query/<param> for URL parts.' }, message: { type: 'string' } }),
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details with a stable code and every violation.',
    properties: {
      type: { type: 'string', format: 'uri', description: 'urn:idzone:problem:<code>' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      instance: { type: 'string', description: 'The request path' },
      code: { enum: Object.keys(API_ERRORS) },
      errors: { type: 'array', items: ref('Violation') },
      safeAt: { type: 'integer', description: 'ERR_API_ROLLOVER_NOT_SAFE: Unix seconds from which the step is safe' },
      safeAtTime: { type: 'string', format: 'date-time', description: 'ERR_API_ROLLOVER_NOT_SAFE: `safeAt` as an ISO 8601 time' },
    },
    required: ['type', 'title', 'status', 'detail', 'instance', 'code', 'errors'],
  },
};

/** A problem+json response whose `code` is one of `codes` (and `status` theirs, from the registry). */
const problemResponse = (description: string, codes: ApiErrorCode[], headers?: object): object => ({
  description: `${codes.join(', ')}: ${description}`,
  content: {
    'application/problem+json': {
      schema: { allOf: [ref('Problem')], properties: { code: { enum: codes }, status: { enum: [...new Set(codes.map((c) => API_ERRORS[c].status))] } } },
    },
  },
  ...(headers ? { headers } : {}),
});
const challenge = { 'WWW-Authenticate': { required: true, description: 'Bearer challenge (RFC 6750 §3)', schema: { type: 'string' } } };
const C = ApiErrorCode;
const responses = {
  InvalidRequest: problemResponse('a path or query parameter is not valid, every violation listed', [C.VALIDATION]),
  BadRequest: problemResponse('the body (or a path or query parameter) is not valid, every violation listed; TYPE_REFUSED for a record type other than TLSA/SSHFP', [C.VALIDATION, C.TYPE_REFUSED, C.BAD_JSON]),
  Unauthorized: problemResponse('no token, or an unknown one', [C.UNAUTHORIZED], challenge),
  Forbidden: problemResponse('the token does not cover this zone, is read-only, or is not admin', [C.FORBIDDEN], challenge),
  NotFound: problemResponse('no such zone or name (or key management is not available)', [C.NOT_FOUND]),
  Conflict: problemResponse('the zone exists, or would lie inside or above a served zone', [C.CONFLICT]),
  TooLarge: problemResponse('the body exceeds maxBodyBytes; the connection is closed', [C.BODY_TOO_LARGE]),
  MediaType: problemResponse('application/json (application/x-ndjson or application/jsonl for import) is required', [C.MEDIA_TYPE]),
  Internal: problemResponse('a fault, logged', [C.INTERNAL]),
  RolloverRefused: problemResponse(
    'the next step is not safe yet (`detail` says what it waits for; `safeAt`, `safeAtTime` when time is all it waits for), the zone uses a CSK, or the zone is not signed',
    [C.ROLLOVER_NOT_SAFE, C.ROLLOVER_CSK, C.ROLLOVER_UNSIGNED],
  ),
  DsSeenRefused: problemResponse('no KSK rollover waits for the parent’s DS (CONFLICT), the zone uses a CSK, or the zone is not signed', [C.CONFLICT, C.ROLLOVER_CSK, C.ROLLOVER_UNSIGNED]),
  ZoneUnsigned: problemResponse('the zone is not signed, so it has no keys to roll', [C.ROLLOVER_UNSIGNED]),
  ImportUnavailable: problemResponse(
    'BUSY: too many imports are running, nothing of this one was read or stored (`Retry-After`); UNAVAILABLE: committed, but not confirmed by every DNS worker',
    [C.BUSY, C.UNAVAILABLE],
    { 'Retry-After': { description: 'ERR_API_BUSY: seconds to wait', schema: { type: 'integer', minimum: 0 } } },
  ),
  Unavailable: problemResponse('committed, but not confirmed by every DNS worker (retrying is safe), or nothing stored because the zone cannot be signed now', [C.UNAVAILABLE]),
};

export const OPENAPI_DOCUMENT = Object.freeze({
  openapi: '3.1.0',
  info: {
    title: 'idzone API',
    version: '1',
    description:
      'Publish and revoke DANCE identity records (TLSA, SSHFP) in DNSSEC-signed zones. Errors are RFC 9457 problem+json (the Problem schema); codes are listed in api/README.md. ' +
      'HEAD is answered wherever GET is, without a body. Besides the responses listed per operation: a path no route matches is answered 404 ERR_API_NOT_FOUND (400 ERR_API_VALIDATION when it is not valid percent-encoding), and a method its path does not list is answered 405 ERR_API_METHOD with an `Allow` header, all as problem+json.',
  },
  servers: [{ url: '/' }],
  security: bearer,
  paths,
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'idz_… tokens from `idzone token create` or <data-dir>/admin.token' } },
    headers: { IdzoneSerial: { required: true, description: 'Zone SOA serial after the change', schema: serial } },
    schemas,
    responses,
  },
});
