/**
 * createAccount with an explicit id: a deleted account's leftovers (Firestore deletes do not
 * cascade) must not come back to life under a new account of the same id.
 */
import assert from 'node:assert/strict';
import { paths } from '@wasync/shared';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import * as callables from '../../src/callables/index.ts';
import { type CallableCaller, callableAs, newOperator, rejection } from '../support/callables.ts';
import { seedAccount, seedThread } from '../support/fixtures.ts';

describe('accounts: createAccount', function () {
  this.timeout(60_000);
  let operator: CallableCaller;
  before(async function () {
    this.timeout(180_000);
    operator = await newOperator();
  });
  beforeEach(clearFirestore);

  const create = (accountId: string) =>
    callableAs(callables.createAccount, { accountId, displayName: 'Again' }, operator);

  it('refuses an id whose deleted account left members, threads or auth state behind', async () => {
    const db = testDb();
    const leftovers: [string, () => Promise<unknown>][] = [
      ['members', () => seedAccount(db, 'old-members', { 'former-admin': 'admin' })],
      ['threads', () => seedThread(db, { accountId: 'old-threads', jid: '4915100000001@s.whatsapp.net', count: 1 })],
      ['authState', () => db.doc(paths.authState('old-auth')).set({ creds: 'sealed' })],
      ['authStateKeys', () => db.doc(`${paths.authState('old-keys')}/keys/pre-key~1`).set({ v: 'sealed' })],
      ['commands', () => db.doc(paths.command('old-commands', 'c1')).set({ type: 'send', state: 'pending' })],
    ];
    for (const [what, seed] of leftovers) {
      await seed();
      const accountId = `old-${what === 'authStateKeys' ? 'keys' : what === 'authState' ? 'auth' : what}`;
      // The account document itself was deleted; its subcollections and server state were not.
      await db.doc(paths.account(accountId)).delete();
      const err = await rejection(create(accountId));
      assert.equal(err.details.code, 'already_exists', `${what}: ${JSON.stringify(err)}`);
      assert.deepEqual(err.details.details, { reason: 'leftover_data', found: [what] });
      assert.equal((await db.doc(paths.account(accountId)).get()).exists, false, `${what}: not revived`);
      assert.equal((await db.doc(paths.member(accountId, operator.uid)).get()).exists, false);
    }
  });

  it('creates a fresh id, and refuses an existing account as before', async () => {
    assert.deepEqual(await create('fresh-1'), {
      accountId: 'fresh-1',
      displayName: 'Again',
      connection: { state: 'idle' },
    });
    const err = await rejection(create('fresh-1'));
    assert.equal(err.details.code, 'already_exists');
    assert.equal(err.message, 'account fresh-1 already exists');
  });
});
