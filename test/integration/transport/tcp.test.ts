/**
 * TCP transport over loopback (RFC 7766): pipelining, coalesced in-order answers, backpressure,
 * idle timeout reset only by complete messages (§6.2.3), oversize length prefixes, zero-length
 * messages, connection limits, and handler faults that never close the listener.
 */
import assert from 'node:assert/strict';
import { createTcpTransport } from '../../../server/transport/tcp.js';
import type { TcpTransport, TcpTransportOptions } from '../../../server/transport/tcp.js';
import type { QueryHandler } from '../../../server/transport/types.js';
import { buildQuery, headerOf } from '../../unit/wire/query-builder.js';
import { frame, refuseAll, sleep, TcpClient } from './dns-client.js';

async function start(opts: Partial<TcpTransportOptions>, handler: QueryHandler = refuseAll): Promise<TcpTransport> {
  const t = createTcpTransport({ host: '127.0.0.1', port: 0, handler, ...opts });
  await t.listen();
  return t;
}

describe('transport/tcp', function () {
  this.timeout(20_000);
  let tcp: TcpTransport;
  const clients: TcpClient[] = [];
  const connect = async (t: TcpTransport): Promise<TcpClient> => {
    const c = await TcpClient.connect(t.address().port);
    clients.push(c);
    return c;
  };

  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await tcp?.close();
  });

  it('answers 50 pipelined queries sent in one write, matched by ID', async () => {
    tcp = await start({ idleTimeoutMs: 2000 });
    const c = await connect(tcp);
    const ids = Array.from({ length: 50 }, (_, i) => 1000 + i);
    c.send(Buffer.concat(ids.map((id) => frame(buildQuery({ id, name: `q${id}.example.com` })))));
    const answers = await c.waitFor(50);
    assert.deepEqual(answers.map((a) => headerOf(a).id), ids);
    assert.ok(answers.every((a) => headerOf(a).rcode === 5));
    assert.equal(tcp.stats().messages, 50);
  });

  it('reassembles messages split at arbitrary points across packets', async () => {
    tcp = await start({ idleTimeoutMs: 3000 });
    const c = await connect(tcp);
    c.socket.setNoDelay(true);
    const ids = Array.from({ length: 30 }, (_, i) => 500 + i);
    const stream = Buffer.concat(ids.map((id) => frame(buildQuery({ id, name: `split${id}.example.com` }))));
    // Deterministic piece sizes 1..9, with a pause so most pieces arrive as separate reads.
    for (let off = 0, k = 0; off < stream.length; k++) {
      const size = 1 + ((k * 7) % 9);
      c.send(stream.subarray(off, off + size));
      off += size;
      if (k % 4 === 0) await sleep(1);
    }
    const answers = await c.waitFor(ids.length);
    assert.deepEqual(answers.map((a) => headerOf(a).id), ids);
  });

  it('stops reading from a client that does not read its answers, and resumes when it does', async () => {
    // 32 KiB answers: 400 of them (13 MB) are more than loopback socket buffers hold.
    const big: QueryHandler = (msg) => {
      const out = Buffer.alloc(32 * 1024);
      msg.copy(out, 0, 0, 2);
      return out;
    };
    tcp = await start({ idleTimeoutMs: 5000, maxWriteBuffer: 64 * 1024 }, big);
    const c = await connect(tcp);
    c.socket.pause();
    const n = 400;
    c.send(Buffer.concat(Array.from({ length: n }, (_, i) => frame(buildQuery({ id: i, name: `n${i}.example.com` })))));
    await sleep(300);
    const processed = tcp.stats().messages;
    assert.ok(processed < n, `processed ${processed} of ${n} while the client was not reading`);
    c.socket.resume();
    const answers = await c.waitFor(n, 10_000);
    assert.deepEqual(answers.map((a) => a.readUInt16BE(0)), Array.from({ length: n }, (_, i) => i));
  });

  it('sends every message of an array answer, in order, and nothing for null', async () => {
    const handler: QueryHandler = (msg, ctx) => {
      const id = msg.readUInt16BE(0);
      if (id === 1) return null;
      const one = refuseAll(msg, ctx) as Buffer;
      return id === 2 ? [one, one, one] : one;
    };
    tcp = await start({ idleTimeoutMs: 2000 }, handler);
    const c = await connect(tcp);
    c.send(Buffer.concat([1, 2, 3].map((id) => frame(buildQuery({ id, name: 'example.com' })))));
    const answers = await c.waitFor(4);
    assert.deepEqual(answers.map((a) => headerOf(a).id), [2, 2, 2, 3]);
    assert.equal(tcp.stats().dropped, 1);
  });

  it('closes a client that sends one byte every 200 ms at the idle timeout', async () => {
    tcp = await start({ idleTimeoutMs: 1000 });
    const c = await connect(tcp);
    const bytes = frame(buildQuery({ name: 'slow.example.com' }));
    const started = Date.now();
    let i = 0;
    const drip = setInterval(() => {
      if (i < bytes.length && !c.socket.destroyed) c.send(bytes.subarray(i, ++i));
    }, 200);
    try {
      await c.waitClosed(3000);
    } finally {
      clearInterval(drip);
    }
    const after = c.closedAt - started;
    assert.ok(after >= 900 && after < 2000, `closed after ${after} ms`);
    assert.equal(c.messages.length, 0);
    assert.equal(tcp.stats().closedByIdleTimeout, 1);
  });

  it('keeps a client that completes a message within each idle period', async () => {
    tcp = await start({ idleTimeoutMs: 1000 });
    const c = await connect(tcp);
    for (let i = 0; i < 6; i++) {
      c.send(frame(buildQuery({ id: i, name: 'steady.example.com' })));
      await sleep(250);
    }
    // 1.5 s in total, longer than the idle timeout, and still open.
    assert.equal(c.socket.destroyed, false);
    assert.equal((await c.waitFor(6)).length, 6);
    await c.waitClosed(2500);
  });

  it('closes at the timeout when a length prefix announces more than follows', async () => {
    tcp = await start({ idleTimeoutMs: 800 });
    const c = await connect(tcp);
    const started = Date.now();
    c.send(Buffer.from([0xff, 0xff, 1, 2, 3, 4, 5]));
    await c.waitClosed(3000);
    assert.ok(c.closedAt - started >= 700, `closed after ${c.closedAt - started} ms`);
    assert.equal(c.messages.length, 0);
  });

  it('closes on a zero-length message', async () => {
    tcp = await start({ idleTimeoutMs: 5000 });
    const c = await connect(tcp);
    c.send(Buffer.from([0, 0]));
    await c.waitClosed(1000);
    assert.equal(tcp.stats().closedByZeroLength, 1);
  });

  it('answers what came before a zero-length message in the same segment, then closes', async () => {
    tcp = await start({ idleTimeoutMs: 5000 });
    const c = await connect(tcp);
    const q = buildQuery({ id: 4242, name: 'example.com' });
    const framed = Buffer.alloc(2 + q.length);
    framed.writeUInt16BE(q.length, 0);
    q.copy(framed, 2);
    c.send(Buffer.concat([framed, Buffer.from([0, 0])]));
    await c.waitClosed(1000);
    assert.equal(c.messages.length, 1, 'the query before the empty frame is answered');
    assert.equal(headerOf(c.messages[0]!).id, 4242);
    assert.equal(tcp.stats().closedByZeroLength, 1);
  });

  it('closes connections beyond maxConnections and maxConnectionsPerClient at once', async () => {
    tcp = await start({ idleTimeoutMs: 5000, maxConnections: 100, maxConnectionsPerClient: 3 });
    const kept = [await connect(tcp), await connect(tcp), await connect(tcp)];
    const extra = await connect(tcp);
    await extra.waitClosed(1000);
    assert.equal(tcp.stats().connectionsRejected, 1);
    assert.equal(tcp.stats().connectionsRejectedPerClient, 1);
    kept[0]!.send(frame(buildQuery({ id: 5, name: 'example.com' })));
    assert.equal(headerOf((await kept[0]!.waitFor(1))[0]!).id, 5);
  });

  it('closes a connection whose partial message would pass the shared input budget, and only that one', async () => {
    tcp = await start({ idleTimeoutMs: 5000, inputBudgetBytes: 100_000 });
    // Each announces a 65,535-octet message and sends 50,000 octets of it: about 46 KB each beyond
    // the per-connection allowance, so the third passes the budget.
    const hogs = [await connect(tcp), await connect(tcp), await connect(tcp)];
    const part = Buffer.alloc(50_000, 7);
    part.writeUInt16BE(65535, 0);
    for (const h of hogs) {
      h.send(part);
      await sleep(50);
    }
    await hogs[2]!.waitClosed(2000);
    assert.equal(tcp.stats().closedByInputBudget, 1);
    assert.ok(!hogs[0]!.socket.destroyed && !hogs[1]!.socket.destroyed, 'the first two still open');
    // A query of ordinary size is answered all the same, even split across packets.
    const c = await connect(tcp);
    const q = frame(buildQuery({ id: 77, name: 'small.example.com' }));
    c.send(q.subarray(0, 5));
    await sleep(20);
    c.send(q.subarray(5));
    assert.equal(headerOf((await c.waitFor(1))[0]!).id, 77);
    for (const h of hogs) h.destroy();
    await sleep(100);
    assert.equal(tcp.stats().inputHeldBytes, 0, 'closing gives the budget back');
  });

  it('never charges a pipelining client for the small partial query a large read ends with', async () => {
    // The budget is all but gone; a resolver's 120 pipelined queries in one write (over 4 KiB)
    // end with half of one: that half moves to a buffer of its own and costs nothing.
    tcp = await start({ idleTimeoutMs: 5000, inputBudgetBytes: 1 });
    const c = await connect(tcp);
    const frames = Array.from({ length: 120 }, (_, i) => frame(buildQuery({ id: 3000 + i, name: `pipelined${i}.example.com` })));
    const all = Buffer.concat(frames);
    const cut = all.length - 10;
    assert.ok(cut > 4096);
    c.send(all.subarray(0, cut));
    await sleep(100);
    assert.equal(tcp.stats().inputHeldBytes, 0);
    c.send(all.subarray(cut));
    const answers = await c.waitFor(120);
    assert.deepEqual(answers.map((a) => headerOf(a).id), Array.from({ length: 120 }, (_, i) => 3000 + i));
    assert.equal(tcp.stats().closedByInputBudget, 0);
  });

  it('gives the budget back once a connection blocked on output drains', async () => {
    const big: QueryHandler = (msg) => {
      const out = Buffer.alloc(32 * 1024);
      msg.copy(out, 0, 0, 2);
      return out;
    };
    tcp = await start({ idleTimeoutMs: 8000, maxWriteBuffer: 64 * 1024 }, big);
    const c = await connect(tcp);
    c.socket.pause();
    c.send(Buffer.concat(Array.from({ length: 400 }, (_, i) => frame(buildQuery({ id: i, name: `d${i}.example.com` })))));
    await sleep(300);
    assert.ok(tcp.stats().inputHeldBytes! > 0, 'unprocessed queries are held while output is blocked');
    c.socket.resume();
    await c.waitFor(400, 10_000);
    await sleep(100);
    assert.equal(tcp.stats().inputHeldBytes, 0);
  });

  it('survives handler exceptions and responses that cannot be framed', async () => {
    const errors: string[] = [];
    const handler: QueryHandler = (msg, ctx) => {
      const id = msg.readUInt16BE(0);
      if (id === 1) throw new Error('bug');
      if (id === 2) return Buffer.alloc(70_000);
      return refuseAll(msg, ctx);
    };
    tcp = await start({ idleTimeoutMs: 2000, onError: (_e, where) => errors.push(where) }, handler);
    const c = await connect(tcp);
    c.send(Buffer.concat([1, 2, 3].map((id) => frame(buildQuery({ id, name: 'example.com' })))));
    const answers = await c.waitFor(1);
    assert.equal(headerOf(answers[0]!).id, 3);
    assert.deepEqual(errors, ['tcp handler', 'tcp framing']);
    const s = tcp.stats();
    assert.equal(s.handlerErrors, 1);
    assert.equal(s.oversizeResponses, 1);
  });

  it('tells the handler the idle timeout in force', async () => {
    let seen: number | undefined;
    tcp = await start({ idleTimeoutMs: 4321 }, (msg, ctx) => {
      seen = ctx.idleTimeoutMs;
      return refuseAll(msg, ctx);
    });
    const c = await connect(tcp);
    c.send(frame(buildQuery({ name: 'example.com' })));
    await c.waitFor(1);
    assert.equal(seen, 4321);
  });

  it('close() destroys open connections', async () => {
    tcp = await start({ idleTimeoutMs: 60_000 });
    const c = await connect(tcp);
    await sleep(50);
    await tcp.close();
    await c.waitClosed(1000);
    assert.equal(tcp.stats().connectionsOpen, 0);
  });
});
