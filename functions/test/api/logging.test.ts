/**
 * Request ids and logs: every response carries X-Request-Id, every log line of a request carries
 * the same id; a plain client-supplied id is kept; a failure that is our fault is a 500 with the
 * code `internal`, its stack in the log and not in the response.
 */
import assert from 'node:assert/strict';
import request from 'supertest';
import { createApp } from '../../src/api/app.ts';
import type { LogEntry } from '../../src/api/log.ts';
import { assertError } from '../support/api.ts';

describe('api: request ids and logging', () => {
  function appWith(verifyIdToken: (token: string) => Promise<never>) {
    const logs: LogEntry[] = [];
    return { app: createApp({ logSink: (e) => logs.push(e), verifyIdToken }), logs };
  }
  const rejectToken = async () => {
    throw Object.assign(new Error('bad token'), { code: 'auth/argument-error' });
  };

  it('puts the response’s request id on every log line of the request', async () => {
    const { app, logs } = appWith(rejectToken);
    const res = await request(app).get('/api/whatsapp/accounts').set('Authorization', 'Bearer a.b.c');
    assertError(res, 401, 'unauthenticated');
    const id = res.headers['x-request-id'];
    assert.ok(logs.length >= 2, JSON.stringify(logs));
    assert.ok(logs.every((entry) => entry.requestId === id));
    assert.ok(logs.every((entry) => typeof entry.severity === 'string' && typeof entry.message === 'string'));
    assert.deepEqual(logs.at(-1), {
      ...logs.at(-1),
      message: 'request',
      method: 'GET',
      route: '/api/whatsapp/accounts',
      status: 401,
    });
  });

  it('keeps a plain client request id and replaces anything else', async () => {
    const { app } = appWith(rejectToken);
    const kept = await request(app).get('/api/whatsapp/accounts').set('X-Request-Id', 'client-req-12345');
    assert.equal(kept.headers['x-request-id'], 'client-req-12345');
    for (const given of ['short', 'has space 1234', `x${'y'.repeat(200)}`, '<script>alert(1)</script>']) {
      const res = await request(app).get('/api/whatsapp/accounts').set('X-Request-Id', given);
      assert.notEqual(res.headers['x-request-id'], given);
      assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    }
    const traced = await request(app)
      .get('/api/whatsapp/accounts')
      .set('X-Cloud-Trace-Context', '105445aa7843bc8bf206b12000100000/1;o=1');
    assert.equal(traced.headers['x-request-id'], '105445aa7843bc8bf206b12000100000');
  });

  it('answers our own failures with 500 internal, logging the stack but never sending it', async () => {
    const { app, logs } = appWith(async () => {
      throw new Error('key server unreachable: secret=hunter2');
    });
    const res = await request(app).get('/api/whatsapp/accounts').set('Authorization', 'Bearer a.b.c');
    assertError(res, 500, 'internal');
    assert.doesNotMatch(JSON.stringify(res.body), /hunter2|key server/);
    const failure = logs.find((e) => e.severity === 'ERROR');
    assert.match(String(failure?.error), /key server unreachable/);
    assert.equal(failure?.requestId, res.headers['x-request-id']);
  });

  it('logs no phone numbers or JIDs: route templates and keyed hashes of ids, rejections without echoes', async () => {
    const logs: LogEntry[] = [];
    const verifyIdToken = async () => ({ uid: 'u-log' }) as never;
    const app = createApp({ logSink: (e) => logs.push(e), verifyIdToken });
    const phone = '4915112345678';
    const jid = `${phone}@s.whatsapp.net`;
    const responses = [
      await request(app)
        .get(`/api/whatsapp/messages/acct-l/${encodeURIComponent(jid)}`)
        .set('Authorization', 'Bearer a.b.c'),
      await request(app)
        .get(`/api/whatsapp/messages?accountId=acct-l&threadId=${encodeURIComponent(jid)}`)
        .set('Authorization', 'Bearer a.b.c'),
      await request(app).get(`/api/whatsapp/nothing/${encodeURIComponent(jid)}`),
      await request(app)
        .post('/api/whatsapp/send')
        .set('Authorization', 'Bearer a.b.c')
        .send({ accountId: 'acct-l', to: `+${phone}`, text: 'x', clientMessageId: phone, extra: jid }),
      await request(app)
        .post(`/api/whatsapp/backfill/acct-l`)
        .set('Authorization', 'Bearer a.b.c')
        .send({ threadIds: [jid, 1] }),
    ];
    for (const res of responses)
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${JSON.stringify(res.body)}`);
    const logged = JSON.stringify(logs);
    assert.doesNotMatch(logged, new RegExp(phone), logged.slice(0, 2000));
    assert.doesNotMatch(logged, /whatsapp\.net/);
    // The unknown route's answer does not repeat its path either.
    assert.doesNotMatch(JSON.stringify(responses[2]!.body), new RegExp(phone));

    const lines = logs.filter((e) => e.message === 'request');
    assert.deepEqual(
      lines.map((e) => e.route),
      [
        '/api/whatsapp/messages/:accountId/:threadId',
        '/api/whatsapp/messages',
        null,
        '/api/whatsapp/send',
        '/api/whatsapp/backfill/:accountId',
      ],
    );
    // One thread, one hash, wherever its id came from (path or query); accounts likewise.
    const [byPath, byQuery] = lines as unknown as { ids: { accountId?: string; threadId?: string } }[];
    assert.match(String(byPath!.ids.threadId), /^[A-Za-z0-9_-]{12}$/);
    assert.equal(byPath!.ids.threadId, byQuery!.ids.threadId);
    assert.equal(byPath!.ids.accountId, byQuery!.ids.accountId);
    assert.notEqual(byPath!.ids.accountId, byPath!.ids.threadId);
    const rejected = logs.filter((e) => e.message === 'request rejected');
    assert.ok(
      rejected.some((e) => Array.isArray(e.fields) && e.fields.length > 0),
      JSON.stringify(rejected),
    );
  });
});
