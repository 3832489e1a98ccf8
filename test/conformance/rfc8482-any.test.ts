/**
 * Queries for type ANY against a real server (RFC 8482 §4.1): an existing name is answered with
 * one RRset (plus its RRSIG with DO=1) rather than everything it holds; the apex likewise; a
 * wildcard expansion gives one synthesised RRset; absent names keep NXDOMAIN; ANY never makes a
 * negative answer where data exists.
 */
import assert from 'node:assert/strict';
import { RC, T, useServer, ZONE } from '../helpers/conformance-fixture.js';
import { kdigJson } from '../helpers/dns-tools.js';
import { ask, askTcp, randomLabel, recordsOf, rrsigFields, type RawMessage } from '../helpers/raw-dns.js';

function rrsetsIn(m: RawMessage): string[] {
  return [...new Set(m.records.filter((r) => r.section === 'answer' && r.type !== T.RRSIG).map((r) => `${r.name}/${r.type}`))];
}

describe('conformance: RFC 8482 ANY', function () {
  this.timeout(15_000);
  const s = useServer();
  const port = (): number => s.t.dnsPort;

  const names = [`sensor1.${ZONE}`, `camera7.${ZONE}`, `sensor2.${ZONE}`, ZONE, `gw1.site7.${ZONE}`];
  for (const qname of names) {
    for (const dnssec of [false, true]) {
      it(`${qname} ANY DO=${dnssec ? 1 : 0}: one RRset, AA, NOERROR`, async () => {
        const m = await ask(port(), qname, T.ANY, { edns: { do: dnssec } });
        assert.equal(m.rcode, RC.NOERROR);
        assert.equal(m.aa, true);
        const sets = rrsetsIn(m);
        assert.equal(sets.length, 1, `answer holds ${sets.join(', ')}`);
        assert.ok(sets[0]!.startsWith(qname + '/'));
        const sigs = recordsOf(m, T.RRSIG, 'answer');
        if (dnssec) {
          assert.ok(sigs.length >= 1, 'the RRset is signed');
          for (const sig of sigs) assert.equal(`${sig.name}/${rrsigFields(sig.rdata).typeCovered}`, sets[0]);
        } else assert.equal(sigs.length, 0);
      });
    }
  }

  it('ANY over TCP is also answered (one RRset or all; never an error)', async () => {
    const m = await askTcp(port(), `sensor1.${ZONE}`, T.ANY);
    assert.equal(m.rcode, RC.NOERROR);
    assert.ok(rrsetsIn(m).length >= 1);
  });

  it('ANY at a wildcard-expanded name: one synthesised RRset owned by the qname', async () => {
    const q = `${randomLabel()}.${ZONE}`;
    const m = await ask(port(), q, T.ANY);
    assert.equal(m.rcode, RC.NOERROR);
    assert.deepEqual(rrsetsIn(m), [`${q}/${T.TLSA}`]);
    const sig = rrsigFields(recordsOf(m, T.RRSIG, 'answer')[0]!.rdata);
    assert.ok(sig.labels < q.split('.').filter(Boolean).length, 'wildcard RRSIG');
  });

  it('ANY at an absent name: NXDOMAIN', async () => {
    const m = await ask(port(), `${randomLabel()}.sensor1.${ZONE}`, T.ANY);
    assert.equal(m.rcode, RC.NXDOMAIN);
  });

  it('ANY at an empty non-terminal: NOERROR without answer', async () => {
    const m = await ask(port(), `site7.${ZONE}`, T.ANY);
    assert.equal(m.rcode, RC.NOERROR);
    assert.deepEqual(rrsetsIn(m), []);
    assert.equal(recordsOf(m, T.SOA, 'authority').length, 1);
  });

  it('kdig ANY prints a single RRset', async () => {
    const m = await kdigJson(s.t, ['camera7._device.example.net.', 'ANY']);
    assert.equal(m.RCODE, 0);
    const types = new Set((m.answerRRs ?? []).map((r) => r.TYPE));
    assert.equal(types.size, 1);
  });
});
