/**
 * Test harness for the HTTP API: a MemoryZoneStore, a fresh prom-client registry, a fake key service,
 * a propagation recorder and the API listening on 127.0.0.1:0, with small HTTP helpers.
 */
import { request } from 'node:http';
import { Registry } from 'prom-client';
import { createApiConfig, type ApiConfig } from '../../../api/api-config.js';
import { createApiServer, type ApiServer } from '../../../api/api-server.js';
import { createToken } from '../../../api/tokens.js';
import { MemoryZoneStore } from '../../../zone-store/memory-zone-store.js';
import type { ZoneInfo } from '../../../zone-store/types.js';

export interface Harness {
  store: MemoryZoneStore;
  registry: Registry;
  server: ApiServer;
  base: string;
  port: number;
  admin: string;
  propagated: [string, number][];
  keyed: string[];
  keyless: Set<string>;
  /** What the server's health function reports (GET /healthz). */
  problems: string[];
  close(): Promise<void>;
}

export async function startApi(overrides: Partial<ApiConfig> = {}): Promise<Harness> {
  const store = new MemoryZoneStore();
  const registry = new Registry();
  const cfg = createApiConfig(overrides);
  if (!cfg.ok) throw new Error(cfg.errors.join('; '));
  const propagated: [string, number][] = [];
  const keyed: string[] = [];
  /** Zones whose keys describeKeys does not list (a signed zone a failed create left without keys). */
  const keyless = new Set<string>();
  const problems: string[] = [];
  const keys = {
    createZoneKeys: (z: ZoneInfo): void => {
      keyed.push(z.name);
    },
    describeKeys: (z: ZoneInfo) => (keyless.has(z.name) ? [] : [
      { keyTag: 12345, algorithm: 13, flags: 257, role: 'ksk', dnskey: '257 3 13 AAAA', ds: `${z.name} 3600 IN DS 12345 13 2 ABCD` },
      { keyTag: 23456, algorithm: 13, flags: 256, role: 'zsk', dnskey: '256 3 13 BBBB' },
    ]),
  };
  const server = createApiServer({
    store,
    registry,
    keys,
    config: cfg.config,
    health: () => [...problems],
    propagate: async (zone, serial) => {
      propagated.push([zone, serial]);
    },
  });
  const { port } = await server.listen('127.0.0.1', 0);
  const admin = createToken(store, { zones: ['*'], write: true, admin: true, description: 'test admin' }).token;
  return { store, registry, server, base: `http://127.0.0.1:${port}`, port, admin, propagated, keyed, keyless, problems, close: () => server.close() };
}

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/** One request with a string or Buffer body; resolves with the whole response. */
export function http(port: number, method: string, path: string, opts: { token?: string; body?: unknown; raw?: string | Buffer; type?: string } = {}): Promise<HttpReply> {
  const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const headers: Record<string, string | number> = {};
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (payload !== undefined) {
    headers['content-type'] = opts.type ?? 'application/json';
    headers['content-length'] = Buffer.byteLength(payload);
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}
