/**
 * Many idle TCP connections (RFC 7766 §6.2.3, §10): 2,000 idle clients do not stop a UDP and a TCP
 * client from being answered promptly; idle clients are closed at the idle timeout, at the short
 * timeout once the server is loaded (above 3/4 of maxConnections), and at once beyond the maximum.
 * Memory (RSS) is reported, not asserted, since it depends on the allocator and the kernel.
 */
import assert from 'node:assert/strict';
import { createTcpTransport } from '../../../server/transport/tcp.js';
import type { TcpTransport } from '../../../server/transport/tcp.js';
import { createUdpTransport } from '../../../server/transport/udp.js';
import type { UdpTransport } from '../../../server/transport/udp.js';
import { buildQuery, headerOf } from '../../unit/wire/query-builder.js';
import { frame, refuseAll, sleep, TcpClient, udpExchange } from './dns-client.js';

async function openMany(port: number, n: number, batch = 250): Promise<TcpClient[]> {
  const out: TcpClient[] = [];
  for (let i = 0; i < n; i += batch) {
    const size = Math.min(batch, n - i);
    out.push(...(await Promise.all(Array.from({ length: size }, () => TcpClient.connect(port, 10_000)))));
  }
  return out;
}

/** Polls `cond` every 10 ms; fails after `ms`. */
async function until(cond: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(10)) {
    if (Date.now() > end) assert.fail(`condition not met within ${ms} ms`);
  }
}

/** Long enough that 2,000 connections open on a busy CI machine before the first one expires. */
const IDLE_MS = 4000;
/** "Promptly": generous for a loaded machine, far below the idle timeout. */
const ANSWER_DEADLINE_MS = 1000;

const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;

describe('transport/tcp under connection load', function () {
  this.timeout(30_000);
  let tcp: TcpTransport | undefined;
  let udp: UdpTransport | undefined;
  let clients: TcpClient[] = [];

  afterEach(async () => {
    for (const c of clients) c.destroy();
    clients = [];
    await tcp?.close();
    await udp?.close();
    tcp = undefined;
    udp = undefined;
  });

  it('answers UDP and TCP promptly while 2,000 idle connections are open, then closes them at the idle timeout', async () => {
    tcp = createTcpTransport({ host: '127.0.0.1', port: 0, handler: refuseAll, idleTimeoutMs: IDLE_MS, maxConnections: 4096 });
    udp = createUdpTransport({ host: '127.0.0.1', port: 0, handler: refuseAll });
    await Promise.all([tcp.listen(), udp.listen()]);
    const rssBefore = process.memoryUsage().rss;
    const opened = Date.now();
    clients = await openMany(tcp.address().port, 2000);
    await until(() => tcp!.stats().connectionsOpen === 2000, 3000);
    const rssOpen = process.memoryUsage().rss;

    const t0 = Date.now();
    const viaUdp = await udpExchange(udp.address().port, buildQuery({ id: 11, name: 'example.com' }), ANSWER_DEADLINE_MS);
    const fresh = await TcpClient.connect(tcp.address().port, ANSWER_DEADLINE_MS);
    clients.push(fresh);
    fresh.send(frame(buildQuery({ id: 12, name: 'example.com' })));
    const [viaTcp] = await fresh.waitFor(1, ANSWER_DEADLINE_MS);
    const latency = Date.now() - t0;
    assert.equal(headerOf(viaUdp).id, 11);
    assert.equal(headerOf(viaTcp!).id, 12);

    await Promise.all(clients.map((c) => c.waitClosed(IDLE_MS + 5000)));
    const lifetime = Math.min(...clients.map((c) => c.closedAt)) - opened;
    assert.ok(lifetime >= IDLE_MS - 100, `first idle close after ${lifetime} ms`);
    await until(() => tcp!.stats().connectionsOpen === 0, 2000);
    assert.ok(tcp.stats().closedByIdleTimeout >= 2001, JSON.stringify(tcp.stats()));
    const rssAfter = process.memoryUsage().rss;
    console.log(`      UDP+TCP answered in ${latency} ms with 2,000 idle connections; RSS ${mib(rssBefore)} → ${mib(rssOpen)} (open) → ${mib(rssAfter)} (closed; client and server in one process)`);
  });

  it('shortens the idle timeout of every idle connection once above 3/4 of maxConnections, but keeps active ones', async () => {
    tcp = createTcpTransport({ host: '127.0.0.1', port: 0, handler: refuseAll, idleTimeoutMs: 10_000, loadedIdleTimeoutMs: 300, maxConnections: 200 });
    await tcp.listen();
    const port = tcp.address().port;
    clients = await openMany(port, 140);
    const active = await TcpClient.connect(port);
    clients.push(active);
    await until(() => tcp!.stats().connectionsOpen === 141, 3000);
    const loadedAt = Date.now();
    clients.push(...(await openMany(port, 20)));
    const idle = clients.filter((c) => c !== active);
    let sent = 0;
    const ping = setInterval(() => active.send(frame(buildQuery({ id: sent++, name: 'active.example.com' }))), 100);
    try {
      await Promise.all(idle.map((c) => c.waitClosed(3000)));
    } finally {
      clearInterval(ping);
    }
    const slowest = Math.max(...idle.map((c) => c.closedAt)) - loadedAt;
    assert.ok(slowest < 2000, `idle connections closed within ${slowest} ms`);
    assert.equal(active.socket.destroyed, false);
    assert.ok(active.messages.length > 0);
  });

  it('closes connections beyond maxConnections at once', async () => {
    tcp = createTcpTransport({ host: '127.0.0.1', port: 0, handler: refuseAll, idleTimeoutMs: 5000, loadedIdleTimeoutMs: 3000, maxConnections: 50 });
    await tcp.listen();
    clients = await openMany(tcp.address().port, 50);
    await until(() => tcp!.stats().connectionsOpen === 50, 3000);
    const extra = await TcpClient.connect(tcp.address().port);
    clients.push(extra);
    const t0 = Date.now();
    await extra.waitClosed(1000);
    assert.ok(Date.now() - t0 < 500);
    assert.equal(tcp.stats().connectionsRejected, 1);
    assert.equal(tcp.stats().connectionsOpen, 50);
  });
});
