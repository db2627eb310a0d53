/**
 * `createAccount`: registers a WhatsApp account (one phone number) to be synced and makes the
 * caller its admin. Pairing is a separate command (`startPairing`).
 *
 * Only operators (custom claim `operator: true`) may create accounts: accounts are the unit of
 * authorisation, so creating one is an administrative act, not a member's.
 */
import { type AccountDoc, AppError, type MemberDoc, paths } from '@wasync/shared';
import type { CreateAccountResult, createAccountInput } from '@wasync/shared/client';
import type { Firestore } from 'firebase-admin/firestore';
import type { z } from 'zod';
import { type Caller, isOperator } from '../access/authorize.js';
import { documents } from '../documents.js';
import { isAlreadyExists } from '../firebase.js';

export async function createAccount(
  db: Firestore,
  caller: Caller,
  input: z.output<typeof createAccountInput>,
): Promise<CreateAccountResult> {
  if (!isOperator(caller)) throw new AppError('permission_denied', 'only operators can create accounts');
  const accountRef = input.accountId ? db.doc(paths.account(input.accountId)) : db.collection('accounts').doc();
  const account: AccountDoc = { displayName: input.displayName, connection: { state: 'idle', updatedAt: Date.now() } };
  const member: MemberDoc = { role: 'admin', uid: caller.uid };
  // One batch: the account never exists without its admin. `create` fails the whole batch with
  // ALREADY_EXISTS when the id is taken — atomic on both Firestore backends, unlike a
  // read-then-write transaction, which the embedded emulator does not isolate.
  const batch = db.batch();
  batch.create(accountRef, documents.account.toFirestore(account));
  batch.set(db.doc(paths.member(accountRef.id, caller.uid)), documents.member.toFirestore(member));
  try {
    await batch.commit();
  } catch (err) {
    if (isAlreadyExists(err)) {
      throw new AppError('already_exists', `account ${accountRef.id} already exists`);
    }
    throw err;
  }
  return { accountId: accountRef.id, displayName: account.displayName, connection: { state: 'idle' } };
}
