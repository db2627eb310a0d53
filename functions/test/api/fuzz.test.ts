/**
 * Malformed requests, generated: paths, query strings, bodies and headers. Every one must get a
 * 4xx in the one error shape with a code whose status it is, a request id — never a 5xx — and
 * nothing stored may change (DESIGN I8).
 */
import assert from 'node:assert/strict';
import { HTTP_STATUS_BY_CODE, MESSAGE_TYPES, threadDocId } from '@wasync/shared';
import { requestBackfillInput, sendMessageInput } from '@wasync/shared/client';
import fc from 'fast-check';
import request from 'supertest';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import { assertMatchesSchema, testApi } from '../support/api.ts';
import { newUser, type Persona, seedAccount, seedThread } from '../support/fixtures.ts';
import { type StoreSnapshot, snapshotStore } from '../support/store.ts';

const ACCOUNT = 'acct-f';
const JID = '4915100000077@s.whatsapp.net';
const THREAD = encodeURIComponent(threadDocId(JID));
const RUNS = 60;

interface Malformed {
  method: 'get' | 'post' | 'put' | 'delete' | 'patch';
  path: string;
  headers?: Record<string, string>;
  /** A raw body string (sent as is) or a JSON value. */
  body?: { raw: string } | { json: unknown };
}

/** Printable ASCII, what an HTTP client can put in a header value. */
const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 60,
});
/** Names of Object.prototype members (`constructor`, `toString`, …): ordinary ids to Firestore. */
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);
/** URL path segment material, including stray `%` escapes (some decode, some do not). */
const segment = fc.oneof(
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.stringMatching(/^[A-Za-z0-9%._~-]{1,30}$/),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '..', '.', '%2F', '__x__', 'a'.repeat(2000)),
  fc.constantFrom(...PROTOTYPE_NAMES),
);
const notIn = (values: readonly string[]) => (s: string) => !values.includes(s);
const badLimit = fc.oneof(
  fc.integer({ min: 201, max: 1e9 }).map(String),
  fc.integer({ min: -1e6, max: 0 }).map(String),
  fc.double({ noInteger: true, noNaN: true }).map(String),
  fc.string({ maxLength: 8 }).filter((s) => !/^[0-9]{1,9}$/.test(s) || Number(s) < 1 || Number(s) > 200),
);
const badQueryParam: fc.Arbitrary<[string, string]> = fc.oneof(
  badLimit.map((v) => ['limit', v] as [string, string]),
  fc.string({ maxLength: 40 }).map((v) => ['cursor', v] as [string, string]),
  fc
    .string({ maxLength: 10 })
    .filter(notIn(['true', 'false']))
    .map((v) => ['fromMe', v] as [string, string]),
  fc
    .string({ maxLength: 10 })
    .filter(notIn(MESSAGE_TYPES))
    .map((v) => ['type', v] as [string, string]),
  fc
    .string({ maxLength: 10 })
    .filter(notIn(['asc', 'desc']))
    .map((v) => ['order', v] as [string, string]),
  fc
    .string({ maxLength: 24 })
    .filter((s) => !/^[0-9]{1,16}$/.test(s) && Number.isNaN(Date.parse(s)))
    .map((v) => ['since', v] as [string, string]),
  // Epoch milliseconds past the last instant a Firestore Timestamp holds.
  fc
    .tuple(fc.constantFrom('since', 'until'), fc.integer({ min: 253_402_300_800_000, max: Number.MAX_SAFE_INTEGER }))
    .map(([k, v]) => [k, String(v)] as [string, string]),
  fc
    .tuple(fc.stringMatching(/^[a-zA-Z[\]_]{1,12}$/), fc.string({ maxLength: 10 }))
    .filter(
      ([k]) => !['limit', 'cursor', 'fromMe', 'type', 'order', 'since', 'until', 'accountId', 'threadId'].includes(k),
    ),
);

describe('api: fuzzed malformed requests', function () {
  this.timeout(180_000);
  const api = testApi();
  let agent: Persona;
  let before_: StoreSnapshot;
  let sent = 0;
  const statuses = new Map<number, number>();

  before(async function () {
    this.timeout(180_000);
    agent = await newUser('fuzz-agent');
    await clearFirestore();
    await seedAccount(testDb(), ACCOUNT, { [agent.uid]: 'agent' });
    await seedThread(testDb(), { accountId: ACCOUNT, jid: JID, count: 5 });
    before_ = await snapshotStore(testDb());
  });

  async function send(m: Malformed, withToken = true): Promise<void> {
    let test = request(api.app)[m.method](m.path);
    if (withToken) test = test.set('Authorization', `Bearer ${agent.idToken}`);
    for (const [name, value] of Object.entries(m.headers ?? {})) test = test.set(name, value);
    if (m.body && 'raw' in m.body) test = test.send(m.body.raw);
    else if (m.body) test = test.set('Content-Type', 'application/json').send(JSON.stringify(m.body.json));
    const res = await test;
    sent++;
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    const what = `${m.method.toUpperCase()} ${m.path.slice(0, 120)} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
    assert.ok(res.status >= 400 && res.status < 500, what);
    assertMatchesSchema('Error', res.body);
    const code = res.body.error.code as keyof typeof HTTP_STATUS_BY_CODE;
    assert.equal(HTTP_STATUS_BY_CODE[code], res.status, what);
    assert.ok(res.headers['x-request-id'], what);
  }

  it('unknown routes and wrong methods → 404', async () => {
    const routes = ['accounts', 'threads', 'messages', 'send', 'backfill', 'openapi.json'];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(
            fc.constantFrom('get', 'post', 'put', 'delete', 'patch'),
            segment.filter(notIn(routes)),
            fc.array(segment, { maxLength: 3 }),
          ),
          fc.tuple(
            fc.constantFrom('put', 'delete', 'patch'),
            fc.constantFrom(...routes),
            fc.array(segment, { maxLength: 2 }),
          ),
        ),
        async ([method, first, rest]) =>
          send({ method: method as Malformed['method'], path: ['/api/whatsapp', first, ...rest].join('/') }),
      ),
      { numRuns: RUNS },
    );
  });

  it('bad account and thread ids in paths → 400 or 403', async () => {
    await fc.assert(
      fc.asyncProperty(
        segment.filter((s) => s !== ACCOUNT),
        fc.constantFrom('threads', 'messages', 'backfill'),
        async (accountId, route) => {
          const path =
            route === 'messages'
              ? `/api/whatsapp/messages/${accountId}/${THREAD}`
              : `/api/whatsapp/${route}/${accountId}`;
          await send(route === 'backfill' ? { method: 'post', path, body: { json: {} } } : { method: 'get', path });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('bad query strings on every listing → 400', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          `/api/whatsapp/accounts`,
          `/api/whatsapp/threads/${ACCOUNT}`,
          `/api/whatsapp/messages/${ACCOUNT}/${THREAD}`,
          `/api/whatsapp/messages?accountId=${ACCOUNT}`,
        ),
        fc.array(badQueryParam, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (path, params, repeatLimit) => {
          const query = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
          if (repeatLimit) query.push('limit=10', 'limit=20');
          await send({ method: 'get', path: `${path}${path.includes('?') ? '&' : '?'}${query.join('&')}` });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('malformed send bodies → 400', async () => {
    const validish = fc.record(
      {
        accountId: fc.oneof(fc.constant(ACCOUNT), fc.jsonValue()),
        to: fc.oneof(fc.constant(JID), fc.string({ maxLength: 20 }), fc.jsonValue()),
        threadId: fc.oneof(fc.constant(threadDocId(JID)), fc.jsonValue()),
        text: fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue()),
        clientMessageId: fc.oneof(fc.uuid(), fc.string({ maxLength: 20 }), fc.jsonValue()),
        quotedId: fc.jsonValue(),
        extra: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue().map((json) => ({ json })),
          validish.map((json) => ({ json })),
          fc
            .string({ maxLength: 40 })
            .filter((s) => !isJson(s))
            .map((raw) => ({ raw, json: true as const })),
        ),
        async (body) => {
          if ('json' in body && body.json !== true && sendMessageInput.safeParse(body.json).success) return;
          if ('raw' in body) {
            await send({
              method: 'post',
              path: '/api/whatsapp/send',
              headers: { 'Content-Type': 'application/json' },
              body: { raw: body.raw },
            });
          } else {
            await send({ method: 'post', path: '/api/whatsapp/send', body });
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('malformed backfill bodies and non-JSON content types → 400', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc
            .jsonValue()
            .filter((v) => !requestBackfillInput.omit({ accountId: true }).safeParse(v).success)
            .map((json) => ({ json })),
          fc
            .tuple(
              headerText.filter((t) => !/json/i.test(t) && t.trim() !== ''),
              fc.string({ minLength: 1, maxLength: 40 }),
            )
            .map(([type, raw]) => ({ type, raw })),
        ),
        async (body) => {
          const path = `/api/whatsapp/backfill/${ACCOUNT}`;
          if ('json' in body) return send({ method: 'post', path, body });
          return send({ method: 'post', path, headers: { 'Content-Type': body.type }, body: { raw: body.raw } });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('malformed Authorization headers on every route → 401', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<[Malformed['method'], string]>(
          ['get', '/api/whatsapp/accounts'],
          ['get', `/api/whatsapp/threads/${ACCOUNT}`],
          ['get', `/api/whatsapp/messages/${ACCOUNT}/${THREAD}`],
          ['get', `/api/whatsapp/messages?accountId=${ACCOUNT}`],
          ['post', '/api/whatsapp/send'],
          ['post', `/api/whatsapp/backfill/${ACCOUNT}`],
        ),
        fc.oneof(
          headerText,
          headerText.map((t) => `Bearer ${t}`),
          fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map((parts) => `Bearer ${parts.join('.')}`),
          fc.constant(`Bearer ${agent?.idToken ?? ''}`).map((t) => `${t.slice(0, -5)}xxxxx`),
        ),
        fc.option(headerText, { nil: undefined }),
        async ([method, path], authorization, requestId) => {
          const headers: Record<string, string> = { Authorization: authorization };
          if (requestId !== undefined) headers['X-Request-Id'] = requestId;
          const body =
            method === 'post'
              ? { json: { accountId: ACCOUNT, threadId: threadDocId(JID), text: 'x', clientMessageId: 'fuzz-1' } }
              : undefined;
          await send({ method, path, headers, ...(body ? { body } : {}) }, false);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('treats ids named like Object.prototype members as ordinary ids', async () => {
    for (const name of PROTOTYPE_NAMES) {
      await send({ method: 'get', path: `/api/whatsapp/threads/${encodeURIComponent(name)}` });
    }
  });

  it('sent at least 300 malformed requests and changed nothing stored', async () => {
    assert.ok(sent >= 300, `sent ${sent}`);
    console.log(`      fuzz: ${sent} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    assert.deepEqual(await snapshotStore(testDb()), before_);
  });
});

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}
