/**
 * Who is calling, as of now. An ID token lives up to an hour and carries the custom claims its
 * user had when it was issued. For members that is harmless (their role is read from Firestore on
 * every request), but an operator may do anything on every account: removing the claim or
 * disabling the user must take effect at once. So a token that claims `operator: true` is
 * confirmed against Firebase Auth on every request — one Auth lookup, operators only.
 *
 * The claim counts only when it is exactly `true`, in the token and in Auth: `"true"`, `1` or
 * `"false"` grant nothing.
 */
import { AppError } from '@wasync/shared';
import type { UserRecord } from 'firebase-admin/auth';

/** The verified identity of a caller. */
export interface Caller {
  uid: string;
  /** Holds the operator claim right now (token and Firebase Auth agree). */
  operator: boolean;
}

/** The user as Firebase Auth has them now; undefined when the user no longer exists. */
export type LookupUser = (uid: string) => Promise<Pick<UserRecord, 'disabled' | 'customClaims'> | undefined>;

/** `lookupUser` backed by firebase-admin's `getUser`. */
export function authLookup(getUser: (uid: string) => Promise<UserRecord>): LookupUser {
  return (uid) =>
    getUser(uid).catch((err: { code?: string }) => {
      if (err.code === 'auth/user-not-found') return undefined;
      throw err;
    });
}

/** The caller of a verified ID token (`claims` are its payload). */
export async function callerOf(uid: string, claims: Record<string, unknown>, lookupUser: LookupUser): Promise<Caller> {
  if (claims.operator !== true) return { uid, operator: false };
  const user = await lookupUser(uid);
  if (user === undefined || user.disabled) {
    throw new AppError('unauthenticated', 'this user is disabled or deleted', { reason: 'user_disabled' });
  }
  return { uid, operator: user.customClaims?.operator === true };
}
