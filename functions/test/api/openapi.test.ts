/**
 * The OpenAPI document is valid OpenAPI 3.1, describes exactly the routes express serves (read
 * from the live router, not from the route table both were built from), and each documented
 * operation is really routed — by its documented path and by the path Cloud Functions passes on.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import request from 'supertest';
import { REPO_ROOT } from '../../../scripts/lib/firebase-emulators.ts';
import { openApiDocument, openApiPath } from '../../src/api/openapi.ts';
import { assertError, testApi } from '../support/api.ts';

type Layer = { route?: { path: string; methods: Record<string, boolean> } };

describe('api: OpenAPI document', () => {
  const api = testApi();
  const doc = openApiDocument() as { paths: Record<string, Record<string, { security?: unknown }>> };

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    assert.ok(result.valid, JSON.stringify(result.errors, null, 2)?.slice(0, 2000));
    assert.equal(validator.version, '3.1');
  });

  it('documents exactly the routes express serves', () => {
    const stack = (api.app as unknown as { router: { stack: Layer[] } }).router.stack;
    const served = stack
      .filter((layer) => layer.route)
      .flatMap((layer) =>
        Object.keys(layer.route!.methods)
          .filter((m) => m !== '_all')
          .map((m) => `${m.toUpperCase()} ${openApiPath(layer.route!.path)}`),
      )
      .sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    assert.deepEqual(documented, served);
  });

  it('serves itself without a token', async () => {
    const res = await request(api.app).get('/api/whatsapp/openapi.json');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, JSON.parse(JSON.stringify(doc)));
  });

  it('routes every documented operation, under /api/whatsapp and under the function-stripped /whatsapp', async () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const concrete = path.replace(/\{(\w+)\}/g, 'acct-x');
        for (const url of [concrete, concrete.replace(/^\/api/, '')]) {
          const res = await request(api.app)[method as 'get' | 'post'](url);
          if (op.security) assertError(res, 401, 'unauthenticated');
          else assert.equal(res.status, 200, url);
        }
      }
    }
  });

  it('is what the README API section lists, route by route', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.split('## API for apps and servers')[1]?.split('\n## ')[0] ?? '';
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        const route = `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`;
        assert.match(section, new RegExp(`${route.replace(/[.?]/g, '\\$&')}(?![\\w/:])`), route);
      }
    }
  });
});
