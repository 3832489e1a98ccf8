/**
 * Micro benchmark of the first stage of every query: decoding the message. Compares idzone's
 * staged decodeQuery with dns-packet's decode and dns2's Packet.parse on the same bytes (a TLSA
 * query with EDNS/DO), so the README's reason for not using dns2 on the query path stays
 * reproducible: `npm run build && node dist/bench/decode.js`.
 */
import dns2 from 'dns2';
import * as dnsPacket from 'dns-packet';
import { decodeQuery } from '../server/wire/decode-query.js';

const query = dnsPacket.encode({
  type: 'query',
  id: 7,
  flags: dnsPacket.RECURSION_DESIRED,
  questions: [{ type: 'TLSA', name: 'sensor1._device.example.net' }],
  additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: dnsPacket.DNSSEC_OK, flag_do: true, options: [] }],
});

/** Mean nanoseconds per call after a warm-up; bounded in count. */
function measure(label: string, f: () => unknown, n = 200_000): number {
  for (let i = 0; i < 20_000; i++) f();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  const ns = Number(process.hrtime.bigint() - t) / n;
  process.stdout.write(`${label.padEnd(28)} ${(ns / 1000).toFixed(2).padStart(7)} µs per query  ${Math.round(1e9 / ns).toLocaleString('en-US').padStart(11)} per second\n`);
  return ns;
}

const parse = (dns2 as unknown as { Packet: { parse(b: Buffer): unknown } }).Packet.parse;
const d2 = measure('dns2 Packet.parse', () => parse(query), 50_000);
measure('dns-packet decode', () => dnsPacket.decode(query));
const ours = measure('idzone decodeQuery', () => decodeQuery(query));
process.stdout.write(`dns2 / idzone: ${(d2 / ours).toFixed(1)}x\n`);
