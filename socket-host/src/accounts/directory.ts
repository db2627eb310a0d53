/**
 * What the host knows about the fleet: the accounts (and whether each is parked) through a
 * Firestore listener, so a new or un-parked account is picked up within a moment without polling;
 * the live hosts (heartbeats) and the leases through one query each per ownership round, because
 * both change on a timer anyway (every renewal) and a listener would only add a stream of updates
 * nobody waits for.
 *
 * The view can lag a little; decisions built on it are checked by the lease compare-and-set, so a
 * stale view costs at most a failed claim, never a second owner — and a claim re-reads the account
 * (`reread`) before running it, so a stale view never runs (un-parks) a parked account either.
 */
import { COLLECTIONS, isParkedConnectionState, paths } from '@wasync/shared';
import type { DocumentSnapshot, Firestore, Timestamp } from 'firebase-admin/firestore';
import type { Logger } from '../log.ts';
import { fromDoc, type LeaseState } from './lease.ts';

export interface AccountView {
  id: string;
  state: string | undefined;
  parked: boolean;
  /** Showing a QR (or waiting for a pairing code to be typed), or logging in for the first time after it. */
  pairing: boolean;
  /** The pipeline's history sync progress (`historySync`), when the account has one. */
  historySync: { progress: number | null; updatedAt: number } | undefined;
}

/**
 * A history sync whose last chunk is older than this is over (or paused: WhatsApp itself calls a
 * RECENT sync paused after 120 s without a chunk, Baileys' HISTORY_SYNC_PAUSED_TIMEOUT_MS).
 */
export const HISTORY_SYNC_QUIET_MS = 120_000;

/** The account as ownership sees it. */
export function accountView(d: DocumentSnapshot): AccountView {
  const state = d.get('connection.state') as string | undefined;
  const syncedAt = d.get('historySync.updatedAt') as Timestamp | undefined;
  return {
    id: d.id,
    state,
    parked: isParkedConnectionState(state),
    pairing: state === 'qr' || (state === 'connecting' && !d.get('me.id')),
    historySync: syncedAt
      ? {
          progress: (d.get('historySync.progress') as number | null | undefined) ?? null,
          updatedAt: syncedAt.toMillis(),
        }
      : undefined,
  };
}

/**
 * Whether moving the account to another host now costs nothing: not while it pairs (the QR or the
 * code on the phone belongs to this socket) nor while a history sync streams in (WhatsApp sends
 * it once, to the socket that is connected).
 */
export function isMovable(view: AccountView | undefined, now: number): boolean {
  if (!view) return true;
  if (view.pairing) return false;
  const sync = view.historySync;
  return !sync || sync.progress === 100 || now - sync.updatedAt >= HISTORY_SYNC_QUIET_MS;
}

/** Re-subscribe this long after a listener failed (listeners end on error). */
const RESUBSCRIBE_MS = 2_000;

export class Directory {
  readonly accounts = new Map<string, AccountView>();
  readonly hosts = new Map<string, number>();
  readonly leases = new Map<string, LeaseState>();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #listeners = new Set<() => void>();
  readonly ready: Promise<void>;
  #closed = false;

  constructor(
    private readonly db: Firestore,
    private readonly log: Logger,
  ) {
    this.ready = Promise.all([
      this.#listen(COLLECTIONS.accounts, (snap) => {
        const before = this.#wantedKey();
        this.#sync(this.accounts, snap.docs, accountView);
        // Only a change of which accounts should run matters to ownership (not every state change).
        return this.#wantedKey() !== before;
      }),
      this.refresh(),
    ]).then(() => {});
  }

  /** Re-reads the heartbeats and the leases (two queries). */
  async refresh(): Promise<void> {
    const [hosts, leases] = await Promise.all([
      this.db.collection(COLLECTIONS.hosts).get(),
      this.db.collection(COLLECTIONS.leases).get(),
    ]);
    this.#sync(this.hosts, hosts.docs, (d) => (d.get('heartbeatAt') as Timestamp | undefined)?.toMillis() ?? 0);
    this.#sync(this.leases, leases.docs, (d) => fromDoc(d.id, d.data()));
  }

  /**
   * Reads the account now (not from the listener, which may lag) and updates the view with it;
   * undefined when the account is gone.
   */
  async reread(accountId: string): Promise<AccountView | undefined> {
    const snap = await this.db.doc(paths.account(accountId)).get();
    if (!snap.exists) {
      this.accounts.delete(accountId);
      return undefined;
    }
    const view = accountView(snap);
    this.accounts.set(accountId, view);
    return view;
  }

  /** Whether the account may move to another host now (see `isMovable`). */
  movable(accountId: string, now: number): boolean {
    return isMovable(this.accounts.get(accountId), now);
  }

  /** Calls `listener` after every change of the accounts. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Accounts that some host should run (not parked). */
  wanted(): string[] {
    return [...this.accounts.values()].filter((a) => !a.parked).map((a) => a.id);
  }

  /** Hosts whose heartbeat is newer than `staleAfterMs`, plus `self` (which may not have beaten yet). */
  liveHosts(self: string, now: number, staleAfterMs: number): string[] {
    const live = new Set([self]);
    for (const [id, beatAt] of this.hosts) if (now - beatAt <= staleAfterMs) live.add(id);
    return [...live];
  }

  /** Unexpired leases per holder. */
  heldBy(now: number): Map<string, number> {
    const counts = new Map<string, number>();
    for (const lease of this.leases.values()) {
      if (lease.holder && lease.expiresAt > now) counts.set(lease.holder, (counts.get(lease.holder) ?? 0) + 1);
    }
    return counts;
  }

  close(): void {
    this.#closed = true;
    for (const u of this.#unsubscribe.splice(0)) u();
  }

  #wantedKey(): string {
    return this.wanted().sort().join('\n');
  }

  #listen(collection: string, apply: (snap: FirebaseFirestore.QuerySnapshot) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const subscribe = () => {
        if (this.#closed) return;
        const unsubscribe = this.db.collection(collection).onSnapshot(
          (snap) => {
            const changed = apply(snap);
            resolve();
            if (changed) for (const l of this.#listeners) l();
          },
          (err) => {
            this.log.warn({ err, collection }, 'listener failed; re-subscribing');
            setTimeout(subscribe, RESUBSCRIBE_MS).unref();
          },
        );
        this.#unsubscribe.push(unsubscribe);
      };
      subscribe();
    });
  }

  #sync<T>(
    map: Map<string, T>,
    docs: FirebaseFirestore.QueryDocumentSnapshot[],
    view: (d: FirebaseFirestore.QueryDocumentSnapshot) => T,
  ): void {
    map.clear();
    for (const d of docs) map.set(d.id, view(d));
  }
}
