/**
 * The HTTP side of the API benchmark: requests to idzone's `/api/v1` over node:http with a
 * keep-alive agent (one socket per simulated client), a bearer token, JSON bodies, and a streamed
 * NDJSON upload for `POST /api/v1/zones/{zone}/import`. Every request has a timeout; responses are
 * read whole (they are small, except an import report, which is bounded by the server).
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export interface ApiResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when the last byte of the response arrived. */
  endedAt: number;
}

export class ApiClient implements WriteClient {
  readonly agent: Agent;

  constructor(readonly baseUrl: string, private readonly token: string, sockets: number) {
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  }

  /** One request with an optional JSON body; rejects on a network error or after `timeoutMs`. */
  send(method: string, path: string, json?: unknown, timeoutMs = 30_000): Promise<ApiResponse> {
    const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(body.length);
    }
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.baseUrl), { method, headers, agent: this.agent, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), endedAt: performance.now() }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no response within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /**
   * Streams NDJSON `chunks` (rendered beforehand with renderNdjson, so the client's own work does
   * not compete with the server on a shared machine) as one import request, honouring
   * back-pressure, and resolves with the server's report. Bounded by `timeoutMs` of inactivity.
   */
  async importNdjson(zone: string, chunks: readonly Buffer[], timeoutMs = 600_000): Promise<ApiResponse> {
    const headers = { authorization: `Bearer ${this.token}`, 'content-type': 'application/x-ndjson' };
    const req = request(new URL(`/api/v1/zones/${encodeURIComponent(zone)}/import`, this.baseUrl), { method: 'POST', headers, agent: this.agent, timeout: timeoutMs });
    const response = new Promise<ApiResponse>((resolve, reject) => {
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8'), endedAt: performance.now() }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`import: no progress within ${timeoutMs} ms`)));
      req.on('error', reject);
    });
    for (const chunk of chunks) {
      if (!req.write(chunk)) await Promise.race([once(req, 'drain'), response]);
    }
    req.end();
    return response;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** What the write phases need from a client: one request at a time per client, and close(). */
export interface WriteClient {
  send(method: string, path: string, json?: unknown, timeoutMs?: number): Promise<ApiResponse>;
  close(): void;
}

/** Largest response head or body the lean client accepts (the API's answers are far smaller). */
const RAW_MAX_RESPONSE = 1 << 20;

/**
 * A lean HTTP/1.1 client for sequential requests on one keep-alive connection: the request is
 * one string written at once, the response is parsed just enough (status line, Content-Length,
 * Connection). node:http's client costs ~0.6 ms of CPU per request on this VM, which the
 * sequential write figure would otherwise include; this one measures the server more nearly (like
 * wrk or h2load would). Requests must not overlap. Chunked responses are refused (idzone sends
 * Content-Length, and none on 204).
 */
export class RawHttpClient implements WriteClient {
  private socket: Socket | undefined;
  private pending: Buffer = Buffer.alloc(0);
  private waiter: { resolve: (r: ApiResponse) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;

  constructor(private readonly host: string, private readonly port: number, private readonly token: string) {}

  async send(method: string, path: string, json?: unknown, timeoutMs = 30_000): Promise<ApiResponse> {
    if (this.waiter !== undefined) throw new Error('RawHttpClient: one request at a time');
    const socket = this.socket ?? (await this.open());
    const body = json === undefined ? '' : JSON.stringify(json);
    const type = json === undefined ? '' : 'Content-Type: application/json\r\n';
    const head = `${method} ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nAuthorization: Bearer ${this.token}\r\n${type}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    return new Promise<ApiResponse>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`${method} ${path}: no response within ${timeoutMs} ms`)), timeoutMs);
      this.waiter = { resolve, reject, timer };
      socket.write(head + body);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.port, this.host, () => {
        socket.off('error', reject);
        socket.on('error', (e) => this.fail(e));
        socket.on('close', () => this.fail(new Error('connection closed by the server')));
        socket.on('data', (chunk: Buffer) => this.onData(chunk));
        this.socket = socket;
        resolve(socket);
      });
      socket.setNoDelay(true);
      socket.once('error', reject);
    });
  }

  private onData(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const end = this.pending.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.pending.length > RAW_MAX_RESPONSE) this.fail(new Error('response head too large'));
      return;
    }
    const lines = this.pending.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(lines[0] ?? '')?.[1] ?? NaN);
    const headers: IncomingHttpHeaders = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    if (!Number.isInteger(status)) return this.fail(new Error(`bad status line: ${lines[0]}`));
    if (headers['transfer-encoding'] !== undefined) return this.fail(new Error('chunked responses are not supported'));
    const length = Number(headers['content-length'] ?? 0);
    if (!Number.isInteger(length) || length < 0 || length > RAW_MAX_RESPONSE) return this.fail(new Error(`bad Content-Length ${String(headers['content-length'])}`));
    if (this.pending.length < end + 4 + length) return;
    const body = this.pending.subarray(end + 4, end + 4 + length).toString('utf8');
    this.pending = this.pending.subarray(end + 4 + length);
    const w = this.waiter;
    this.waiter = undefined;
    if (w === undefined) return this.fail(new Error('a response nobody asked for'));
    clearTimeout(w.timer);
    if (String(headers['connection']).toLowerCase() === 'close') this.close();
    w.resolve({ status, headers, body, endedAt: performance.now() });
  }

  private fail(e: Error): void {
    const w = this.waiter;
    this.waiter = undefined;
    this.pending = Buffer.alloc(0);
    this.close();
    if (w !== undefined) {
      clearTimeout(w.timer);
      w.reject(e);
    }
  }
}

/** `count` NDJSON lines from `line(k)` (k = 0 … count-1), as chunks of 2,048 lines. */
export function renderNdjson(count: number, line: (k: number) => string): Buffer[] {
  const chunks: Buffer[] = [];
  const lines: string[] = [];
  for (let k = 0; k < count; k++) {
    lines.push(line(k));
    if (lines.length === 2048 || k === count - 1) {
      chunks.push(Buffer.from(lines.join('')));
      lines.length = 0;
    }
  }
  return chunks;
}

/** Waits until GET /healthz answers 200, polling every 20 ms for at most `timeoutMs`. */
export async function waitForApi(baseUrl: string, timeoutMs = 60_000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  const probe = new ApiClient(baseUrl, 'none', 1);
  try {
    while (performance.now() < deadline) {
      const ok = await probe.send('GET', '/healthz', undefined, 1000).then((r) => r.status === 200, () => false);
      if (ok) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  } finally {
    probe.close();
  }
}
