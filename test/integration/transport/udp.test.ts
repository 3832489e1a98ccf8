/**
 * UDP transport over loopback: answers, several datagrams for an array, silence for null, and a
 * handler exception that is counted while the socket keeps serving.
 */
import assert from 'node:assert/strict';
import { createUdpTransport } from '../../../server/transport/udp.js';
import type { UdpTransport } from '../../../server/transport/udp.js';
import type { QueryHandler } from '../../../server/transport/types.js';
import { buildQuery, headerOf } from '../../unit/wire/query-builder.js';
import { refuseAll, udpExchange } from './dns-client.js';

describe('transport/udp', () => {
  let udp: UdpTransport;
  const errors: string[] = [];

  before(async () => {
    const handler: QueryHandler = (msg, ctx) => {
      const id = msg.readUInt16BE(0);
      if (id === 0xdead) throw new Error('handler bug');
      if (id === 0x0000) return null;
      assert.equal(ctx.transport, 'udp');
      assert.equal(ctx.remoteAddress, '127.0.0.1');
      return refuseAll(msg, ctx);
    };
    udp = createUdpTransport({ host: '127.0.0.1', port: 0, handler, onError: (_e, where) => errors.push(where) });
    await udp.listen();
  });

  after(() => udp.close());

  it('answers a query with the same ID', async () => {
    const answer = await udpExchange(udp.address().port, buildQuery({ id: 321, name: 'example.com', rd: true }));
    const h = headerOf(answer);
    assert.deepEqual([h.id, h.qr, h.rd, h.rcode], [321, true, true, 5]);
  });

  it('survives a handler exception and keeps answering', async () => {
    await assert.rejects(udpExchange(udp.address().port, buildQuery({ id: 0xdead, name: 'example.com' }), 300));
    const answer = await udpExchange(udp.address().port, buildQuery({ id: 7, name: 'example.com' }));
    assert.equal(headerOf(answer).id, 7);
    assert.equal(udp.stats().handlerErrors, 1);
    assert.deepEqual(errors, ['udp handler']);
  });

  it('sends nothing when the handler returns null, and counts it', async () => {
    const before = udp.stats().dropped;
    await assert.rejects(udpExchange(udp.address().port, buildQuery({ id: 0, name: 'example.com' }), 300));
    assert.equal(udp.stats().dropped, before + 1);
  });

  it('reports its counters', () => {
    const s = udp.stats();
    assert.ok(s.messages >= 4 && s.responses >= 2, JSON.stringify(s));
  });
});
