/**
 * Byte-level DNS for conformance tests, written apart from server/wire on purpose: a query builder
 * that can also build malformed messages (any QDCOUNT, opcode, EDNS version, mixed-case names),
 * UDP and TCP exchanges with deadlines (TCP with several queries in one write, RFC 7766 §6.2.1.1),
 * and a message reader that returns every record with its raw RDATA (RFC 1035 §4.1, names
 * decompressed per §4.1.4) so RRSIG and NSEC3 bytes can be checked by hand. Header fields and OPT
 * are also cross-checked with dns-packet, an independent decoder, by the tests themselves.
 */
import dgram from 'node:dgram';
import net from 'node:net';

export interface QueryOptions {
  id?: number;
  /** Presentation name; its case is kept as written (0x20 tests). */
  qname: string;
  qtype: number;
  qclass?: number;
  opcode?: number;
  rd?: boolean;
  cd?: boolean;
  /** QDCOUNT as written in the header; the question is repeated this many times (0 → none). */
  qdcount?: number;
  /** EDNS(0) OPT to add; null or absent: no OPT. */
  edns?: { udpSize?: number; version?: number; do?: boolean; co?: boolean } | null;
}

/** A presentation name (no escapes) as uncompressed wire labels, case kept. */
export function nameWire(name: string): Buffer {
  const labels = name.split('.').filter((l) => l.length > 0);
  return Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), Buffer.from(l, 'latin1')]), Buffer.from([0])]);
}

export function questionWire(qname: string, qtype: number, qclass = 1): Buffer {
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(qtype, 0);
  tail.writeUInt16BE(qclass, 2);
  return Buffer.concat([nameWire(qname), tail]);
}

/** OPT pseudo-RR (RFC 6891 §6.1.2): root owner, CLASS = UDP size, TTL = ext-rcode|version|DO. */
export function optWire(udpSize = 1232, version = 0, dnssecOk = false, compactOk = false): Buffer {
  const b = Buffer.alloc(11);
  b[0] = 0;
  b.writeUInt16BE(41, 1);
  b.writeUInt16BE(udpSize, 3);
  b.writeUInt32BE(((version & 0xff) << 16) | (dnssecOk ? 0x8000 : 0) | (compactOk ? 0x4000 : 0), 5);
  b.writeUInt16BE(0, 9);
  return b;
}

export function buildQuery(o: QueryOptions): Buffer {
  const qd = o.qdcount ?? 1;
  const h = Buffer.alloc(12);
  h.writeUInt16BE(o.id ?? 0x1234, 0);
  h.writeUInt16BE(((o.opcode ?? 0) << 11) | (o.rd === true ? 0x0100 : 0) | (o.cd === true ? 0x0010 : 0), 2);
  h.writeUInt16BE(qd, 4);
  h.writeUInt16BE(o.edns != null ? 1 : 0, 10);
  const parts: Buffer[] = [h];
  for (let i = 0; i < qd; i++) parts.push(questionWire(o.qname, o.qtype, o.qclass ?? 1));
  if (o.edns != null) parts.push(optWire(o.edns.udpSize ?? 1232, o.edns.version ?? 0, o.edns.do ?? false, o.edns.co ?? false));
  return Buffer.concat(parts);
}

/** One datagram out, the first datagram back (or a rejection after `ms`). */
export function udpExchange(port: number, msg: Buffer, ms = 3000): Promise<Buffer> {
  const socket = dgram.createSocket('udp4');
  return new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`UDP: no answer within ${ms} ms`)), ms);
    socket.once('message', (m) => {
      clearTimeout(timer);
      resolve(m);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.send(msg, port, '127.0.0.1');
  }).finally(() => socket.close());
}

/** True when no datagram comes back within `ms` (the server dropped the message). */
export async function udpNoAnswer(port: number, msg: Buffer, ms = 500): Promise<boolean> {
  try {
    await udpExchange(port, msg, ms);
    return false;
  } catch {
    return true;
  }
}

/**
 * Opens one TCP connection, writes every message framed (RFC 1035 §4.2.2) in a single write, and
 * resolves with the first `expect` responses (default: one per message), in arrival order.
 */
export function tcpExchange(port: number, msgs: Buffer[], ms = 3000, expect = msgs.length): Promise<Buffer[]> {
  return new Promise<Buffer[]>((resolve, reject) => {
    const out: Buffer[] = [];
    let pending = Buffer.alloc(0);
    const sock = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`TCP: ${out.length}/${expect} answers within ${ms} ms`));
    }, ms);
    const done = (err?: Error): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err !== undefined) reject(err);
      else resolve(out);
    };
    sock.on('connect', () => {
      sock.write(Buffer.concat(msgs.map(frame)));
    });
    sock.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const len = pending.readUInt16BE(0);
        out.push(Buffer.from(pending.subarray(2, 2 + len)));
        pending = pending.subarray(2 + len);
      }
      if (out.length >= expect) done();
    });
    sock.on('error', (e) => done(e));
    sock.on('close', () => (out.length >= expect ? done() : done(new Error(`TCP closed after ${out.length}/${expect} answers`))));
  });
}

export function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

export interface RawRecord {
  section: 'answer' | 'authority' | 'additional';
  /** Decompressed owner, lowercase, absolute with trailing dot. */
  name: string;
  type: number;
  klass: number;
  ttl: number;
  rdata: Buffer;
}

export interface RawMessage {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  cd: boolean;
  rcode: number;
  qdcount: number;
  /** Raw question bytes (name as sent, type, class) when QDCOUNT = 1. */
  question: Buffer | undefined;
  records: RawRecord[];
  /** The OPT record, if any: payload size, extended rcode bits, version, DO. */
  opt: { udpSize: number; extRcode: number; version: number; do: boolean; co: boolean; rdata: Buffer } | undefined;
}

/** Reads a whole message; throws on anything malformed (the server must never send that). */
export function readMessage(msg: Buffer): RawMessage {
  if (msg.length < 12) throw new Error('message shorter than a header');
  const flags = msg.readUInt16BE(2);
  const counts = [msg.readUInt16BE(4), msg.readUInt16BE(6), msg.readUInt16BE(8), msg.readUInt16BE(10)] as const;
  let pos = 12;
  let question: Buffer | undefined;
  for (let i = 0; i < counts[0]; i++) {
    const [, end] = readName(msg, pos);
    if (end + 4 > msg.length) throw new Error('question past the end');
    if (counts[0] === 1) question = Buffer.from(msg.subarray(pos, end + 4));
    pos = end + 4;
  }
  const records: RawRecord[] = [];
  const sections = ['answer', 'authority', 'additional'] as const;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const [name, end] = readName(msg, pos);
      if (end + 10 > msg.length) throw new Error('record header past the end');
      const rdlen = msg.readUInt16BE(end + 8);
      if (end + 10 + rdlen > msg.length) throw new Error('RDATA past the end');
      records.push({
        section: sections[s]!,
        name,
        type: msg.readUInt16BE(end),
        klass: msg.readUInt16BE(end + 2),
        ttl: msg.readUInt32BE(end + 4),
        rdata: Buffer.from(msg.subarray(end + 10, end + 10 + rdlen)),
      });
      pos = end + 10 + rdlen;
    }
  }
  if (pos !== msg.length) throw new Error(`${msg.length - pos} trailing octets after the last record`);
  const optRec = records.find((r) => r.type === 41);
  const opt =
    optRec === undefined
      ? undefined
      : { udpSize: optRec.klass, extRcode: optRec.ttl >>> 24, version: (optRec.ttl >>> 16) & 0xff, do: (optRec.ttl & 0x8000) !== 0, co: (optRec.ttl & 0x4000) !== 0, rdata: optRec.rdata };
  return {
    id: msg.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode: flags & 0x0f,
    qdcount: counts[0],
    question,
    records: records.filter((r) => r.type !== 41),
    opt,
  };
}

/** A possibly compressed name at `pos` → [lowercase presentation name, offset after it]. */
export function readName(msg: Buffer, pos: number): [string, number] {
  const labels: string[] = [];
  let p = pos;
  let end = -1;
  for (let hops = 0; hops < 128; hops++) {
    const len = msg[p];
    if (len === undefined) throw new Error('name past the end');
    if ((len & 0xc0) === 0xc0) {
      if (p + 1 >= msg.length) throw new Error('pointer past the end');
      if (end < 0) end = p + 2;
      const target = ((len & 0x3f) << 8) | msg[p + 1]!;
      if (target >= p) throw new Error('forward compression pointer');
      p = target;
      continue;
    }
    if (len > 63) throw new Error('bad label type');
    if (len === 0) {
      if (end < 0) end = p + 1;
      return [labels.length === 0 ? '.' : labels.join('.').toLowerCase() + '.', end];
    }
    if (p + 1 + len > msg.length) throw new Error('label past the end');
    labels.push(presentLabel(msg.subarray(p + 1, p + 1 + len)));
    p += 1 + len;
  }
  throw new Error('too many compression hops');
}

function presentLabel(b: Buffer): string {
  let s = '';
  for (const c of b) {
    if (c === 0x2e || c === 0x5c) s += '\\' + String.fromCharCode(c);
    else if (c > 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += '\\' + String(c).padStart(3, '0');
  }
  return s;
}

/** Records of one type in one section (all sections when omitted). */
export function recordsOf(m: RawMessage, type: number, section?: RawRecord['section']): RawRecord[] {
  return m.records.filter((r) => r.type === type && (section === undefined || r.section === section));
}

/** RRSIG RDATA fields (RFC 4034 §3.1); signer name uncompressed (RFC 4034 §3.1.7). */
export function rrsigFields(rdata: Buffer): { typeCovered: number; algorithm: number; labels: number; originalTtl: number; expiration: number; inception: number; keyTag: number; signer: string } {
  const [signer] = readName(rdata, 18);
  return {
    typeCovered: rdata.readUInt16BE(0),
    algorithm: rdata[2]!,
    labels: rdata[3]!,
    originalTtl: rdata.readUInt32BE(4),
    expiration: rdata.readUInt32BE(8),
    inception: rdata.readUInt32BE(12),
    keyTag: rdata.readUInt16BE(16),
    signer,
  };
}

/** Canonical name label count (RFC 4034 §3.1.3): root 0, leading `*` not counted. */
export function labelCount(name: string): number {
  const labels = name.split('.').filter((l) => l.length > 0);
  return labels[0] === '*' ? labels.length - 1 : labels.length;
}

/** A random lowercase label of `n` letters and digits. */
export function randomLabel(n = 12): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}

/** One exchange over UDP decoded, with a DO=1 EDNS(0) query by default. */
export async function ask(port: number, qname: string, qtype: number, o: Partial<QueryOptions> = {}): Promise<RawMessage> {
  const id = o.id ?? Math.floor(Math.random() * 65536);
  const q = buildQuery({ edns: { udpSize: 1232, do: true }, ...o, id, qname, qtype });
  const m = readMessage(await udpExchange(port, q));
  if (m.id !== id) throw new Error(`answer ID ${m.id} for query ID ${id}`);
  return m;
}

/** Same over TCP (for answers larger than a datagram). */
export async function askTcp(port: number, qname: string, qtype: number, o: Partial<QueryOptions> = {}): Promise<RawMessage> {
  const id = o.id ?? Math.floor(Math.random() * 65536);
  const q = buildQuery({ edns: { udpSize: 1232, do: true }, ...o, id, qname, qtype });
  const [r] = await tcpExchange(port, [q]);
  return readMessage(r!);
}
