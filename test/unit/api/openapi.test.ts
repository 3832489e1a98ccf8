import assert from 'node:assert/strict';
import { API_ROUTES } from '../../../api/api-server.js';
import { API_ERRORS } from '../../../api/errors.js';
import { OPENAPI_DOCUMENT } from '../../../api/openapi.js';

type Operation = { operationId?: string; responses?: Record<string, unknown> };
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

function documentedOperations(): Map<string, Operation> {
  const out = new Map<string, Operation>();
  for (const [path, item] of Object.entries(OPENAPI_DOCUMENT.paths as Record<string, Record<string, unknown>>)) {
    for (const m of METHODS) {
      const op = item[m] as Operation | undefined;
      if (op !== undefined) out.set(`${m.toUpperCase()} ${path}`, op);
    }
  }
  return out;
}

describe('api/openapi: the document matches the router table', () => {
  it('is OpenAPI 3.1', () => {
    assert.equal(OPENAPI_DOCUMENT.openapi, '3.1.0');
  });

  it('documents every route with its operationId, and nothing else', () => {
    const documented = documentedOperations();
    const routed = new Set(API_ROUTES.map((r) => `${r.method} ${r.template}`));
    for (const r of API_ROUTES) {
      const op = documented.get(`${r.method} ${r.template}`);
      assert.ok(op, `route ${r.method} ${r.template} is not documented`);
      assert.equal(op.operationId, r.operationId);
      assert.ok(op.responses && Object.keys(op.responses).some((s) => s.startsWith('2')), `${r.operationId} documents no success`);
    }
    for (const key of documented.keys()) assert.ok(routed.has(key), `documented ${key} has no route`);
  });

  it('documents every error code of the registry and resolves every $ref', () => {
    const text = JSON.stringify(OPENAPI_DOCUMENT);
    for (const code of Object.keys(API_ERRORS)) assert.ok(text.includes(code), `${code} is not documented`);
    const components = OPENAPI_DOCUMENT.components as unknown as Record<string, Record<string, unknown>>;
    for (const m of text.matchAll(/"\$ref":"#\/components\/(\w+)\/(\w+)"/g)) {
      assert.ok(components[m[1]!]?.[m[2]!] !== undefined, `dangling $ref ${m[0]}`);
    }
  });
});
