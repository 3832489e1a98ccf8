/**
 * Builds test queries with dns-packet, an encoder independent of server/wire, so decode tests do
 * not check our decoder against our own encoder.
 */
import * as dnsPacket from 'dns-packet';

export interface TestEdns {
  udpSize?: number;
  version?: number;
  do?: boolean;
  options?: { code: number; data: Buffer }[];
}

export interface TestQuery {
  id?: number;
  name: string;
  type?: string;
  opcode?: number;
  rd?: boolean;
  cd?: boolean;
  edns?: TestEdns;
  authorities?: dnsPacket.Answer[];
}

export function buildQuery(q: TestQuery): Buffer {
  let flags = ((q.opcode ?? 0) & 0xf) << 11;
  if (q.rd === true) flags |= dnsPacket.RECURSION_DESIRED;
  if (q.cd === true) flags |= dnsPacket.CHECKING_DISABLED;
  const additionals: dnsPacket.Answer[] = [];
  if (q.edns !== undefined) additionals.push(optRecord(q.edns));
  return dnsPacket.encode({
    type: 'query',
    id: q.id ?? 0x1234,
    flags,
    questions: [{ name: q.name, type: (q.type ?? 'TLSA') as dnsPacket.RecordType, class: 'IN' }],
    authorities: q.authorities ?? [],
    additionals,
  });
}

export function optRecord(e: TestEdns): dnsPacket.Answer {
  return {
    type: 'OPT',
    name: '.',
    udpPayloadSize: e.udpSize ?? 1232,
    extendedRcode: 0,
    ednsVersion: e.version ?? 0,
    flags: e.do === true ? dnsPacket.DNSSEC_OK : 0,
    flag_do: e.do === true,
    options: (e.options ?? []) as unknown as dnsPacket.PacketOpt[],
  };
}

/** Header fields dns-packet decodes but does not type. */
export function headerOf(msg: Buffer): { id: number; qr: boolean; opcode: number; aa: boolean; tc: boolean; rd: boolean; cd: boolean; rcode: number; counts: number[] } {
  const f = msg.readUInt16BE(2);
  return {
    id: msg.readUInt16BE(0),
    qr: (f & 0x8000) !== 0,
    opcode: (f >> 11) & 0xf,
    aa: (f & 0x0400) !== 0,
    tc: (f & 0x0200) !== 0,
    rd: (f & 0x0100) !== 0,
    cd: (f & 0x0010) !== 0,
    rcode: f & 0xf,
    counts: [msg.readUInt16BE(4), msg.readUInt16BE(6), msg.readUInt16BE(8), msg.readUInt16BE(10)],
  };
}
