/**
 * Bodies in-process: the size limit comes before authentication, the app parses JSON itself
 * (any JSON content type, UTF-8, an object), and every refusal is in the API's error shape. The
 * same through the Functions runtime, where it parses first: test/integration/functions-bodies.test.ts.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { createApp } from '../../src/api/app.ts';
import { BODY_LIMIT_BYTES } from '../../src/api/body.ts';
import { assertError } from '../support/api.ts';

describe('api: request bodies', () => {
  let verified = 0;
  const app = createApp({
    logSink: () => {},
    verifyIdToken: async () => {
      verified++;
      return { uid: 'body-user' } as never;
    },
  });
  // Bytes exactly as given: through a listening server and fetch (superagent would serialize a
  // Buffer sent with a JSON type).
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());
  const post = async (body: string | Buffer, type = 'application/json', headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}/api/whatsapp/send`, {
      method: 'POST',
      headers: { ...headers, Authorization: 'Bearer a.b.c', 'Content-Type': type },
      body,
    });
    const headersOut = Object.fromEntries(res.headers);
    return { status: res.status, body: await res.json(), headers: headersOut } as unknown as request.Response;
  };

  it('refuses a body over the limit before verifying any token', async () => {
    verified = 0;
    const big = JSON.stringify({ accountId: 'a', text: 'x'.repeat(BODY_LIMIT_BYTES) });
    assertError(await post(big), 413, 'payload_too_large');
    assertError(
      await request(app).post('/api/whatsapp/send').set('Content-Type', 'application/json').send(big),
      413,
      'payload_too_large',
    );
    // Also on routes without a body, and whatever the content type.
    assertError(
      await request(app)
        .get('/api/whatsapp/accounts')
        .set('Content-Type', 'text/plain')
        .send('x'.repeat(BODY_LIMIT_BYTES + 1)),
      413,
      'payload_too_large',
    );
    assert.equal(verified, 0, 'no token was verified for an oversized body');
  });

  it('refuses an oversized body without Content-Length when reading it (after authentication)', async () => {
    const chunks = Readable.from([Buffer.from('{"text":"'), Buffer.alloc(BODY_LIMIT_BYTES, 'x'), Buffer.from('"}')]);
    const req = request(app)
      .post('/api/whatsapp/send')
      .set('Content-Type', 'application/json')
      .set('Authorization', 'Bearer a.b.c');
    req.set('Transfer-Encoding', 'chunked');
    const res = await new Promise<request.Response>((resolve, reject) => {
      req.on('response', resolve).on('error', reject);
      chunks.pipe(req as unknown as NodeJS.WritableStream);
    });
    assertError(res, 413, 'payload_too_large');
  });

  it('parses JSON itself: bad JSON, other JSON types, charsets and non-objects get the API’s error shape', async () => {
    for (const [body, type, reason] of [
      ['{"accountId":', 'application/json', 'invalid_json'],
      ['{"accountId":', 'application/merge-patch+json', 'invalid_json'],
      ['null', 'application/json', 'not_object'],
      ['"text"', 'application/json', 'not_object'],
      ['{}', 'application/json; charset=latin1', 'charset'],
      ['{}', 'text/plain', 'content_type'],
      ['a=1', 'application/x-www-form-urlencoded', 'content_type'],
    ] as const) {
      const res = await post(body, type);
      assertError(res, 400, 'invalid_argument');
      assert.equal(res.body.error.details.reason, reason, `${type} ${body}`);
    }
    const invalidUtf8 = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]);
    assert.equal((await post(invalidUtf8)).body.error.details.reason, 'invalid_json');
  });

  it('accepts JSON under +json types and gzip-encoded (and then validates it)', async () => {
    const res = await post('{"accountId":"a b"}', 'application/vnd.api+json');
    assertError(res, 400, 'invalid_argument');
    assert.match(JSON.stringify(res.body.error.details.fields), /accountId/);
    const zipped = await post(gzipSync('{"accountId":"a b"}'), 'application/json', { 'Content-Encoding': 'gzip' });
    assert.match(JSON.stringify(zipped.body.error.details.fields), /accountId/);
  });
});
