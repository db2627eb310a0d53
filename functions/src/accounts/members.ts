/**
 * Account membership, managed by the account's admins (and operators): add a member or change
 * their role, remove a member. An account always keeps at least one admin, so it can never be
 * orphaned by its own admins (operators can still repair anything).
 *
 * The caller's role, the target's role and the last-admin check are all read in the transaction
 * that writes: an admin removed (or two admins demoting each other) between the check and the
 * write makes the transaction retry on the new data instead of acting on a stale role.
 */
import { AppError, type MemberDoc, paths } from '@wasync/shared';
import type { addMemberInput, MemberResult, RemoveMemberResult, removeMemberInput } from '@wasync/shared/client';
import type { Auth } from 'firebase-admin/auth';
import type { Firestore, Transaction } from 'firebase-admin/firestore';
import type { z } from 'zod';
import { authorize, type Caller } from '../access/authorize.js';
import { documents } from '../documents.js';

export async function addMember(
  db: Firestore,
  auth: Auth,
  caller: Caller,
  input: z.output<typeof addMemberInput>,
): Promise<MemberResult> {
  const { accountId, role } = input;
  let uid = input.uid;
  if (uid === undefined) {
    // Only an admin may learn whether an email belongs to a user: check before looking it up.
    await authorize(db, caller, accountId, 'admin');
    uid = await uidByEmail(auth, input.email!);
  }
  const ref = db.doc(paths.member(accountId, uid));
  await db.runTransaction(async (tx) => {
    await authorize(db, caller, accountId, 'admin', tx);
    const current = await tx.get(ref);
    if (current.get('role') === 'admin' && role !== 'admin') await assertNotLastAdmin(db, tx, accountId);
    const member: MemberDoc = { role, uid };
    tx.set(ref, documents.member.toFirestore(member));
  });
  return { accountId, uid, role };
}

export async function removeMember(
  db: Firestore,
  caller: Caller,
  input: z.output<typeof removeMemberInput>,
): Promise<RemoveMemberResult> {
  const { accountId, uid } = input;
  const ref = db.doc(paths.member(accountId, uid));
  const removed = await db.runTransaction(async (tx) => {
    await authorize(db, caller, accountId, 'admin', tx);
    const current = await tx.get(ref);
    if (!current.exists) return false;
    if (current.get('role') === 'admin') await assertNotLastAdmin(db, tx, accountId);
    tx.delete(ref);
    return true;
  });
  return { accountId, uid, removed };
}

/** Fails when the account has a single admin (the one about to be demoted or removed). */
async function assertNotLastAdmin(db: Firestore, tx: Transaction, accountId: string): Promise<void> {
  const members = db.doc(paths.account(accountId)).collection('members');
  const admins = await tx.get(members.where('role', '==', 'admin').limit(2));
  if (admins.size < 2) {
    throw new AppError('failed_precondition', `account ${accountId} needs at least one admin; add another admin first`);
  }
}

/**
 * The uid of the user whose verified email address is `email`. Anyone can sign up with any
 * address, so an unverified one proves nothing; a missing, unverified or disabled user gets the
 * same answer, so an admin cannot use this to learn who has an account in the project.
 */
async function uidByEmail(auth: Auth, email: string): Promise<string> {
  const user = await auth.getUserByEmail(email).catch((err: { code?: string }) => {
    if (err.code === 'auth/user-not-found') return undefined;
    throw err;
  });
  if (user === undefined || !user.emailVerified || user.disabled) {
    throw new AppError(
      'not_found',
      'no user has verified this email address; add them by uid, or ask them to verify it',
    );
  }
  return user.uid;
}
