/**
 * An account's members for its admins (`GET /api/whatsapp/dashboard/members/:accountId`): what
 * the page lists so that an admin can change a role or remove someone (the `addMember` and
 * `removeMember` callables take a uid). Emails come from Firebase Auth, since admins know people
 * by email; a uid without a user (deleted in Auth) is listed without one.
 */
import { isValidDocId, paths } from '@wasync/shared';
import type { Auth } from 'firebase-admin/auth';
import type { Firestore } from 'firebase-admin/firestore';
import { authorize, type Caller, isMemberRole } from '../access/authorize.js';
import type { DashboardMember, DashboardMembers } from './contract.js';

/** More members than an account has in practice; the page lists at most this many. */
export const MAX_MEMBERS = 200;
/** `getUsers` takes at most 100 identifiers per call. */
const AUTH_BATCH = 100;

export async function dashboardMembers(
  db: Firestore,
  auth: Auth,
  caller: Caller,
  accountId: string,
): Promise<DashboardMembers> {
  await authorize(db, caller, accountId, 'admin');
  const snapshot = await db.doc(paths.account(accountId)).collection('members').limit(MAX_MEMBERS).get();
  const members: DashboardMember[] = [];
  for (const doc of snapshot.docs) {
    const role: unknown = doc.get('role');
    if (isMemberRole(role)) members.push({ uid: doc.id, role });
  }
  const emails = await emailsOf(
    auth,
    members.map((m) => m.uid),
  );
  return {
    accountId,
    members: members.map((m) => (emails.has(m.uid) ? { ...m, email: emails.get(m.uid)! } : m)),
  };
}

async function emailsOf(auth: Auth, uids: string[]): Promise<Map<string, string>> {
  const emails = new Map<string, string>();
  // Auth refuses uids over 128 characters; such a membership can belong to no user anyway.
  const lookups = uids.filter((uid) => uid.length <= 128 && isValidDocId(uid));
  for (let i = 0; i < lookups.length; i += AUTH_BATCH) {
    const { users } = await auth.getUsers(lookups.slice(i, i + AUTH_BATCH).map((uid) => ({ uid })));
    for (const user of users) if (user.email) emails.set(user.uid, user.email);
  }
  return emails;
}
