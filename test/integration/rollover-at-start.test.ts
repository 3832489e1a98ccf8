/**
 * The automatic ZSK rollover checks soon after the server starts, not only 10 minutes later: a
 * ZSK whose lifetime ended while the server was down is rolled (step "publish") within seconds.
 */
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server-fixture.js';

const ZONE = '_device.example.net.';

describe('automatic ZSK rollover: first check at start', function () {
  this.timeout(30_000);
  let t: TestServer | undefined;
  after(async () => {
    await t?.stop();
  });

  it('publishes a new ZSK within seconds of start when the lifetime has already ended', async () => {
    // The demo zone's ZSK was made just now; a 1 s lifetime has ended by the first check.
    t = await startTestServer({ zskLifetimeSeconds: 1 });
    const started = Date.now();
    assert.equal(t.server.rollovers.status(ZONE).zsk.stepTaken, 0);
    while (t.server.rollovers.status(ZONE).zsk.stepTaken === 0 && Date.now() - started < 12_000) await new Promise((r) => setTimeout(r, 200));
    const st = t.server.rollovers.status(ZONE).zsk;
    assert.equal(st.stepTaken, 1, `no rollover ${Math.round((Date.now() - started) / 1000)} s after start: ${st.description}`);
    assert.equal(st.next.step, 'activate');
  });
});
