/**
 * A minimal DNS client for benchmarks, over UDP on loopback: builds queries by hand (RFC 1035 §4.1
 * header and question, RFC 6891 §6.1.2 OPT with the DO bit of RFC 3225 §3) and reads the reply
 * header. Independent of the server's own wire code on purpose, so a benchmark cannot be fooled by
 * a shared bug. Every wait is bounded by a timeout.
 */
import { createSocket, type Socket } from 'node:dgram';

export const QType = { A: 1, SSHFP: 44, TLSA: 52 } as const;

export interface ReplyHeader {
  id: number;
  qr: boolean;
  aa: boolean;
  tc: boolean;
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

/** Query bytes: RD clear, one question, and an OPT record (UDP size 1232, DO as asked) when `edns`. */
export function buildQuery(id: number, name: string, qtype: number, opts: { edns?: boolean; dnssecOk?: boolean } = {}): Buffer {
  const edns = opts.edns === true || opts.dnssecOk === true;
  const qname = nameWire(name);
  const out = Buffer.alloc(12 + qname.length + 4 + (edns ? 11 : 0));
  out.writeUInt16BE(id & 0xffff, 0);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(edns ? 1 : 0, 10);
  qname.copy(out, 12);
  let o = 12 + qname.length;
  out.writeUInt16BE(qtype, o);
  out.writeUInt16BE(1, o + 2);
  o += 4;
  if (edns) {
    out[o] = 0;
    out.writeUInt16BE(41, o + 1);
    out.writeUInt16BE(1232, o + 3);
    out.writeUInt32BE(opts.dnssecOk === true ? 0x8000 : 0, o + 5);
    out.writeUInt16BE(0, o + 9);
  }
  return out;
}

/** Wire form of a plain presentation name (benchmark names have no escapes). */
function nameWire(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l.length > 0);
  const parts = labels.map((l) => {
    const b = Buffer.from(l, 'ascii');
    if (b.length > 63) throw new Error(`label too long in ${name}`);
    return Buffer.concat([Buffer.from([b.length]), b]);
  });
  return Buffer.concat([...parts, Buffer.from([0])]);
}

export function parseReplyHeader(b: Buffer): ReplyHeader | undefined {
  if (b.length < 12) return undefined;
  const flags = b.readUInt16BE(2);
  return {
    id: b.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rcode: flags & 0x0f,
    qdcount: b.readUInt16BE(4),
    ancount: b.readUInt16BE(6),
    nscount: b.readUInt16BE(8),
    arcount: b.readUInt16BE(10),
  };
}

/** A positive authoritative answer: QR, AA, NOERROR and at least one answer record. */
export function isPositiveAnswer(reply: Buffer): boolean {
  const h = parseReplyHeader(reply);
  return h !== undefined && h.qr && h.aa && h.rcode === 0 && h.ancount > 0;
}

/** One UDP socket that sends queries and matches replies by ID; at most one query in flight per ID. */
export class UdpDnsClient {
  readonly #socket: Socket;
  readonly #pending = new Map<number, (reply: Buffer) => void>();
  #nextId = 1;

  constructor(private readonly port: number, private readonly host = '127.0.0.1') {
    this.#socket = createSocket('udp4');
    this.#socket.on('message', (msg) => {
      const h = parseReplyHeader(msg);
      const done = h === undefined ? undefined : this.#pending.get(h.id);
      if (h !== undefined && done !== undefined) {
        this.#pending.delete(h.id);
        done(msg);
      }
    });
    // An unconnected socket sees no ICMP errors; other socket errors end pending waits by timeout.
    this.#socket.on('error', () => undefined);
  }

  /** Sends one query; resolves with the reply, or undefined after `timeoutMs`. */
  query(name: string, qtype: number, opts: { dnssecOk?: boolean; timeoutMs?: number } = {}): Promise<Buffer | undefined> {
    const id = this.#takeId();
    const q = buildQuery(id, name, qtype, { edns: true, dnssecOk: opts.dnssecOk === true });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(undefined);
      }, opts.timeoutMs ?? 2000);
      this.#pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.#socket.send(q, this.port, this.host);
    });
  }

  close(): void {
    this.#socket.close();
  }

  #takeId(): number {
    for (let i = 0; i < 65536; i++) {
      const id = this.#nextId;
      this.#nextId = (this.#nextId % 65535) + 1;
      if (!this.#pending.has(id)) return id;
    }
    throw new Error('65535 queries in flight');
  }
}

/**
 * Polls every `intervalMs` until a reply satisfies `accept`; resolves with performance.now() at
 * that reply, or undefined after `timeoutMs`. Queries sent before the server binds are simply lost.
 */
export async function waitForAnswer(port: number, name: string, qtype: number, accept: (reply: Buffer) => boolean, opts: { intervalMs?: number; timeoutMs?: number; dnssecOk?: boolean } = {}): Promise<number | undefined> {
  const client = new UdpDnsClient(port);
  const deadline = performance.now() + (opts.timeoutMs ?? 30_000);
  const interval = opts.intervalMs ?? 5;
  let found: number | undefined;
  try {
    const inFlight: Promise<void>[] = [];
    while (found === undefined && performance.now() < deadline) {
      inFlight.push(
        client.query(name, qtype, { dnssecOk: opts.dnssecOk === true, timeoutMs: 1000 }).then((reply) => {
          if (reply !== undefined && accept(reply) && found === undefined) found = performance.now();
        }),
      );
      if (inFlight.length > 400) inFlight.splice(0, 200);
      await sleep(interval);
    }
    await Promise.all(inFlight.slice(-250));
    return found;
  } finally {
    client.close();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
