/**
 * Member management beyond the happy path (callables.test.ts has that): uids that are no valid
 * document ids, and role checks that must hold at the moment of the write, not a moment before.
 */
import assert from 'node:assert/strict';
import { paths } from '@wasync/shared';
import { Firestore } from 'firebase-admin/firestore';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import { addMember, removeMember } from '../../src/accounts/members.ts';
import * as callables from '../../src/callables/index.ts';
import { auth } from '../../src/firebase.ts';
import { callableAs, rejection } from '../support/callables.ts';
import { newUser, seedAccount } from '../support/fixtures.ts';

const ACCOUNT = 'acct-m';

/**
 * Runs `meanwhile` once, right before the next transaction of the code under test starts: the
 * moment between a check made outside the transaction and the transaction's own reads.
 */
function beforeNextTransaction(meanwhile: () => Promise<unknown>): () => void {
  const proto = Firestore.prototype as unknown as { runTransaction: (...args: unknown[]) => Promise<unknown> };
  const original = proto.runTransaction;
  proto.runTransaction = async function (this: Firestore, ...args: unknown[]) {
    proto.runTransaction = original;
    await meanwhile();
    return original.apply(this, args);
  };
  return () => {
    proto.runTransaction = original;
  };
}

describe('accounts: members', function () {
  this.timeout(60_000);
  const role = async (uid: string) => (await testDb().doc(paths.member(ACCOUNT, uid)).get()).get('role');

  beforeEach(async () => {
    await clearFirestore();
    await seedAccount(testDb(), ACCOUNT, { a: 'admin', b: 'admin', c: 'admin' });
  });

  it('refuses uids Firestore reserves (., .., __x__) with invalid_argument, never internal', async () => {
    for (const uid of ['.', '..', '__x__', '__proto__']) {
      for (const [fn, data] of [
        [callables.addMember, { accountId: ACCOUNT, uid, role: 'viewer' }],
        [callables.removeMember, { accountId: ACCOUNT, uid }],
      ] as const) {
        const err = await rejection(callableAs(fn, data, { uid: 'a' }));
        assert.equal(err.details.code, 'invalid_argument', `${uid}: ${JSON.stringify(err)}`);
        assert.match(JSON.stringify(err.details), /uid/);
      }
    }
    // Characters a uid may contain are still fine where the whole id is valid.
    await callableAs(callables.addMember, { accountId: ACCOUNT, uid: '.a.', role: 'viewer' }, { uid: 'a' });
    assert.equal(await role('.a.'), 'viewer');
  });

  it('checks the caller’s role inside the write’s transaction: an admin removed meanwhile cannot act', async () => {
    // b was an admin when the request arrived; a removes b before b's write runs.
    const restore = beforeNextTransaction(() => testDb().doc(paths.member(ACCOUNT, 'b')).delete());
    try {
      await assert.rejects(
        addMember(testDb(), auth(), { uid: 'b', operator: false }, { accountId: ACCOUNT, uid: 'c', role: 'viewer' }),
        (err: { code?: string }) => err.code === 'permission_denied',
      );
    } finally {
      restore();
    }
    assert.equal(await role('c'), 'admin', 'the removed admin did not demote c');

    const again = beforeNextTransaction(() => testDb().doc(paths.member(ACCOUNT, 'b')).delete());
    try {
      await assert.rejects(
        removeMember(testDb(), { uid: 'b', operator: false }, { accountId: ACCOUNT, uid: 'c' }),
        (err: { code?: string }) => err.code === 'permission_denied',
      );
    } finally {
      again();
    }
    assert.equal(await role('c'), 'admin', 'the removed admin did not remove c');
  });

  it('adds by email only users who verified it; a missing and an unverified user get the same answer', async () => {
    const [unverified, verified] = await Promise.all([
      newUser('unverified'),
      newUser('verified', undefined, { emailVerified: true }),
    ]);
    const byEmail = (email: string) =>
      rejection(callableAs(callables.addMember, { accountId: ACCOUNT, email, role: 'viewer' }, { uid: 'a' }));
    const missing = await byEmail(`nobody-${Date.now()}@example.com`);
    const notVerified = await byEmail(unverified.email);
    assert.equal(missing.details.code, 'not_found');
    assert.deepEqual(
      { code: notVerified.code, message: notVerified.message, details: notVerified.details },
      { code: missing.code, message: missing.message, details: missing.details },
      'indistinguishable',
    );
    assert.equal(await role(unverified.uid), undefined);

    await callableAs(callables.addMember, { accountId: ACCOUNT, email: verified.email, role: 'viewer' }, { uid: 'a' });
    assert.equal(await role(verified.uid), 'viewer');
  });

  it('looks nobody up by email for a caller who is not an admin', async () => {
    const verified = await newUser('looked-up', undefined, { emailVerified: true });
    await testDb().doc(paths.member(ACCOUNT, 'agent-1')).set({ role: 'agent', uid: 'agent-1' });
    const asAgent = await rejection(
      callableAs(
        callables.addMember,
        { accountId: ACCOUNT, email: verified.email, role: 'viewer' },
        { uid: 'agent-1' },
      ),
    );
    const asAgentMissing = await rejection(
      callableAs(
        callables.addMember,
        { accountId: ACCOUNT, email: 'x@example.com', role: 'viewer' },
        { uid: 'agent-1' },
      ),
    );
    assert.equal(asAgent.details.code, 'permission_denied');
    assert.deepEqual(asAgent.details, asAgentMissing.details);
  });
});
