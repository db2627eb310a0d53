/**
 * The deployed shape, locally: functions/lib (the esbuild bundle) loaded by the firebase-tools
 * Functions emulator, called over HTTP with real Auth-emulator ID tokens, writing to the test
 * Firestore. Slow to start (~10 s), so one emulator serves the whole suite.
 */
import assert from 'node:assert/strict';
import type { FirebaseEmulators } from '../../scripts/lib/firebase-emulators.ts';
import { createTestUser, type TestUser } from '../support/auth-emulator.ts';
import { sharedEmulators } from '../support/emulators.ts';
import { clearFirestore, testDb } from '../support/firestore.ts';

interface CallableReply {
  status: number;
  body: { result?: Record<string, unknown>; error?: { status: string; message: string; details?: { code?: string } } };
}

describe('functions through the Functions emulator', function () {
  this.timeout(30_000);
  let emulators: FirebaseEmulators;
  let operator: TestUser;
  let otherOperator: TestUser;
  let member: TestUser;

  async function call(name: string, data: unknown, user?: TestUser): Promise<CallableReply> {
    const res = await fetch(emulators.functionUrl(name), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(user ? { authorization: `Bearer ${user.idToken}` } : {}) },
      body: JSON.stringify({ data }),
    });
    return { status: res.status, body: (await res.json()) as CallableReply['body'] };
  }

  before(async function () {
    this.timeout(180_000);
    emulators = await sharedEmulators();
    const unique = Date.now().toString(36);
    operator = await createTestUser(emulators.authHost, `operator-${unique}@example.com`, { operator: true });
    otherOperator = await createTestUser(emulators.authHost, `operator2-${unique}@example.com`, { operator: true });
    member = await createTestUser(emulators.authHost, `member-${unique}@example.com`);
  });
  beforeEach(clearFirestore);

  it('createAccount writes the account and makes the caller its admin', async () => {
    const reply = await call('createAccount', { accountId: 'shop-1', displayName: 'Shop One' }, operator);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.deepEqual(reply.body.result, {
      accountId: 'shop-1',
      displayName: 'Shop One',
      connection: { state: 'idle' },
    });

    const account = (await testDb().doc('accounts/shop-1').get()).data();
    assert.equal(account?.displayName, 'Shop One');
    assert.equal(account?.connection.state, 'idle');
    assert.ok(account?.connection.updatedAt.toMillis() > Date.now() - 60_000, 'updatedAt is a recent Timestamp');
    assert.deepEqual((await testDb().doc(`accounts/shop-1/members/${operator.uid}`).get()).data(), {
      role: 'admin',
      uid: operator.uid,
    });
  });

  it('refuses a second account with the same id, keeping the first and its members', async () => {
    assert.equal((await call('createAccount', { accountId: 'shop-1', displayName: 'First' }, operator)).status, 200);
    const reply = await call('createAccount', { accountId: 'shop-1', displayName: 'Second' }, otherOperator);
    assert.equal(reply.status, 409);
    assert.equal(reply.body.error?.details?.code, 'already_exists');
    assert.equal((await testDb().doc('accounts/shop-1').get()).get('displayName'), 'First');
    const members = await testDb().collection('accounts/shop-1/members').get();
    assert.deepEqual(
      members.docs.map((d) => d.id),
      [operator.uid],
      'the refused caller did not become a member',
    );
  });

  it('rejects callers without a token, and non-operators', async () => {
    const anonymous = await call('createAccount', { displayName: 'x' });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error?.details?.code, 'unauthenticated');

    const notOperator = await call('createAccount', { displayName: 'x' }, member);
    assert.equal(notOperator.status, 403);
    assert.equal(notOperator.body.error?.details?.code, 'permission_denied');
    assert.equal((await testDb().collection('accounts').get()).size, 0);
  });

  it('answers bad input with invalid_argument naming the field', async () => {
    const reply = await call('createAccount', { accountId: 'Bad/Id', displayName: '' }, operator);
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error?.details?.code, 'invalid_argument');
    assert.match(JSON.stringify(reply.body.error?.details), /accountId/);
    assert.match(JSON.stringify(reply.body.error?.details), /displayName/);
  });
});
