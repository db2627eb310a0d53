/**
 * Operators: the claim counts only when it is exactly `true`, and removing it or disabling the
 * user takes effect at once — for the very same (still unexpired) ID token — on the HTTPS API and
 * the callables. Real users and tokens from the Auth emulator; claims changed with firebase-admin.
 */
import assert from 'node:assert/strict';
import { withAdminAuth } from '../../../test/support/auth-emulator.ts';
import { sharedEmulators } from '../../../test/support/emulators.ts';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import * as callables from '../../src/callables/index.ts';
import { assertError, testApi } from '../support/api.ts';
import { callableAs, rejection } from '../support/callables.ts';
import { newUser, seedAccount } from '../support/fixtures.ts';

const ACCOUNT = 'acct-op';

describe('access: operators', function () {
  this.timeout(60_000);
  const api = testApi();
  const threads = (token: string) => api.get(`/api/whatsapp/threads/${ACCOUNT}`, token);
  const listThreads = (uid: string, claims: Record<string, unknown>) =>
    callableAs(callables.listThreads, { accountId: ACCOUNT }, { uid, claims });
  const admin = async <T>(use: Parameters<typeof withAdminAuth<T>>[1]) =>
    withAdminAuth((await sharedEmulators()).authHost, use);

  before(async () => {
    await clearFirestore();
    await seedAccount(testDb(), ACCOUNT, {});
  });

  it('counts the claim only when it is exactly true', async () => {
    for (const claim of ['true', 1, 'false', 'yes', ['true'], { value: true }]) {
      const user = await newUser('fake-operator', { operator: claim });
      assertError(await threads(user.idToken), 403, 'permission_denied');
      const err = await rejection(listThreads(user.uid, { operator: claim }));
      assert.equal(err.details.code, 'permission_denied', JSON.stringify(claim));
      const accounts = await api.get('/api/whatsapp/accounts', user.idToken);
      assert.deepEqual(accounts.body.accounts, [], JSON.stringify(claim));
    }
    const real = await newUser('operator', { operator: true });
    assert.equal((await threads(real.idToken)).status, 200);
    await listThreads(real.uid, { operator: true });
  });

  it('stops honouring a removed claim at once, for the same unexpired token', async () => {
    const op = await newUser('revoked-operator', { operator: true });
    assert.equal((await threads(op.idToken)).status, 200);
    await admin((auth) => auth.setCustomUserClaims(op.uid, null));

    assertError(await threads(op.idToken), 403, 'permission_denied');
    assert.equal((await rejection(listThreads(op.uid, { operator: true }))).details.code, 'permission_denied');
    assert.deepEqual((await api.get('/api/whatsapp/accounts', op.idToken)).body.accounts, []);
    const create = await rejection(
      callableAs(callables.createAccount, { displayName: 'x' }, { uid: op.uid, claims: { operator: true } }),
    );
    assert.equal(create.details.code, 'permission_denied');
  });

  it('refuses a disabled operator at once, for the same unexpired token', async () => {
    const op = await newUser('disabled-operator', { operator: true });
    assert.equal((await threads(op.idToken)).status, 200);
    await admin((auth) => auth.updateUser(op.uid, { disabled: true }));

    assertError(await threads(op.idToken), 401, 'unauthenticated');
    assert.equal((await rejection(listThreads(op.uid, { operator: true }))).details.code, 'unauthenticated');
  });
});
