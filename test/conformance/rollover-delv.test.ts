/**
 * Issue 3 §4's judged property against the real server: every rollover step is safe for a
 * validator. Before, during (after each step) and after a ZSK rollover by pre-publication
 * (publish → activate → remove, RFC 6781 §4.1.1.1, RFC 7583 §3.2) and a double-KSK rollover with
 * CDS/CDNSKEY (publish → retire → remove, RFC 7583 §3.3.2, RFC 7344, RFC 8078), `delv` with the
 * zone's KSK as trust anchor says "fully validated" for a TLSA answer, an SSHFP answer, a wildcard
 * TLSA answer, an NXDOMAIN, a NODATA (A at a device), a NODATA at the empty non-terminal and the
 * DNSKEY set. The DNSKEY set (kdig) holds exactly the keys that are published, active or retired,
 * CDS/CDNSKEY list exactly the KSKs the parent should hold a DS for, and after the ZSK activate
 * step the background re-signer replaces the stored signatures with ones by the new ZSK.
 *
 * The KSK retire step must also be safe for a validator that fetched the parent's DS RRset just
 * before the parent added the new DS (RFC 7583 §3.3.1, RFC 6781 §4.1.2): it holds only the old DS
 * for the parent's DS TTL. So the KSK steps are taken without `force`, at their safe times: retire
 * is refused until the operator confirms that the parent serves the new DS (POST …/keys/ds-seen)
 * and then until the parent's DS TTL (86400 s) + 300 s have passed; until then a validator with
 * only the old DS (a delv `static-ds` anchor) still validates everything.
 *
 * ZSK steps are taken through the HTTP API with the admin token and `force: true`; the KSK steps
 * wait for their real safe times (a day and more) on a moved clock: the server runs in this
 * process and reads Date.now, which this file shifts, starting three days in the past and moving
 * toward the real time, so delv (real clock) accepts every signature. Every tool runs
 * asynchronously.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dnskeyRdata, dsPresentation } from '../../signer/keys.js';
import { delvAsync, dig, kdig, runToolAsync } from '../helpers/dns-tools.js';
import { startTestServer, type TestServer } from '../helpers/server-fixture.js';
import type { KeyRecord } from '../../zone-store/types.js';
import { ask } from '../helpers/raw-dns.js';
import { fetchDnskeys, verifyResponse } from '../helpers/verify-response.js';

const QTYPES: Record<string, number> = { TLSA: 52, SSHFP: 44, A: 1, DNSKEY: 48 };

const ZONE = '_device.example.net.';
const DAY = 86400;
/** The parent's DS TTL the server assumes unless told (rollover.ts DEFAULT_PARENT_DS_TTL), and the margin. */
const PARENT_DS_TTL = 86400;
const MARGIN = 300;
const DEVICE = 'sensor1._device.example.net.';
/** RRSIG RDATA offset of the key tag (RFC 4034 §3.1). */
const RRSIG_KEYTAG = 16;

interface Probe {
  label: string;
  qname: () => string;
  qtype: string;
  negative: boolean;
}

/** The seven answers issue 3 names; the NXDOMAIN name is fresh each time (no cache helps). */
const PROBES: Probe[] = [
  { label: 'TLSA answer', qname: () => DEVICE, qtype: 'TLSA', negative: false },
  { label: 'SSHFP answer', qname: () => 'camera7._device.example.net.', qtype: 'SSHFP', negative: false },
  { label: 'wildcard TLSA answer', qname: () => `wild-${randomBytes(4).toString('hex')}._device.example.net.`, qtype: 'TLSA', negative: false },
  // Below a device, where no wildcard applies: a real NXDOMAIN with its three NSEC3 proofs.
  { label: 'NXDOMAIN', qname: () => `nx-${randomBytes(6).toString('hex')}.sensor2._device.example.net.`, qtype: 'TLSA', negative: true },
  { label: 'NODATA (A at a device)', qname: () => DEVICE, qtype: 'A', negative: true },
  { label: 'NODATA at the empty non-terminal', qname: () => 'site7._device.example.net.', qtype: 'TLSA', negative: true },
  { label: 'DNSKEY set', qname: () => ZONE, qtype: 'DNSKEY', negative: false },
];

describe('conformance: rollovers stay validatable at every step (delv, RFC 6781 §4.1, RFC 7583)', function () {
  this.timeout(60_000);
  let t: TestServer;
  let dir: string;

  // The server's clock (it runs in this process): Date.now shifted by offsetMs.
  const realNow = Date.now;
  let offsetMs = -3 * DAY * 1000;
  const now = (): number => Math.floor(Date.now() / 1000);
  /**
   * Moves the shared clock to Unix second `at`, never past the real time. Forward only: the clock
   * runs on with real time, so when the checks since the last move took longer than the gap to
   * `at` (a loaded CI machine: a second of delv runs), it is already later, and stays there.
   */
  const setClock = (at: number): void => {
    assert.ok(at * 1000 < realNow(), `clock ${at} must lie before the real time`);
    if (at >= now()) offsetMs = at * 1000 - realNow();
  };

  before(async () => {
    Date.now = () => realNow() + offsetMs;
    dir = mkdtempSync(join(tmpdir(), 'idzone-roll-'));
    t = await startTestServer();
  });
  after(async () => {
    await t?.stop();
    Date.now = realNow;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const keys = (): KeyRecord[] => t.store.listKeys(t.store.getZone(ZONE)!);
  const live = (role: KeyRecord['role']): KeyRecord[] => keys().filter((k) => k.role === role && k.state !== 'removed');
  const tagsOf = (ks: readonly KeyRecord[]): number[] => ks.map((k) => k.keyTag).sort((a, b) => a - b);

  /** A delv trust-anchors file holding exactly `ksks` (what a validator's parent DS points at). */
  function anchorFor(ksks: readonly KeyRecord[], name: string): string {
    const lines = ksks.map((k) => `  "${ZONE}" static-key ${k.flags} 3 ${k.algorithm} "${k.publicKey.toString('base64')}";`);
    const file = join(dir, `${name}.conf`);
    writeFileSync(file, `trust-anchors {\n${lines.join('\n')}\n};\n`);
    return file;
  }

  /**
   * A delv trust-anchors file holding DS records (`static-ds`, what a validator caches from the
   * parent) for exactly `ksks`.
   */
  function dsAnchorFor(ksks: readonly KeyRecord[], name: string): string {
    const lines = ksks.map((k) => {
      const [tag, alg, digestType, digest] = dsPresentation(ZONE, dnskeyRdata(k.flags, k.algorithm, k.publicKey)).split(/\s+/).slice(3);
      return `  "${ZONE}" static-ds ${tag} ${alg} ${digestType} "${digest}";`;
    });
    const file = join(dir, `${name}.conf`);
    writeFileSync(file, `trust-anchors {\n${lines.join('\n')}\n};\n`);
    return file;
  }

  /** POST …/keys/rollover (or ds-seen) with `body`; the status and the JSON answer. */
  async function post(path: 'rollover' | 'ds-seen', body: object): Promise<{ status: number; json: any }> {
    const res = await fetch(`${t.apiUrl}/api/v1/zones/${ZONE}/keys/${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${t.adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  }

  /**
   * Every probe through delv with `anchor`; all must be fully validated. The same questions over
   * UDP (DO=1) have every RRSIG checked by @noble/curves too, against the DNSKEY set of this step.
   */
  async function assertAllValidate(anchor: string, when: string): Promise<void> {
    const outs = await Promise.all(PROBES.map(async (p) => ({ p, out: await delvAsync(t, ZONE, anchor, p.qname(), p.qtype) })));
    for (const { p, out } of outs) {
      const want = p.negative ? /; negative response, fully validated/ : /^; fully validated$/m;
      assert.match(out, want, `${when}: ${p.label} (${p.qtype}) is not fully validated:\n${out}`);
    }
    const dnskeys = await fetchDnskeys(t.dnsPort, ZONE);
    for (const p of PROBES) {
      const m = await ask(t.dnsPort, p.qname(), QTYPES[p.qtype]!);
      assert.ok(verifyResponse(m, dnskeys, ZONE).signatures > 0, `${when}: ${p.label}: no signatures`);
    }
  }

  /** The DNSKEY RRset as served (kdig over TCP) equals the keys the catalog says are published. */
  async function assertDnskeySet(when: string): Promise<void> {
    const served = (await kdig(t, ['+tcp', '+short', ZONE, 'DNSKEY'])).split('\n').filter((l) => /^25[67] /.test(l));
    const servedKeys = served.map((l) => l.trim().split(/\s+/).slice(3).join('')).sort();
    const expected = keys()
      .filter((k) => k.state !== 'removed')
      .map((k) => k.publicKey.toString('base64'))
      .sort();
    assert.deepEqual(servedKeys, expected, `${when}: DNSKEY set differs from the keys in states published/active/retired`);
  }

  /** CDS and CDNSKEY (RFC 7344 §3) list exactly `ksks`. */
  async function assertCdsFor(ksks: readonly KeyRecord[], when: string): Promise<void> {
    const cdnskey = (await kdig(t, ['+tcp', '+short', ZONE, 'CDNSKEY'])).split('\n').filter((l) => l.startsWith('257 '));
    assert.deepEqual(cdnskey.map((l) => l.trim().split(/\s+/).slice(3).join('')).sort(), ksks.map((k) => k.publicKey.toString('base64')).sort(), `${when}: CDNSKEY`);
    const cds = (await kdig(t, ['+tcp', '+short', ZONE, 'CDS'])).split('\n').filter((l) => /^\d+ \d+ 2 /.test(l));
    assert.deepEqual(cds.map((l) => Number(l.split(/\s+/)[0])).sort((a, b) => a - b), tagsOf(ksks), `${when}: CDS key tags`);
  }

  /**
   * The parent's side, judged by BIND's dnssec-cds (RFC 7344 §4.1, RFC 8078 §3): holding a DS set
   * for `parent` (made by dnssec-dsfromkey), it must accept the child's CDS/CDNSKEY — signed by a
   * key that DS set names — and compute a new DS set for exactly `next`.
   */
  async function assertParentAccepts(parent: readonly KeyRecord[], next: readonly KeyRecord[], when: string): Promise<void> {
    const keyFile = join(dir, 'parent-keys.txt');
    writeFileSync(keyFile, parent.map((k) => `${ZONE} 3600 IN DNSKEY ${k.flags} 3 ${k.algorithm} ${k.publicKey.toString('base64')}\n`).join(''));
    const ds = await runToolAsync('dnssec-dsfromkey', ['-2', '-f', keyFile, ZONE]);
    assert.match(ds, /\sDS\s/, `${when}: dnssec-dsfromkey: ${ds}`);
    const dsFile = join(dir, 'parent-dsset.txt');
    writeFileSync(dsFile, ds);
    const child = await Promise.all(['DNSKEY', 'CDNSKEY', 'CDS'].map((type) => dig(t, ['+tcp', '+noall', '+answer', '+dnssec', ZONE, type])));
    const childFile = join(dir, 'child.txt');
    writeFileSync(childFile, child.join(''));
    // Signatures made since two days ago count (ours are backdated by an hour).
    const since = new Date(Date.now() - 2 * 86400_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const out = await runToolAsync('dnssec-cds', ['-s', since, '-f', childFile, '-d', dsFile, ZONE]);
    const tags = [...out.matchAll(/\sDS\s+(\d+)\s/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
    assert.deepEqual([...new Set(tags)], tagsOf(next), `${when}: dnssec-cds with DS for ${tagsOf(parent).join(',')}:\n${out}`);
  }

  async function step(kind: 'zsk' | 'ksk', expected: string, force = true): Promise<void> {
    const r = await post('rollover', { kind, force });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.action?.step, expected);
    if (!force) assert.equal(r.json.warning, undefined, 'taken when safe: no warning');
  }

  /** The step `kind` would take next is refused as not safe yet; the problem body. */
  async function refused(kind: 'zsk' | 'ksk', when: string): Promise<any> {
    const r = await post('rollover', { kind });
    assert.equal(r.status, 409, `${when}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.code, 'ERR_API_ROLLOVER_NOT_SAFE', when);
    return r.json;
  }

  /** Key tag of the first stored RRSIG over the device's TLSA RRset. */
  function storedTlsaSigner(): number | undefined {
    const node = t.store.getNode(t.store.getZone(ZONE)!, DEVICE);
    const sig = node?.rrsets.find((r) => r.type === 52)?.sigs[0];
    return sig === undefined || sig.length < RRSIG_KEYTAG + 2 ? undefined : sig.readUInt16BE(RRSIG_KEYTAG);
  }

  let ksk0: KeyRecord;
  let zsk0: KeyRecord;

  it('before any rollover: everything validates with the KSK as anchor; CDS/CDNSKEY list that KSK', async () => {
    [ksk0] = live('ksk') as [KeyRecord];
    [zsk0] = live('zsk') as [KeyRecord];
    assert.ok(ksk0 && zsk0, 'the demo zone has a KSK and a ZSK');
    await assertAllValidate(anchorFor([ksk0], 'ksk0'), 'before');
    await assertDnskeySet('before');
    await assertCdsFor([ksk0], 'before');
    await assertParentAccepts([ksk0], [ksk0], 'before');
  });

  describe('ZSK rollover by pre-publication (the KSK, and so the anchor, stays the same)', () => {
    let zsk1: KeyRecord;

    it('1 publish: the new ZSK is in the DNSKEY set but signs nothing; everything validates', async () => {
      await step('zsk', 'publish');
      const published = live('zsk').filter((k) => k.state === 'published');
      assert.equal(published.length, 1);
      zsk1 = published[0]!;
      await assertDnskeySet('ZSK publish');
      assert.equal(storedTlsaSigner(), zsk0.keyTag, 'stored signatures are still by the old ZSK');
      await assertAllValidate(anchorFor([ksk0], 'ksk0'), 'ZSK publish');
    });

    it('2 activate: the new ZSK signs, the old one stays published; the re-signer replaces stored signatures', async () => {
      await step('zsk', 'activate');
      const activatedAt = keys().find((k) => k.id === zsk1.id)!.changedAt;
      assert.deepEqual(tagsOf(live('zsk').filter((k) => k.state === 'active')), [zsk1.keyTag]);
      assert.deepEqual(tagsOf(live('zsk').filter((k) => k.state === 'retired')), [zsk0.keyTag]);
      await assertDnskeySet('ZSK activate');
      // Right after the step, answers validate whether a stored signature is already new or not.
      await assertAllValidate(anchorFor([ksk0], 'ksk0'), 'ZSK activate');
      // The activate step asks the background re-signer for a pass (100 ms); bounded wait.
      const deadline = Date.now() + 15_000;
      while ((storedTlsaSigner() !== zsk1.keyTag || (t.server.resigner.lastCompleted(ZONE) ?? 0) < activatedAt) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(storedTlsaSigner(), zsk1.keyTag, 'stored TLSA signature re-made with the new ZSK');
      assert.ok((t.server.resigner.lastCompleted(ZONE) ?? 0) >= activatedAt, 'a full re-sign pass completed after the activate step');
      const status = t.server.rollovers.status(ZONE);
      assert.equal(status.zsk.stepTaken, 2);
      assert.equal(status.zsk.waitingFor, undefined, 'the status no longer waits for a re-sign pass');
      await assertAllValidate(anchorFor([ksk0], 'ksk0'), 'ZSK activate, after re-signing');
    });

    it('3 remove: only the new ZSK remains; everything validates', async () => {
      await step('zsk', 'remove');
      assert.deepEqual(tagsOf(live('zsk')), [zsk1.keyTag]);
      await assertDnskeySet('ZSK remove');
      await assertAllValidate(anchorFor([ksk0], 'ksk0'), 'ZSK remove');
      assert.equal(t.server.rollovers.status(ZONE).zsk.stepTaken, 0);
    });
  });

  describe('KSK rollover, double-KSK with CDS/CDNSKEY, each step at its safe time (the anchor follows the parent’s DS)', () => {
    let ksk1: KeyRecord;
    let publishedAt: number;
    let dsSeenAt: number;

    it('1 publish: both KSKs sign the DNSKEY set, CDS/CDNSKEY list both; validates with the old DS, the new DS and both', async () => {
      await step('ksk', 'publish', false);
      const ksks = live('ksk');
      assert.equal(ksks.length, 2);
      ksk1 = ksks.find((k) => k.id !== ksk0.id)!;
      publishedAt = ksk1.changedAt;
      await assertDnskeySet('KSK publish');
      await assertCdsFor([ksk0, ksk1], 'KSK publish');
      // The parent, still holding only the old DS, accepts CDS signed by the old KSK and adds the new DS.
      await assertParentAccepts([ksk0], [ksk0, ksk1], 'KSK publish');
      // A validator still has the old DS from the parent (which adds the new DS only after seeing
      // CDS): the old KSK must keep validating. Once the parent has both DS, the new one works too.
      await assertAllValidate(anchorFor([ksk0], 'ksk0'), 'KSK publish, old anchor');
      await assertAllValidate(dsAnchorFor([ksk0], 'ds-old'), 'KSK publish, old DS');
      await assertAllValidate(dsAnchorFor([ksk1], 'ds-new'), 'KSK publish, new DS');
      await assertAllValidate(dsAnchorFor([ksk0, ksk1], 'ds-both'), 'KSK publish, old and new DS');
    });

    it('2 retire is refused once the DNSKEY TTL has passed until the operator confirms that the parent serves the new DS', async () => {
      const soaTtl = t.store.getZone(ZONE)!.settings.soaTtl;
      setClock(publishedAt + soaTtl + MARGIN + 1);
      const p = await refused('ksk', 'retire at publish + DNSKEY TTL, before ds-seen');
      assert.equal(p.safeAt, undefined, 'no safe time before the confirmation');
      assert.match(p.detail, /confirmation that the parent serves the DS/);
      const st = t.server.rollovers.status(ZONE).ksk;
      assert.equal(st.blockedBy, 'parent-ds');
      assert.deepEqual(tagsOf(live('ksk').filter((k) => k.state === 'active')), tagsOf([ksk0, ksk1]), 'the old KSK still signs');
    });

    it('ds-seen: the parent serves the new DS from now; retire is then refused until the parent DS TTL has passed, while the old DS still validates', async () => {
      // The parent starts serving {old DS, new DS} now; a validator that asked it a second earlier
      // caches {old DS} for the DS TTL.
      const r = await post('ds-seen', {});
      assert.equal(r.status, 200, JSON.stringify(r.json));
      dsSeenAt = r.json.dsSeenAt;
      assert.equal(r.json.keyTag, ksk1.keyTag);
      assert.equal(r.json.parentDsTtl, PARENT_DS_TTL);
      assert.equal(r.json.status.ksk.safeAt, dsSeenAt + PARENT_DS_TTL + MARGIN);
      setClock(dsSeenAt + PARENT_DS_TTL + MARGIN - 1);
      const p = await refused('ksk', 'retire a second before the DS TTL has passed');
      assert.equal(p.safeAt, dsSeenAt + PARENT_DS_TTL + MARGIN);
      // That validator's cache has not expired: with only the old DS, everything still validates.
      await assertAllValidate(dsAnchorFor([ksk0], 'ds-old'), 'DS TTL not yet passed, old DS');
      await assertAllValidate(dsAnchorFor([ksk0, ksk1], 'ds-both'), 'DS TTL not yet passed, old and new DS');
    });

    it('2 retire at its safe time: the old KSK stops signing and leaves CDS/CDNSKEY but stays in DNSKEY; validates with what validators now hold', async () => {
      setClock(dsSeenAt + PARENT_DS_TTL + MARGIN);
      await step('ksk', 'retire', false);
      assert.deepEqual(tagsOf(live('ksk').filter((k) => k.state === 'retired')), [ksk0.keyTag]);
      await assertDnskeySet('KSK retire');
      await assertCdsFor([ksk1], 'KSK retire');
      await assertParentAccepts([ksk0, ksk1], [ksk1], 'KSK retire');
      // Every validator's DS set now comes from the parent after it added the new DS: {old, new}
      // (or {new} once the parent acts on the CDS change).
      await assertAllValidate(dsAnchorFor([ksk0, ksk1], 'ds-both'), 'KSK retire, old and new DS');
      await assertAllValidate(dsAnchorFor([ksk1], 'ds-new'), 'KSK retire, new DS');
      await assertAllValidate(anchorFor([ksk1], 'ksk1'), 'KSK retire, new anchor');
      // Control: with the old DS alone the DNSKEY set no longer validates — delv really judges the
      // chain, and this is why retire waited until no validator could still hold only that DS.
      for (const anchor of [dsAnchorFor([ksk0], 'ds-old'), anchorFor([ksk0], 'ksk0')]) {
        const stale = await delvAsync(t, ZONE, anchor, ZONE, 'DNSKEY');
        assert.doesNotMatch(stale, /fully validated/, `the retired KSK alone must no longer validate the DNSKEY set:\n${stale}`);
      }
    });

    it('3 remove at its safe time (the parent DS TTL after retiring): only the new KSK remains; validates with the new DS', async () => {
      const retiredAt = keys().find((k) => k.id === ksk0.id)!.changedAt;
      const p = await refused('ksk', 'remove right after retire');
      assert.equal(p.safeAt, retiredAt + PARENT_DS_TTL + MARGIN);
      setClock(retiredAt + PARENT_DS_TTL + MARGIN);
      await step('ksk', 'remove', false);
      assert.deepEqual(tagsOf(live('ksk')), [ksk1.keyTag]);
      await assertDnskeySet('KSK remove');
      await assertCdsFor([ksk1], 'KSK remove');
      await assertParentAccepts([ksk1], [ksk1], 'KSK remove');
      await assertAllValidate(anchorFor([ksk1], 'ksk1'), 'KSK remove');
      await assertAllValidate(dsAnchorFor([ksk1], 'ds-new'), 'KSK remove, new DS');
      await assertAllValidate(dsAnchorFor([ksk0, ksk1], 'ds-both'), 'KSK remove, old and new DS');
      const status = t.server.rollovers.status(ZONE);
      assert.equal(status.ksk.stepTaken, 0);
      assert.equal(status.zsk.stepTaken, 0);
    });
  });
});
