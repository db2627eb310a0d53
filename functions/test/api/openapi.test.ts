/**
 * The OpenAPI document is valid OpenAPI 3.1, describes exactly the routes express serves (read
 * from the live router, not from the route table both were built from), and each documented
 * operation is really routed — by its documented path and by the path Cloud Functions passes on.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { ACCOUNT_FIELDS_FOR_ADMINS, type FieldShape, MESSAGE_FIELDS, THREAD_FIELDS } from '@wasync/shared/client';
import request from 'supertest';
import { REPO_ROOT } from '../../../scripts/lib/firebase-emulators.ts';
import { openApiDocument, openApiPath } from '../../src/api/openapi.ts';
import { assertError, testApi } from '../support/api.ts';

type Layer = { route?: { path: string; methods: Record<string, boolean> } };
type Schema = { properties?: Record<string, Schema>; additionalProperties?: Schema | boolean; $ref?: string };
type Operation = { security?: unknown; responses: Record<string, { headers?: Record<string, unknown> }> };

describe('api: OpenAPI document', () => {
  const api = testApi();
  const doc = openApiDocument() as {
    paths: Record<string, Record<string, Operation>>;
    servers?: { url: string }[];
    components: { schemas: Record<string, Schema> };
  };
  const operations = Object.values(doc.paths).flatMap((ops) => Object.values(ops));
  const byId = (id: string) =>
    operations.find((op) => (op as { operationId?: string }).operationId === id) ?? assert.fail(id);

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

  it('describes each document with exactly the fields the API returns (the allow-lists of visible.ts)', () => {
    const schemas = doc.components.schemas;
    const resolve = (schema: Schema): Schema =>
      schema.$ref ? schemas[schema.$ref.replace('#/components/schemas/', '')]! : schema;
    /** The shape of fields a schema admits, in the allow-lists' notation. */
    const shapeOf = (schema: Schema): FieldShape => {
      const s = resolve(schema);
      assert.equal(s.additionalProperties === false || typeof s.additionalProperties === 'object', true);
      if (typeof s.additionalProperties === 'object') return { '*': leaf(s.additionalProperties) };
      return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, leaf(v)]));
    };
    const leaf = (schema: Schema): true | FieldShape => {
      const s = resolve(schema);
      return s.properties || typeof s.additionalProperties === 'object' ? shapeOf(s) : true;
    };
    assert.deepEqual(shapeOf(schemas.Message!), MESSAGE_FIELDS);
    assert.deepEqual(shapeOf(schemas.Thread!), THREAD_FIELDS);
    assert.deepEqual(shapeOf(schemas.Account!), ACCOUNT_FIELDS_FOR_ADMINS);
  });

  it('names its servers, and documents the headers and error statuses each operation really has', () => {
    assert.ok(doc.servers?.some((s) => s.url.includes('cloudfunctions.net')));
    for (const op of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (status === '200' && !op.security) continue;
        assert.ok(response.headers?.['X-Request-Id'], `${status} documents X-Request-Id`);
      }
    }
    for (const id of ['sendMessage', 'requestBackfill']) {
      assert.ok(byId(id).responses['202']?.headers?.['Idempotent-Replayed'], id);
      assert.ok(byId(id).responses['409'], `${id} documents 409`);
    }
    assert.equal(byId('listAccounts').responses['404'], undefined, 'listing one’s accounts has no 404');
    assert.equal(byId('listAccounts').responses['403'], undefined, 'nor a 403');
    assert.equal(byId('listThreads').responses['409'], undefined);
  });
});
