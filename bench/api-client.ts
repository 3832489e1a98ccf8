/**
 * The HTTP side of the API benchmark: requests to idzone's `/api/v1` over node:http with a
 * keep-alive agent (one socket per simulated client), a bearer token, JSON bodies, and a streamed
 * NDJSON upload for `POST /api/v1/zones/{zone}/import`. Every request has a timeout; responses are
 * read whole (they are small, except an import report, which is bounded by the server).
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { once } from 'node:events';

export interface ApiResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when the last byte of the response arrived. */
  endedAt: number;
}

export class ApiClient {
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
