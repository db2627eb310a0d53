/**
 * The accounts a caller may see, ordered by account id: every account for operators; for anyone
 * else the accounts they are a member of, found with one collection-group query on `members`
 * (member documents repeat their uid in a `uid` field for this), then the page's account
 * documents in one `getAll`. A page reads at most `limit + 1` member documents plus `limit`
 * account documents.
 */
import { COLLECTIONS, paths } from '@wasync/shared';
import { type AccountItem, type ListAccountsResult, visibleAccount } from '@wasync/shared/client';
import type { Firestore } from 'firebase-admin/firestore';
import { type Caller, isMemberRole, isOperator } from '../access/authorize.js';
import { documents } from '../documents.js';
import { type PageRequest, readPage } from './page.js';
import { mayReadPairing, readPairings } from './pairing.js';

/** States in which an account may have pairing secrets (the host deletes them in any other). */
export const PAIRING_STATES: ReadonlySet<string> = new Set(['connecting', 'qr']);

export async function listAccounts(db: Firestore, caller: Caller, page: PageRequest): Promise<ListAccountsResult> {
  if (isOperator(caller)) {
    const { items, nextCursor } = await readPage(
      db.collection(COLLECTIONS.accounts),
      {
        scope: ['accounts', 'operator'],
        dir: 'asc',
        toItem: (doc): AccountItem =>
          visibleAccount(
            { ...documents.account.fromFirestore(doc.data()), accountId: doc.id, role: 'operator' },
            'operator',
          ),
      },
      page,
    );
    return withCursor({ accounts: await withPairings(db, items) }, nextCursor);
  }

  const { items: memberships, nextCursor } = await readPage(
    db.collectionGroup(COLLECTIONS.members).where('uid', '==', caller.uid),
    {
      scope: ['accounts', 'member', caller.uid],
      dir: 'asc',
      cursorId: (doc) => doc.ref.parent.parent!.id,
      startAfterKey: (accountId) => paths.member(accountId, caller.uid),
      toItem: (doc) => ({ accountId: doc.ref.parent.parent!.id, role: doc.get('role') as unknown }),
    },
    page,
  );
  const valid = memberships.filter((m) => isMemberRole(m.role));
  const accounts = valid.length === 0 ? [] : await db.getAll(...valid.map((m) => db.doc(paths.account(m.accountId))));
  const items: AccountItem[] = [];
  accounts.forEach((snapshot, i) => {
    // A membership can outlive its account (deleted by an operator): list only accounts that exist.
    if (!snapshot.exists) return;
    const role = valid[i]!.role as AccountItem['role'];
    items.push(
      visibleAccount({ ...documents.account.fromFirestore(snapshot.data()), accountId: snapshot.id, role }, role),
    );
  });
  return withCursor({ accounts: await withPairings(db, items) }, nextCursor);
}

/**
 * The pairing secrets (`private/pairing`) of the accounts on the page the caller administers and
 * that are pairing, in one batched read; nothing is read for anyone else.
 */
async function withPairings(db: Firestore, items: AccountItem[]): Promise<AccountItem[]> {
  const ids = items
    .filter((a) => mayReadPairing(a.role) && PAIRING_STATES.has(a.connection?.state))
    .map((a) => a.accountId);
  const pairings = await readPairings(db, ids);
  return items.map((a) => {
    const pairing = pairings.get(a.accountId);
    return pairing && mayReadPairing(a.role) ? { ...a, pairing } : a;
  });
}

function withCursor(result: ListAccountsResult, nextCursor: string | undefined): ListAccountsResult {
  return nextCursor === undefined ? result : { ...result, nextCursor };
}
