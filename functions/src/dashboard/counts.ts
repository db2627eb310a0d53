/**
 * Thread and message counts per account, with Firestore's aggregate `count()` (billed one read
 * per 1000 index entries counted, never a scan of the documents): threads in
 * `accounts/{id}/threads`, messages with a collection-group count on `messages` where
 * `accountId ==` (served by the collection-group index on `messages.accountId`).
 *
 * The dashboard asks every ~2 s; counts change slowly and a count of a large account costs a read
 * per thousand messages, so each function instance keeps an account's counts for `ttlMs` and
 * says when they were counted. Concurrent requests for one account share one count.
 */
import { COLLECTIONS, type EpochMs, paths } from '@wasync/shared';
import type { Firestore } from 'firebase-admin/firestore';

export interface AccountCounts {
  threads: number;
  messages: number;
  countedAt: EpochMs;
}

export async function countAccount(
  db: Firestore,
  accountId: string,
  now: EpochMs = Date.now(),
): Promise<AccountCounts> {
  const [threads, messages] = await Promise.all([
    db.collection(paths.threads(accountId)).count().get(),
    db.collectionGroup(COLLECTIONS.messages).where('accountId', '==', accountId).count().get(),
  ]);
  return { threads: threads.data().count, messages: messages.data().count, countedAt: now };
}

export const COUNTS_TTL_MS = 15_000;

export class CountCache {
  readonly #entries = new Map<string, { at: EpochMs; counts: Promise<AccountCounts> }>();

  constructor(
    private readonly ttlMs = COUNTS_TTL_MS,
    private readonly now: () => EpochMs = Date.now,
  ) {}

  get(db: Firestore, accountId: string): Promise<AccountCounts> {
    const now = this.now();
    const cached = this.#entries.get(accountId);
    if (cached && now - cached.at < this.ttlMs) return cached.counts;
    this.#prune(now);
    const counts = countAccount(db, accountId, now);
    const entry = { at: now, counts };
    this.#entries.set(accountId, entry);
    // A failed count is not kept: the next request tries again.
    counts.catch(() => {
      if (this.#entries.get(accountId) === entry) this.#entries.delete(accountId);
    });
    return counts;
  }

  /** Drops expired entries, so accounts deleted long ago do not stay in memory. */
  #prune(now: EpochMs): void {
    for (const [accountId, entry] of this.#entries) {
      if (now - entry.at >= this.ttlMs) this.#entries.delete(accountId);
    }
  }
}
