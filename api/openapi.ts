/**
 * The OpenAPI 3.1 document of the whole API, served at GET /api/v1/openapi.json. It is written out
 * here rather than generated from the route table, so that a test can compare the two: every route is
 * documented, every documented operation exists, and every error code of the registry appears.
 */
import { API_ERRORS } from './errors.js';

const ref = (name: string): object => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object): object => ({ 'application/json': { schema } });
const problemRef = (name: string): object => ({ $ref: `#/components/responses/${name}` });
const ok = (description: string, schema: string, serialHeader = false): object => ({
  description,
  content: json(ref(schema)),
  ...(serialHeader ? { headers: { 'Idzone-Serial': { $ref: '#/components/headers/IdzoneSerial' } } } : {}),
});

/** Error responses shared by every authenticated zone operation. */
const zoneErrors = { '400': problemRef('BadRequest'), '401': problemRef('Unauthorized'), '403': problemRef('Forbidden'), '404': problemRef('NotFound'), '500': problemRef('Internal') };
const writeErrors = { ...zoneErrors, '413': problemRef('TooLarge'), '415': problemRef('MediaType'), '503': problemRef('Unavailable') };

const zoneParam = { name: 'zone', in: 'path', required: true, description: 'Zone apex, e.g. `_device.example.net.` (trailing dot optional).', schema: { type: 'string' } };
const nameParam = {
  name: 'name',
  in: 'path',
  required: true,
  description: 'Owner name: absolute with a trailing dot or when it already ends in the zone, otherwise relative to the zone (`sensor7`). Percent-encode `/` and `\\`.',
  schema: { type: 'string' },
};
const bearer = [{ bearer: [] }];

const paths = {
  '/api/v1/zones': {
    get: { operationId: 'listZones', summary: 'Zones the token may see', security: bearer, responses: { '200': ok('The zones', 'ZoneList'), '401': problemRef('Unauthorized'), '500': problemRef('Internal') } },
    post: {
      operationId: 'createZone',
      summary: 'Create a zone and its DNSSEC keys (admin token)',
      security: bearer,
      requestBody: { required: true, content: json(ref('ZoneCreate')) },
      responses: { '201': ok('The zone, its DNSKEYs and DS records', 'Zone', true), ...writeErrors, '409': problemRef('Conflict') },
    },
  },
  '/api/v1/zones/{zone}': {
    parameters: [zoneParam],
    get: { operationId: 'getZone', summary: 'One zone with its keys and DS records', security: bearer, responses: { '200': ok('The zone', 'Zone'), ...zoneErrors } },
    delete: { operationId: 'deleteZone', summary: 'Delete a zone and all its records (admin token)', security: bearer, responses: { '204': { description: 'Deleted' }, ...zoneErrors, '503': problemRef('Unavailable') } },
  },
  '/api/v1/zones/{zone}/keys': {
    parameters: [zoneParam],
    get: {
      operationId: 'getZoneKeys',
      summary: 'The zone’s DNSSEC keys (public data only) and where its ZSK and KSK rollovers stand',
      security: bearer,
      responses: { '200': ok('Keys and rollover state', 'ZoneKeys'), ...zoneErrors, '409': problemRef('RolloverRefused') },
    },
  },
  '/api/v1/zones/{zone}/keys/rollover': {
    parameters: [zoneParam],
    post: {
      operationId: 'advanceRollover',
      summary: 'Take the next step of a ZSK or KSK rollover, starting one if none is under way (admin token)',
      description:
        'ZSK (pre-publication, RFC 6781 §4.1.1.1): publish → activate → remove. KSK (double-KSK with CDS/CDNSKEY, RFC 7583 §3.3.2, RFC 7344): publish → retire → remove. ' +
        'A step taken before it is safe for validators that cached the previous DNSKEY set is refused with 409 ERR_API_ROLLOVER_NOT_SAFE and `safeAt`, unless `force` is true. ' +
        'The answer comes once every DNS worker serves the new key set.',
      security: bearer,
      requestBody: { required: true, content: json(ref('RolloverRequest')) },
      responses: { '200': ok('The step taken and the new state', 'RolloverResult'), ...writeErrors, '409': problemRef('RolloverRefused') },
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
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
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
      responses: { '200': ok('Replaced', 'NameRecords', true), '201': ok('Created', 'NameRecords', true), ...writeErrors },
    },
    delete: {
      operationId: 'deleteName',
      summary: 'Revoke: remove every identity record at a name',
      security: bearer,
      responses: { '204': { description: 'Removed', headers: { 'Idzone-Serial': { $ref: '#/components/headers/IdzoneSerial' } } }, ...zoneErrors, '503': problemRef('Unavailable') },
    },
  },
  '/api/v1/zones/{zone}/changes': {
    parameters: [zoneParam],
    post: {
      operationId: 'applyChanges',
      summary: 'Apply puts and deletes atomically: all or nothing, one serial',
      security: bearer,
      requestBody: { required: true, content: json(ref('ChangeBatch')) },
      responses: { '200': ok('Applied', 'ChangeResults', true), ...writeErrors },
    },
  },
  '/api/v1/zones/{zone}/import': {
    parameters: [zoneParam],
    post: {
      operationId: 'importNames',
      summary: 'Stream NDJSON identity bodies (one per line, with name or user), committed in batches',
      security: bearer,
      requestBody: { required: true, content: { 'application/x-ndjson': { schema: ref('IdentityBody') }, 'application/jsonl': { schema: ref('IdentityBody') } } },
      responses: { '200': ok('The import report', 'ImportReport', true), ...writeErrors },
    },
  },
  '/api/v1/openapi.json': {
    get: { operationId: 'getOpenApi', summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } } },
  },
  '/healthz': {
    get: {
      operationId: 'getHealth',
      summary: 'Liveness and store health (open or token, per config)',
      security: [{}, { bearer: [] }],
      responses: { '200': ok('Healthy', 'Health'), '401': problemRef('Unauthorized'), '500': problemRef('Internal') },
    },
  },
  '/metrics': {
    get: {
      operationId: 'getMetrics',
      summary: 'Prometheus metrics (open or token, per config)',
      security: [{}, { bearer: [] }],
      responses: { '200': { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } }, '401': problemRef('Unauthorized') },
    },
  },
};

const integer = (min: number, max: number, description?: string): object => ({ type: 'integer', minimum: min, maximum: max, ...(description ? { description } : {}) });
const hex = { type: 'string', pattern: '^([0-9a-fA-F]{2}|\\s)*$' };
const strictObject = (properties: object, required: string[] = []): object => ({ type: 'object', additionalProperties: false, properties, required });

const tlsaOptional = { usage: integer(0, 3), selector: integer(0, 1), matchingType: integer(0, 2) };
const schemas = {
  TlsaEntry: {
    description: 'TLSA (RFC 6698): explicit fields, or a PEM certificate / SPKI from which the server computes the data (default 3 1 1).',
    oneOf: [
      strictObject({ ...tlsaOptional, data: hex }, ['usage', 'selector', 'matchingType', 'data']),
      strictObject({ ...tlsaOptional, certificate: { type: 'string', description: 'PEM X.509 certificate' } }, ['certificate']),
      strictObject({ ...tlsaOptional, publicKey: { type: 'string', description: 'PEM SubjectPublicKeyInfo ("BEGIN PUBLIC KEY"); selector 1 only' } }, ['publicKey']),
    ],
  },
  SshfpEntry: {
    description: 'SSHFP (RFC 4255): explicit fields, or an OpenSSH public key line from which the server computes the fingerprint (type 2, SHA-256, by default).',
    oneOf: [
      strictObject({ algorithm: { enum: [1, 2, 3, 4, 6] }, type: { enum: [1, 2] }, fingerprint: hex }, ['algorithm', 'type', 'fingerprint']),
      strictObject({ sshKey: { type: 'string', description: 'e.g. "ssh-ed25519 AAAA… comment"' }, type: { enum: [1, 2] }, algorithm: { enum: [1, 2, 3, 4, 6] } }, ['sshKey']),
    ],
  },
  IdentityBody: strictObject({
    name: { type: 'string', description: 'Owner (optional in a PUT, where the URL names it; must then agree).' },
    user: { type: 'string', description: 'Instead of name: the owner becomes hex(sha256(user))[:56]._user.<zone> (RFC 7929 §3 technique).' },
    ttl: { type: 'integer', minimum: 1, description: 'Default: the zone’s defaultTtl; at most its maxTtl.' },
    tlsa: { type: 'array', maxItems: 64, items: ref('TlsaEntry'), description: 'With sshfp: at most 60,000 octets of RDATA in all (identical records once), so the answer fits one DNS message.' },
    sshfp: { type: 'array', maxItems: 64, items: ref('SshfpEntry') },
  }),
  NameRecords: strictObject(
    {
      zone: { type: 'string' },
      serial: { type: 'integer' },
      name: { type: 'string' },
      ttl: { type: 'integer' },
      tlsa: { type: 'array', items: strictObject({ ...tlsaOptional, data: hex }) },
      sshfp: { type: 'array', items: strictObject({ algorithm: { type: 'integer' }, type: { type: 'integer' }, fingerprint: hex }) },
    },
    ['name', 'ttl', 'tlsa', 'sshfp'],
  ),
  NameList: strictObject(
    { zone: { type: 'string' }, serial: { type: 'integer' }, names: { type: 'array', items: ref('NameRecords') }, next: { type: ['string', 'null'], description: 'Pass as `after` for the next page; null at the end.' } },
    ['names', 'next'],
  ),
  ChangeBatch: strictObject({ changes: { type: 'array', minItems: 1, items: ref('Change') } }, ['changes']),
  Change: {
    oneOf: [
      { allOf: [ref('IdentityBody')], properties: { op: { const: 'put' } }, required: ['op'] },
      strictObject({ op: { const: 'delete' }, name: { type: 'string' }, user: { type: 'string' } }, ['op']),
    ],
  },
  ChangeResults: strictObject(
    {
      zone: { type: 'string' },
      serial: { type: 'integer' },
      results: { type: 'array', items: strictObject({ name: { type: 'string' }, op: { enum: ['put', 'delete'] }, result: { enum: ['created', 'replaced', 'deleted', 'absent'] } }) },
    },
    ['serial', 'results'],
  ),
  ImportReport: strictObject(
    {
      zone: { type: 'string' },
      accepted: { type: 'integer', description: 'Lines accepted (and committed).' },
      rejectedCount: { type: 'integer' },
      rejected: { type: 'array', items: strictObject({ line: { type: 'integer' }, errors: { type: 'array', items: ref('Violation') } }), description: 'Every rejected line (bounded by config; rejectedCount stays exact).' },
      batches: { type: 'integer' },
      serial: { type: 'integer' },
    },
    ['accepted', 'rejectedCount', 'rejected', 'batches', 'serial'],
  ),
  ZoneCreate: strictObject(
    { name: { type: 'string' }, defaultTtl: { type: 'integer', minimum: 1, default: 60 }, maxTtl: { type: 'integer', minimum: 1, default: 3600 }, negativeTtl: { type: 'integer', minimum: 1 }, denial: { enum: ['nsec3', 'compact'] }, signed: { type: 'boolean', default: true }, algorithm: { enum: [13, 15], default: 13 }, keys: { enum: ['ksk-zsk', 'csk'], default: 'ksk-zsk' } },
    ['name'],
  ),
  ZoneSummary: strictObject({ name: { type: 'string' }, serial: { type: 'integer' }, names: { type: 'integer' }, records: { type: ['integer', 'null'], description: 'TLSA and SSHFP records' }, signed: { type: 'boolean' } }),
  ZoneList: strictObject({ zones: { type: 'array', items: ref('ZoneSummary') } }, ['zones']),
  Zone: {
    allOf: [ref('ZoneSummary')],
    properties: {
      createdAt: { type: 'string', format: 'date-time' },
      settings: { type: 'object' },
      keys: { type: 'array', items: strictObject({ keyTag: { type: 'integer' }, algorithm: { type: 'integer' }, flags: { type: 'integer' }, role: { type: 'string' }, state: { type: 'string' }, dnskey: { type: 'string' } }) },
      ds: { type: 'array', items: { type: 'string' }, description: 'DS records for the parent zone, as RR text.' },
    },
  },
  ZoneKey: strictObject(
    {
      keyTag: { type: 'integer' },
      algorithm: { type: 'integer' },
      flags: { type: 'integer', description: '257 for a KSK or CSK, 256 for a ZSK' },
      role: { enum: ['ksk', 'zsk', 'csk'] },
      state: { enum: ['published', 'active', 'retired'] },
      dnskey: { type: 'string', description: 'The DNSKEY RR as text' },
      ds: { type: 'string', description: 'The DS RR (SHA-256) for the parent; KSK and CSK only' },
    },
    ['keyTag', 'algorithm', 'flags', 'role', 'dnskey'],
  ),
  RolloverStep: strictObject(
    {
      step: { enum: ['publish', 'activate', 'retire', 'remove'] },
      kind: { enum: ['zsk', 'ksk'] },
      newKeyTag: { type: 'integer', description: 'ZSK activate: the key that starts signing' },
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
      safeAt: { type: 'integer', description: 'Unix seconds from which `next` is safe (0: at any time)' },
      safeAtTime: { type: 'string', format: 'date-time', description: '`safeAt` as an ISO 8601 time' },
      waitingFor: { type: 'string', description: 'A condition besides time: the parent’s DS, or a re-sign pass with the new ZSK' },
    },
    ['kind', 'stepTaken', 'description', 'next', 'safeAt', 'safeAtTime'],
  ),
  ZoneKeys: strictObject(
    { zone: { type: 'string' }, csk: { type: 'boolean', description: 'The zone signs with one combined key: split-key rollovers do not apply' }, keys: { type: 'array', items: ref('ZoneKey') }, zsk: ref('RolloverState'), ksk: ref('RolloverState') },
    ['zone', 'csk', 'keys', 'zsk', 'ksk'],
  ),
  RolloverRequest: strictObject({ kind: { enum: ['zsk', 'ksk'] }, force: { type: 'boolean', default: false, description: 'Take the step even if it is not safe yet (emergencies, tests)' } }, ['kind']),
  RolloverResult: strictObject(
    {
      zone: { type: 'string' },
      action: ref('RolloverStep'),
      status: strictObject({ zone: { type: 'string' }, csk: { type: 'boolean' }, zsk: ref('RolloverState'), ksk: ref('RolloverState') }, ['zone', 'csk', 'zsk', 'ksk']),
    },
    ['zone', 'action', 'status'],
  ),
  Health: strictObject({ status: { const: 'ok' }, zones: { type: 'integer' } }),
  Violation: strictObject({ pointer: { type: 'string', description: 'RFC 6901 pointer into the body; /path/<param> and /query/<param> for URL parts.' }, message: { type: 'string' } }, ['pointer', 'message']),
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details with a stable code and every violation.',
    properties: {
      type: { type: 'string', format: 'uri' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      instance: { type: 'string' },
      code: { enum: Object.keys(API_ERRORS) },
      errors: { type: 'array', items: ref('Violation') },
      safeAt: { type: 'integer', description: 'ERR_API_ROLLOVER_NOT_SAFE: Unix seconds from which the step is safe' },
      safeAtTime: { type: 'string', format: 'date-time', description: 'ERR_API_ROLLOVER_NOT_SAFE: `safeAt` as an ISO 8601 time' },
    },
    required: ['type', 'title', 'status', 'detail', 'code', 'errors'],
  },
};

const problemResponse = (description: string): object => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const responses = {
  BadRequest: problemResponse('ERR_API_VALIDATION, ERR_API_TYPE_REFUSED or ERR_API_BAD_JSON, every violation listed'),
  Unauthorized: { ...problemResponse('ERR_API_UNAUTHORIZED: no token or an unknown one'), headers: { 'WWW-Authenticate': { schema: { type: 'string' } } } },
  Forbidden: problemResponse('ERR_API_FORBIDDEN: the token does not cover this zone, is read-only, or is not admin'),
  NotFound: problemResponse('ERR_API_NOT_FOUND'),
  MethodNotAllowed: { ...problemResponse('ERR_API_METHOD (any path, with an Allow header)'), headers: { Allow: { schema: { type: 'string' } } } },
  Conflict: problemResponse('ERR_API_CONFLICT: the zone exists'),
  TooLarge: problemResponse('ERR_API_BODY_TOO_LARGE'),
  MediaType: problemResponse('ERR_API_MEDIA_TYPE: application/json (application/x-ndjson for import) is required'),
  Internal: problemResponse('ERR_API_INTERNAL'),
  RolloverRefused: problemResponse(
    'ERR_API_ROLLOVER_NOT_SAFE (the next step is not safe yet: `safeAt`, `safeAtTime`, and `detail` says what it waits for), ERR_API_ROLLOVER_CSK (the zone uses a CSK), ERR_API_ROLLOVER_UNSIGNED (the zone is not signed)',
  ),
  Unavailable: problemResponse('ERR_API_UNAVAILABLE: committed, but not confirmed by every DNS worker; retrying is safe'),
};

export const OPENAPI_DOCUMENT = Object.freeze({
  openapi: '3.1.0',
  info: {
    title: 'idzone API',
    version: '1',
    description: 'Publish and revoke DANCE identity records (TLSA, SSHFP) in DNSSEC-signed zones. Errors are RFC 9457 problem+json; codes are listed in api/README.md.',
  },
  servers: [{ url: '/' }],
  security: bearer,
  paths,
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'idz_… tokens from `idzone token create` or <data-dir>/admin.token' } },
    headers: { IdzoneSerial: { description: 'Zone SOA serial after the change', schema: { type: 'integer' } } },
    schemas,
    responses,
  },
});
