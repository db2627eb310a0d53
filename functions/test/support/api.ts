/**
 * Drives the express app in-process with supertest, the way Cloud Functions would call it, with
 * real ID tokens (Auth emulator) and the test Firestore; captures every log entry; and validates
 * responses against the OpenAPI document the app serves.
 */
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../src/api/app.ts';
import type { LogEntry } from '../../src/api/log.ts';
import { openApiDocument } from '../../src/api/openapi.ts';

export interface TestApi {
  app: Express;
  logs: LogEntry[];
  get(path: string, token?: string): request.Test;
  post(path: string, body: unknown, token?: string): request.Test;
}

export function testApi(): TestApi {
  const logs: LogEntry[] = [];
  const app = createApp({ logSink: (entry) => logs.push(entry) });
  const withToken = (test: request.Test, token?: string) =>
    token ? test.set('Authorization', `Bearer ${token}`) : test;
  return {
    app,
    logs,
    get: (path, token) => withToken(request(app).get(path), token),
    post: (path, body, token) => withToken(request(app).post(path), token).send(body as object),
  };
}

const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema(openApiDocument(), 'openapi');

/** Asserts `body` matches the named schema of the OpenAPI components. */
export function assertMatchesSchema(name: string, body: unknown): void {
  const validate = ajv.getSchema(`openapi#/components/schemas/${name}`);
  assert.ok(validate, `schema ${name} exists`);
  assert.ok(validate(body), `${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
}

/** Asserts the one error shape with `code`, the status of that code, and a request id. */
export function assertError(res: request.Response, status: number, code: string): void {
  assert.equal(res.status, status, `${res.status} ${JSON.stringify(res.body)}`);
  assertMatchesSchema('Error', res.body);
  assert.equal(res.body.error.code, code, JSON.stringify(res.body));
  assert.ok(res.headers['x-request-id'], 'X-Request-Id header');
}
