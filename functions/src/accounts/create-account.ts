/**
 * `createAccount`: registers a WhatsApp account (one phone number) to be synced and makes the
 * caller its admin. Pairing is a separate command (`startPairing`).
 *
 * Only operators (custom claim `operator: true`) may create accounts: accounts are the unit of
 * authorisation, so creating one is an administrative act, not a member's.
 *
 * Deleting an account document leaves its subcollections and server-side state behind (Firestore
 * deletes do not cascade). An explicit id that still has any of it is refused: creating it again
 * would hand the old members their access back, and the new account the old threads and
 * WhatsApp session.
 */
import { type AccountDoc, AppError, COLLECTIONS, type MemberDoc, paths } from '@wasync/shared';
import type { CreateAccountResult, createAccountInput } from '@wasync/shared/client';
import type { DocumentReference, Firestore, Query } from 'firebase-admin/firestore';
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
  if (input.accountId) await refuseLeftovers(db, accountRef);
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

/** What a deleted account can leave behind under its id: collections to probe for one document. */
function leftovers(db: Firestore, account: DocumentReference): Record<string, Query | DocumentReference> {
  const id = account.id;
  return {
    members: account.collection(COLLECTIONS.members).limit(1),
    threads: account.collection(COLLECTIONS.threads).limit(1),
    commands: account.collection(COLLECTIONS.commands).limit(1),
    lidPnPairs: account.collection(COLLECTIONS.lidPnPairs).limit(1),
    pendingUpdates: account.collection(COLLECTIONS.pendingUpdates).limit(1),
    authState: db.doc(paths.authState(id)),
    authStateKeys: db.doc(paths.authState(id)).collection('keys').limit(1),
    messageContent: db.collection(paths.messageContents(id)).limit(1),
    mediaSources: db.collection(paths.mediaSources(id)).limit(1),
  };
}

async function refuseLeftovers(db: Firestore, account: DocumentReference): Promise<void> {
  if ((await account.get()).exists) throw new AppError('already_exists', `account ${account.id} already exists`);
  const found: string[] = [];
  await Promise.all(
    Object.entries(leftovers(db, account)).map(async ([what, ref]) => {
      const snapshot = await ref.get();
      if ('exists' in snapshot ? snapshot.exists : !snapshot.empty) found.push(what);
    }),
  );
  if (found.length > 0) {
    throw new AppError(
      'already_exists',
      `account id ${account.id} still has data of a deleted account (${found.sort().join(', ')}); choose another id or purge it first`,
      { reason: 'leftover_data', found: found.sort() },
    );
  }
}
