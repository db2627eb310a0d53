/**
 * Who may call which route: on every route, 401 without a token, 403 for a signed-in non-member
 * (and for a viewer on send and backfill), 200/202 for members with the role and for operators.
 * Every answer is checked against the OpenAPI document.
 */
import assert from 'node:assert/strict';
import { paths, threadDocId } from '@wasync/shared';
import request from 'supertest';
import { DEMO_PROJECT } from '../../../scripts/lib/firestore-backend.ts';
import { clearFirestore, requires, testDb } from '../../../test/support/firestore.ts';
import { assertError, assertMatchesSchema, type TestApi, testApi } from '../support/api.ts';
import { newPeople, type Persona, seedAccount, seedThread } from '../support/fixtures.ts';

const ACCOUNT = 'acct-1';
const JID = '4915112345678@s.whatsapp.net';

type Who = 'anonymous' | 'outsider' | 'viewer' | 'agent' | 'admin' | 'operator';

interface RouteCase {
  name: string;
  call(api: TestApi, token: string | undefined, n: number): Promise<import('supertest').Response>;
  schema: string;
  success: 200 | 202;
  /** Lowest member role that succeeds. */
  needs: 'viewer' | 'agent' | 'signed-in';
}

const threadId = encodeURIComponent(threadDocId(JID));
const ROUTES: RouteCase[] = [
  {
    name: 'GET /accounts',
    call: (api, token) => api.get('/api/whatsapp/accounts', token),
    schema: 'AccountPage',
    success: 200,
    needs: 'signed-in',
  },
  {
    name: 'GET /threads/:accountId',
    call: (api, token) => api.get(`/api/whatsapp/threads/${ACCOUNT}`, token),
    schema: 'ThreadPage',
    success: 200,
    needs: 'viewer',
  },
  {
    name: 'GET /messages/:accountId/:threadId',
    call: (api, token) => api.get(`/api/whatsapp/messages/${ACCOUNT}/${threadId}?limit=5`, token),
    schema: 'MessagePage',
    success: 200,
    needs: 'viewer',
  },
  {
    name: 'GET /messages?accountId',
    call: (api, token) => api.get(`/api/whatsapp/messages?accountId=${ACCOUNT}&fromMe=true`, token),
    schema: 'MessagePage',
    success: 200,
    needs: 'viewer',
  },
  {
    name: 'POST /send',
    call: (api, token, n) =>
      api.post(
        '/api/whatsapp/send',
        { accountId: ACCOUNT, threadId: threadDocId(JID), text: 'hello', clientMessageId: `access-${n}` },
        token,
      ),
    schema: 'SendAccepted',
    success: 202,
    needs: 'agent',
  },
  {
    name: 'POST /backfill/:accountId',
    // One backfill at a time per account: each case starts with none pending.
    call: async (api, token) => {
      await testDb().doc(paths.limit(ACCOUNT, 'backfill')).delete();
      return api.post(`/api/whatsapp/backfill/${ACCOUNT}`, { threads: 5 }, token);
    },
    schema: 'CommandAccepted',
    success: 202,
    needs: 'agent',
  },
];

const RANK = { 'signed-in': 0, viewer: 1, agent: 2, admin: 3 } as const;

function expected(route: RouteCase, who: Who): 200 | 202 | 401 | 403 {
  if (who === 'anonymous') return 401;
  if (who === 'operator') return route.success;
  const rank = who === 'outsider' ? 0 : RANK[who];
  return rank >= RANK[route.needs] ? route.success : 403;
}

describe('api: authorization on every route', function () {
  this.timeout(60_000);
  const api = testApi();
  const people = {} as Record<Exclude<Who, 'anonymous'>, Persona>;

  before(async function () {
    this.timeout(180_000);
    Object.assign(people, await newPeople());
    const { outsider, viewer, agent, admin } = people;
    await clearFirestore();
    await seedAccount(testDb(), ACCOUNT, { [viewer.uid]: 'viewer', [agent.uid]: 'agent', [admin.uid]: 'admin' });
    await seedAccount(testDb(), 'acct-2', { [outsider.uid]: 'admin' });
    await seedThread(testDb(), { accountId: ACCOUNT, jid: JID, count: 12 });
  });

  let n = 0;
  for (const route of ROUTES) {
    for (const who of ['anonymous', 'outsider', 'viewer', 'agent', 'admin', 'operator'] as Who[]) {
      const status = expected(route, who);
      it(`${route.name}: ${who} → ${status}`, async () => {
        const token = who === 'anonymous' ? undefined : people[who].idToken;
        const res = await route.call(api, token, n++);
        if (status === 401) return assertError(res, 401, 'unauthenticated');
        if (status === 403) return assertError(res, 403, 'permission_denied');
        assert.equal(res.status, status, JSON.stringify(res.body));
        assertMatchesSchema(route.schema, res.body);
        assert.ok(res.headers['x-request-id']);
      });
    }
  }

  it('operators see every account, in account-id order', async () => {
    const all = await api.get('/api/whatsapp/accounts', people.operator.idToken);
    assert.deepEqual(
      all.body.accounts.map((a: { accountId: string; role: string }) => [a.accountId, a.role]),
      [
        [ACCOUNT, 'operator'],
        ['acct-2', 'operator'],
      ],
    );
  });

  it('members see only their accounts, with their role', async function () {
    requires(this, 'collectionGroupQueries');
    const mine = await api.get('/api/whatsapp/accounts', people.viewer.idToken);
    assert.deepEqual(
      mine.body.accounts.map((a: { accountId: string; role: string }) => [a.accountId, a.role]),
      [[ACCOUNT, 'viewer']],
    );
  });

  it('answers an operator asking for a missing account with 404, a member with 403', async () => {
    assertError(await api.get('/api/whatsapp/threads/nope-404', people.operator.idToken), 404, 'not_found');
    assertError(await api.get('/api/whatsapp/threads/nope-404', people.admin.idToken), 403, 'permission_denied');
  });

  it('treats a membership without a valid role as none', async () => {
    for (const role of ['owner', 'Admin', '', undefined]) {
      const uid = people.outsider.uid;
      await testDb()
        .doc(`accounts/${ACCOUNT}/members/${uid}`)
        .set(role === undefined ? { uid } : { role, uid });
      assertError(await api.get(`/api/whatsapp/threads/${ACCOUNT}`, people.outsider.idToken), 403, 'permission_denied');
    }
    await testDb().doc(`accounts/${ACCOUNT}/members/${people.outsider.uid}`).delete();
  });

  it('rejects malformed, expired, foreign-project and garbage tokens with 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = (project: string, exp: number) => ({
      aud: project,
      iss: `https://securetoken.google.com/${project}`,
      sub: people.viewer.uid,
      user_id: people.viewer.uid,
      iat: now,
      auth_time: now,
      exp,
    });
    const headers = [
      'Bearer',
      'Bearer ',
      'Basic dXNlcjpwYXNz',
      people.viewer.idToken, // no scheme
      `Bearer ${people.viewer.idToken} extra`,
      'Bearer a.b.c',
      `Bearer ${unsignedJwt(claims('other-project', now + 3600))}`,
      `Bearer ${unsignedJwt(claims(DEMO_PROJECT, now - 60))}`,
      `Bearer ${'x'.repeat(12_000)}.a.b`,
    ];
    for (const header of headers) {
      const res = await request(api.app).get('/api/whatsapp/accounts').set('Authorization', header);
      assertError(res, 401, 'unauthenticated');
    }
    // The same structure with this project and a future expiry passes: the rejections above are
    // about audience and expiry, not about the token being unsigned (the Auth emulator's are too).
    const ok = await request(api.app)
      .get('/api/whatsapp/accounts')
      .set('Authorization', `Bearer ${unsignedJwt(claims(DEMO_PROJECT, now + 3600))}`);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });
});

/** An unsigned JWT as the Auth emulator issues them (alg none, empty signature). */
function unsignedJwt(payload: object): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}
