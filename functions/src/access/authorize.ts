/**
 * Who may do what on an account (DESIGN I7). One membership document per user and account,
 * `accounts/{accountId}/members/{uid}` with a role; roles are cumulative:
 *
 *   viewer — reads the account, its threads and messages
 *   agent  — also sends and requests backfills
 *   admin  — also manages the account: pairing, logout, members
 *
 * Operators (custom claim `operator: true`, confirmed against Firebase Auth per request, see
 * caller.ts) may do anything on every account, and only they create accounts. Membership is read
 * per request rather than carried in a claim so that removing a member takes effect at once, not
 * at the next ID-token refresh.
 */
import { AppError, isValidDocId, MEMBER_ROLES, type MemberRole, paths } from '@wasync/shared';
import type { DocumentReference, DocumentSnapshot, Firestore, Transaction } from 'firebase-admin/firestore';
import type { Caller } from './caller.js';

export type { Caller } from './caller.js';

/** The role a caller acts with on one account. */
export type Access = MemberRole | 'operator';

const RANK: Record<Access, number> = { viewer: 1, agent: 2, admin: 3, operator: 4 };

export function isOperator(caller: Caller): boolean {
  return caller.operator;
}

export function isMemberRole(value: unknown): value is MemberRole {
  return typeof value === 'string' && (MEMBER_ROLES as readonly string[]).includes(value);
}

/** Whether `role` includes everything `need` may do. */
export function roleAllows(role: Access, need: MemberRole): boolean {
  return RANK[role] >= RANK[need];
}

/**
 * The caller's role on `accountId` if it allows `need`; otherwise `permission_denied` (also for
 * accounts that do not exist, so non-members learn nothing about which ids exist). Operators get
 * `not_found` for a missing account instead. Costs one document read, made in `tx` when given so
 * that a write depending on the role cannot commit after the role changed.
 */
export async function authorize(
  db: Firestore,
  caller: Caller,
  accountId: string,
  need: MemberRole,
  tx?: Transaction,
): Promise<Access> {
  const read = (ref: DocumentReference): Promise<DocumentSnapshot> => (tx ? tx.get(ref) : ref.get());
  if (isOperator(caller)) {
    if (!(await read(db.doc(paths.account(accountId)))).exists) {
      throw new AppError('not_found', `account ${accountId} does not exist`);
    }
    return 'operator';
  }
  // A uid that is no valid document id can be no member (and must not build a different path).
  const member = isValidDocId(caller.uid) ? await read(db.doc(paths.member(accountId, caller.uid))) : undefined;
  const role: unknown = member?.get('role');
  if (!isMemberRole(role)) throw new AppError('permission_denied', `you are not a member of account ${accountId}`);
  if (!roleAllows(role, need)) {
    throw new AppError('permission_denied', `this needs the ${need} role on account ${accountId}; you are ${role}`);
  }
  return role;
}
