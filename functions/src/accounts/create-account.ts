/**
 * `createAccount` callable: registers a WhatsApp account (one phone number) to be synced and makes
 * the caller its admin. Pairing is a separate command once the socket host exists.
 *
 * Only operators (custom claim `operator: true`) may create accounts: accounts are the unit of
 * authorisation, so creating one is an administrative act, not a member's.
 */
import { type AccountDoc, AppError, type MemberDoc, paths } from '@wasync/shared';
import { z } from 'zod';
import { firestore } from '../firebase.js';

const GRPC_ALREADY_EXISTS = 6;

export const createAccountInput = z
  .object({
    accountId: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{2,62}$/, 'lowercase letters, digits and dashes, 3–63 characters')
      .optional(),
    displayName: z.string().trim().min(1).max(100),
  })
  .strict();

export async function createAccount(
  input: z.output<typeof createAccountInput>,
  caller: { uid: string; claims: Record<string, unknown> },
) {
  if (caller.claims.operator !== true) {
    throw new AppError('permission_denied', 'only operators can create accounts');
  }
  const db = firestore();
  const accountRef = input.accountId ? db.doc(paths.account(input.accountId)) : db.collection('accounts').doc();
  const now = Date.now();
  const account: AccountDoc = { displayName: input.displayName, connection: { state: 'idle', updatedAt: now } };
  const member: MemberDoc = { role: 'admin' };
  // One batch: the account never exists without its admin. `create` fails the whole batch with
  // ALREADY_EXISTS when the id is taken — atomic on both Firestore backends, unlike a
  // read-then-write transaction, which the embedded emulator does not isolate.
  const batch = db.batch();
  batch.create(accountRef, toFirestore(account));
  batch.set(db.doc(paths.member(accountRef.id, caller.uid)), member);
  try {
    await batch.commit();
  } catch (err) {
    if ((err as { code?: number }).code === GRPC_ALREADY_EXISTS) {
      throw new AppError('already_exists', `account ${accountRef.id} already exists`);
    }
    throw err;
  }
  const stored = (await accountRef.get()).data();
  return { accountId: accountRef.id, displayName: stored?.displayName, connection: { state: 'idle' } };
}

function toFirestore(account: AccountDoc) {
  return { ...account, connection: { ...account.connection, updatedAt: new Date(account.connection.updatedAt) } };
}
