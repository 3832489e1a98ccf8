/**
 * The query pipeline: fixed stages, each with one failure outcome (STYLE.md "named stages").
 *   gate    decode; drop responses and runts; FORMERR/NOTIMP/BADVERS (and NOTAUTH for TSIG)
 *           from the decoder; DNS cookies read (FORMERR for a malformed one) and added to every
 *           answer at the end, with edns-tcp-keepalive on streams
 *   policy  NOTIFY refused (we are the primary; NOTAUTH outside our zones); class IN only (else
 *           REFUSED); NXNAME → FORMERR (RFC 9824 §3.5); AXFR/IXFR refused here (zone transfer is
 *           served only over TCP/TLS to authorised peers; NOTAUTH for a zone not served, RFC
 *           5936 §2.2.1)
 *   cache   finished answers by (qname, qtype, DO, EDNS)
 *   zone    longest-suffix match, else REFUSED (RFC 8906 practice for authoritative-only servers)
 *   sign    a signed zone whose keys cannot be loaded answers DO=1 queries SERVFAIL + EDE,
 *           never unsigned data
 *   lookup  → plan (lookup.ts, build-plan.ts)
 *   limit   UDP answers over the client's rate (rate-limit.ts) are dropped or slipped (TC=1),
 *           decided before any signing: a dropped denial costs no signature
 *   encode  one place (encode-plan.ts); TC=1 when a UDP answer does not fit
 *   defer   a UDP DO=1 answer whose proof needs a fresh signature (denial, wildcard) is planned
 *           and encoded later, in bounded slices (slice-scheduler.ts), once that signature was
 *           made on a signing thread (ZoneSigning.prepareDenial); a full queue drops it. A
 *           signed NXDOMAIN is then its closest encloser's template (nxdomain-templates.ts) plus
 *           the next closer's cover
 * Exceptions are faults: SERVFAIL, a log line and a counter, and the server keeps serving.
 */
import { EdeCode, Rcode, RrClass, RrType } from '../../core/rr-types.js';
import type { ZoneInfo, ZoneReader } from '../../zone-store/types.js';
import { firstSignatureExpiration, type PlanRecord } from './answer-plan.js';
import type { NxdomainTemplates } from './nxdomain-templates.js';
import type { QueryContext, QueryHandler } from '../transport/types.js';
import { decodeQuery, type ParsedQuery, type QueryError } from '../wire/decode-query.js';
import type { LogFn } from '../log.js';
import { AnswerCache } from './answer-cache.js';
import { buildPlan } from './build-plan.js';
import { createEncodeBuffers, encodeError, encodeFromBlocks, encodePlan, encodeSlip, patchCached, withCookie, type EncodeBuffers } from './encode-plan.js';
import { readCookie, type ServerCookies } from './cookies.js';
import { EdnsOptionCode, encodeTcpKeepaliveOption, type EdnsOption } from '../wire/edns.js';
import { withOptOption } from '../wire/opt-option.js';
import { lookupName, type LookupOutcome } from './lookup.js';
import type { ProbeCache } from './probe-cache.js';
import { SliceScheduler } from './slice-scheduler.js';
import type { QueryMetrics } from './query-metrics.js';
import { RrlAction, RrlClass, type ResponseRateLimiter, type RrlClassName, type RrlKey } from './rate-limit.js';
import { isUnavailable, type DnssecProvider, type ZoneSigning } from './zone-signing.js';

export interface PipelineDeps {
  reader: ZoneReader;
  dnssec: DnssecProvider;
  cache: AnswerCache;
  metrics: QueryMetrics;
  log: LogFn;
  /** Where deferred (question-dependent signing) work runs; one per process by default. */
  scheduler?: SliceScheduler;
  /** Encloser and wildcard probes remembered between queries; invalidated with the answer cache. */
  probes?: ProbeCache;
  /** Signed NXDOMAIN templates per closest encloser; invalidated with the probes (absent: planned in full). */
  nxdomainTemplates?: NxdomainTemplates;
  /** Response rate limiting of UDP answers (off when absent). */
  rrl?: ResponseRateLimiter;
  /** DNS cookies (RFC 7873, RFC 9018); absent: COOKIE options are ignored. */
  cookies?: ServerCookies;
}

export function createQueryHandler(deps: PipelineDeps): QueryHandler {
  const buffers: EncodeBuffers = createEncodeBuffers();
  const scheduler = deps.scheduler ?? new SliceScheduler();
  return (msg: Buffer, ctx: QueryContext) => {
    const started = process.hrtime.bigint();
    const decoded = decodeQuery(msg);
    if (decoded.kind === 'drop') {
      deps.metrics.dropped(ctx.transport, 'undecodable');
      return null;
    }
    if (decoded.kind === 'error') return answerUndecodable(deps, buffers, decoded, ctx, started);
    const q = decoded.query;
    // DNS cookies (cookies.ts): the option to add to every answer, and whether the query proved
    // its source address with a server cookie we made.
    let cookie: EdnsOption | undefined;
    let provenSource = false;
    if (deps.cookies !== undefined && q.edns !== undefined) {
      const c = readCookie(q.edns.options);
      if (c.kind === 'malformed') {
        if (errorLimited(deps, ctx)) return null;
        deps.metrics.observe(ctx.transport, q.qtype, Rcode.FORMERR, elapsed(started));
        return encodeError(buffers, q, Rcode.FORMERR, { code: EdeCode.OTHER, text: 'malformed COOKIE option' });
      }
      if (c.kind === 'present') {
        const a = deps.cookies.answerOption(c.client, c.server, ctx.remoteAddress, c.data);
        provenSource = a.proven;
        cookie = a.option;
      }
    }
    // RFC 7828 §3.3.2: a stream client that offers edns-tcp-keepalive learns our idle timeout.
    const keepalive = ctx.transport !== 'udp' && ctx.idleTimeoutMs !== undefined && q.edns?.options.some((o) => o.code === EdnsOptionCode.TCP_KEEPALIVE) === true;
    const done = (r: Answered): Buffer | null => {
      // Held-back answers (dropped or slipped) are counted by idzone_dns_rate_limited_total only.
      if (r.limited !== true) deps.metrics.observe(ctx.transport, q.qtype, r.rcode, elapsed(started));
      let bytes = r.bytes;
      if (bytes !== null && keepalive) bytes = withOptOption(bytes, encodeTcpKeepaliveOption(ctx.idleTimeoutMs!));
      return cookie === undefined || bytes === null ? bytes : withCookie(buffers, q, ctx.transport, bytes, cookie);
    };
    const result = guarded(deps, buffers, q, () => answer(deps, buffers, q, ctx, provenSource));
    if (!('deferred' in result)) return done(result);
    // Question-dependent signing runs in bounded slices (slice-scheduler.ts), after its signature
    // was made on a signing thread when the zone's signer could prepare it (or inline if not).
    return new Promise<Buffer | null>((resolve) => {
      const run = (): void => {
        const queued = scheduler.enqueue(() => resolve(done(guarded(deps, buffers, q, result.deferred))));
        if (!queued) {
          deps.metrics.dropped(ctx.transport, 'signing-queue-full');
          resolve(null);
        }
      };
      if (result.ready === undefined) run();
      else result.ready.then(run, run);
    });
  };
}

/** Over UDP, whether the client's error answers are over its rate (then counted and dropped). */
function errorLimited(deps: PipelineDeps, ctx: QueryContext): boolean {
  if (deps.rrl === undefined || ctx.transport !== 'udp' || deps.rrl.check(ctx.remoteAddress, RrlClass.ERROR, '', 0) === RrlAction.SEND) return false;
  deps.metrics.rateLimited(RrlClass.ERROR, 'dropped');
  return true;
}

/**
 * A message the decoder refused (FORMERR, NOTIMP, BADVERS, NOTAUTH for TSIG): its error answer,
 * rate-limited like every error and carrying the client's cookie when it sent a well-formed one.
 * A cookie with no question is how a client learns a server cookie: NOERROR (RFC 7873 §5.4).
 */
function answerUndecodable(deps: PipelineDeps, buffers: EncodeBuffers, decoded: QueryError, ctx: QueryContext, started: bigint): Buffer | null {
  const c = deps.cookies !== undefined && decoded.edns !== undefined ? readCookie(decoded.edns.options) : undefined;
  const a = c?.kind === 'present' ? deps.cookies!.answerOption(c.client, c.server, ctx.remoteAddress, c.data) : undefined;
  if (a?.proven !== true && errorLimited(deps, ctx)) return null;
  const rcode = a !== undefined && decoded.noQuestion === true && decoded.rcode === Rcode.FORMERR ? Rcode.NOERROR : decoded.rcode;
  let out = encodeError(buffers, decoded, rcode, undefined);
  if (a !== undefined) out = withOptOption(out, a.option);
  deps.metrics.observe(ctx.transport, 0, rcode, elapsed(started));
  return out;
}

interface Answered {
  /** null: rate-limited, nothing is sent. */
  bytes: Buffer | null;
  rcode: number;
  /** Held back by rate limiting: dropped (bytes null) or slipped (an empty TC=1 answer). */
  limited?: true;
}

/** An answer now, or the work that makes it, to run later. */
type AnswerStep = Answered | { deferred: () => Answered; ready?: Promise<void> | undefined };

/** Faults become SERVFAIL with an EDE, a log line, and the server keeps serving. */
function guarded<T extends AnswerStep>(deps: PipelineDeps, buffers: EncodeBuffers, q: ParsedQuery, f: () => T): T | Answered {
  try {
    return f();
  } catch (err) {
    deps.log('error', 'query failed with an internal error', { qname: q.qname, qtype: q.qtype, err: (err as Error).stack ?? String(err) });
    return { bytes: encodeError(buffers, q, Rcode.SERVFAIL, { code: EdeCode.OTHER, text: 'internal error' }), rcode: Rcode.SERVFAIL };
  }
}

function answer(deps: PipelineDeps, buffers: EncodeBuffers, q: ParsedQuery, ctx: QueryContext, provenSource: boolean): AnswerStep {
  // TCP and a valid server cookie both prove the source address: no rate limiting for those.
  const limit: Limit | undefined = deps.rrl !== undefined && ctx.transport === 'udp' && !provenSource ? (cls, name, qtype = 0) => rateLimit(deps, buffers, q, ctx, cls, name, qtype) : undefined;
  const policy = checkPolicy(q, deps.reader);
  if (policy !== undefined) return errorAnswer(buffers, q, policy.rcode, policy.ede, limit);
  const dnssecOk = q.edns?.do === true;
  const key = AnswerCache.key(q.qname, q.qtype * 65536 + q.qclass, dnssecOk, q.edns !== undefined, q.edns?.co === true);
  const cached = deps.cache.get(key);
  if (cached !== undefined) {
    // The class the answer was cached with (a cached wildcard answer stays in its encloser's
    // bucket, not one per name); entries cached without one count per name and type.
    const rrlKey = limit === undefined ? undefined : deps.cache.rrlKeyOf(key);
    const limited = limit?.(rrlKey?.cls ?? RrlClass.ANSWER, rrlKey?.name ?? q.qname, rrlKey?.qtype ?? q.qtype);
    if (limited !== undefined) return limited;
    const out = patchCached(buffers, cached, q, ctx.transport);
    return { bytes: out, rcode: out[3]! & 0x0f };
  }
  const zone = deps.reader.findZone(q.qname);
  if (zone === undefined) return errorAnswer(buffers, q, Rcode.REFUSED, { code: EdeCode.NOT_AUTHORITATIVE, text: 'not authoritative for this name' }, limit);
  let signing: ZoneSigning | undefined;
  if (zone.settings.signed) {
    const s = deps.dnssec.forZone(zone);
    if (!isUnavailable(s)) signing = s;
    // Never unsigned data to a DO=1 client of a signed zone (the provider logs the cause once
    // per retry period); DO=0 clients get the unsigned data, which they would not validate.
    else if (dnssecOk) return errorAnswer(buffers, q, Rcode.SERVFAIL, { code: EdeCode.OTHER, text: `DNSSEC signing unavailable for ${zone.name}` }, limit);
  }
  const outcome = lookupName(deps.reader, zone, q.qname, deps.probes);
  // Every answer is judged from the lookup, before planning: a held-back answer costs no signature.
  // The class goes into the answer cache with the answer (TCP answers are cached too).
  const rrlKey = deps.rrl === undefined ? undefined : rrlKeyOf(outcome, zone.name, q);
  if (limit !== undefined && rrlKey !== undefined) {
    const limited = limit(rrlKey.cls, rrlKey.name, rrlKey.qtype);
    if (limited !== undefined) return limited;
  }
  const respond = (cache: boolean): Answered => {
    const plan = buildPlan({ zone, qname: q.qname, qtype: q.qtype, signing, dnssecOk, compactOk: dnssecOk && q.edns?.co === true }, outcome);
    plan.zone = zone.name;
    const { bytes, full } = encodePlan(buffers, q, plan, ctx.transport);
    if (cache && full !== undefined && plan.cacheScope !== 'none') deps.cache.set(key, q.qname, zone.name, plan.cacheScope, full, rrlKey, () => firstSignatureExpiration(plan.answer, plan.authority, plan.additional));
    return { bytes, rcode: plan.rcode };
  };
  // A denial or wildcard proof for a UDP DO=1 client needs a fresh signature over a record made
  // from the question: defer it. Its answer is not cached, because a write may land between this
  // lookup and the deferred run, after the cache was invalidated.
  if (ctx.transport === 'udp' && dnssecOk && signing !== undefined && outcome.kind !== 'exact') {
    const ready = signing.prepareDenial?.(q.qname, outcome.nextCloser, outcome.kind);
    const templates = deps.nxdomainTemplates;
    if (outcome.kind === 'nxdomain' && templates !== undefined && zone.settings.denial !== 'compact') {
      return { deferred: () => fromTemplate(buffers, q, templates, zone, signing, outcome, ctx.transport) ?? respond(false), ready };
    }
    return { deferred: () => respond(false), ready };
  }
  return respond(true);
}

/**
 * A signed NXDOMAIN made from its template (nxdomain-templates.ts) and the next closer's cover;
 * undefined when no template applies (compact denial, a cover that would repeat a templated
 * record): the caller then plans and encodes it in full.
 */
function fromTemplate(buffers: EncodeBuffers, q: ParsedQuery, templates: NxdomainTemplates, zone: ZoneInfo, signing: ZoneSigning, outcome: Extract<LookupOutcome, { kind: 'nxdomain' }>, transport: QueryContext['transport']): Answered | undefined {
  const t = templates.get(zone, signing, outcome.closestEncloser, outcome.encloserNode);
  // A question at or below one of the template's NSEC3 owners would compress that owner to a
  // bare pointer in the full path; the block points at the apex only: plan that one in full.
  if (t === undefined || t.owners.some((o) => isAtOrBelow(q.qname, o))) return undefined;
  const cover = signing.nsec3Cover(outcome.nextCloser);
  if (t.owners.includes(cover.owner)) return undefined;
  const middle: PlanRecord[] = [{ owner: cover.owner, type: cover.type, ttl: cover.ttl, rdata: cover.rdatas[0]! }];
  for (const sig of cover.sigs) middle.push({ owner: cover.owner, type: RrType.RRSIG, ttl: cover.ttl, rdata: sig });
  const bytes = encodeFromBlocks(buffers, q, Rcode.NXDOMAIN, t.head, middle, t.tail, transport);
  return bytes === undefined ? undefined : { bytes, rcode: Rcode.NXDOMAIN };
}

/** `name` is `owner` or ends in `.owner` (a label boundary; an escaped dot only means a needless fallback). */
function isAtOrBelow(name: string, owner: string): boolean {
  const cut = name.length - owner.length;
  return name.endsWith(owner) && (cut === 0 || (cut > 0 && name.charCodeAt(cut - 1) === 0x2e));
}

type Limit = (cls: RrlClassName, name: string, qtype?: number) => Answered | undefined;

function errorAnswer(buffers: EncodeBuffers, q: ParsedQuery, rcode: number, ede: { code: number; text: string } | undefined, limit: Limit | undefined): Answered {
  return limit?.(RrlClass.ERROR, '') ?? { bytes: encodeError(buffers, q, rcode, ede), rcode };
}

/** The limiter's verdict as an answer: undefined to send the real one, else nothing or a slip. */
function rateLimit(deps: PipelineDeps, buffers: EncodeBuffers, q: ParsedQuery, ctx: QueryContext, cls: RrlClassName, name: string, qtype: number): Answered | undefined {
  const action = deps.rrl!.check(ctx.remoteAddress, cls, name, qtype);
  if (action === RrlAction.SEND) return undefined;
  if (action === RrlAction.DROP) {
    deps.metrics.rateLimited(cls, 'dropped');
    return { bytes: null, rcode: Rcode.NOERROR, limited: true };
  }
  deps.metrics.rateLimited(cls, 'slipped');
  return { bytes: encodeSlip(buffers, q), rcode: Rcode.NOERROR, limited: true };
}

/** Apex types served without being stored (answered positively at the apex). */
const APEX_TYPES: ReadonlySet<number> = new Set([RrType.SOA, RrType.NS, RrType.DNSKEY, RrType.NSEC3PARAM, RrType.CDS, RrType.CDNSKEY]);

/**
 * The rate-limiting class of the answer a lookup leads to (rate-limit.ts), decided without
 * planning it. Misjudging an odd case only picks another bucket; what matters is that the buckets
 * per name stay few, so an attacker cannot spread a flood over many.
 */
function rrlKeyOf(outcome: LookupOutcome, zone: string, q: ParsedQuery): RrlKey {
  if (outcome.kind === 'nxdomain') return { cls: RrlClass.NXDOMAIN, name: zone, qtype: 0 };
  if (outcome.kind === 'wildcard') return { cls: RrlClass.WILDCARD, name: outcome.closestEncloser, qtype: 0 };
  const t = q.qtype;
  const positive = t === RrType.ANY || t === RrType.RRSIG || (outcome.isApex && APEX_TYPES.has(t)) || (outcome.node?.rrsets.some((r) => r.type === t) ?? false);
  return positive ? { cls: RrlClass.ANSWER, name: q.qname, qtype: t } : { cls: RrlClass.NODATA, name: q.qname, qtype: 0 };
}

function checkPolicy(q: ParsedQuery, reader: ZoneReader): { rcode: number; ede?: { code: number; text: string } } | undefined {
  if (q.opcode === 4) {
    // NOTIFY (RFC 1996) goes from a primary to its secondaries. idzone is the primary of every
    // zone it serves, so it accepts none: REFUSED for its own zones, NOTAUTH for others.
    if (reader.getZone(q.qname) === undefined) return { rcode: Rcode.NOTAUTH, ede: { code: EdeCode.NOT_AUTHORITATIVE, text: 'not authoritative for this zone' } };
    return { rcode: Rcode.REFUSED, ede: { code: EdeCode.PROHIBITED, text: 'this server is the primary for the zone and takes no NOTIFY' } };
  }
  if (q.opcode !== 0) return { rcode: Rcode.NOTIMP };
  if (q.qclass !== RrClass.IN && q.qclass !== RrClass.ANY) return { rcode: Rcode.REFUSED, ede: { code: EdeCode.NOT_SUPPORTED, text: 'only class IN is served' } };
  if (q.qtype === RrType.NXNAME) return { rcode: Rcode.FORMERR, ede: { code: EdeCode.INVALID_QUERY_TYPE, text: 'NXNAME is a meta-type and cannot be queried' } };
  if (q.qtype === RrType.OPT || q.qtype === RrType.TSIG) return { rcode: Rcode.FORMERR, ede: { code: EdeCode.INVALID_QUERY_TYPE, text: 'meta-type in the question' } };
  if (q.qtype === RrType.AXFR || q.qtype === RrType.IXFR) {
    // RFC 5936 §2.2.1: a transfer of a zone the server does not serve is NOTAUTH.
    if (reader.getZone(q.qname) === undefined) return { rcode: Rcode.NOTAUTH, ede: { code: EdeCode.NOT_AUTHORITATIVE, text: 'not authoritative for this zone' } };
    return { rcode: Rcode.REFUSED, ede: { code: EdeCode.PROHIBITED, text: 'zone transfer is not allowed for this client' } };
  }
  return undefined;
}

function elapsed(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}
