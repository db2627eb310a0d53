/**
 * What the host knows about the fleet, kept current by Firestore listeners (no polling):
 * the accounts (and whether each is parked), the live hosts (heartbeats), and the leases.
 *
 * Listener data can lag a little; decisions built on it are checked by the lease compare-and-set,
 * so a stale view costs at most a failed claim, never a second owner.
 */
import { COLLECTIONS, isParkedConnectionState } from '@wasync/shared';
import type { Firestore, Timestamp } from 'firebase-admin/firestore';
import type { Logger } from '../log.ts';
import { fromDoc, type LeaseState } from './lease.ts';

export interface AccountView {
  id: string;
  state: string | undefined;
  parked: boolean;
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
        this.#sync(this.accounts, snap.docs, (d) => {
          const state = d.get('connection.state') as string | undefined;
          return { id: d.id, state, parked: isParkedConnectionState(state) };
        });
      }),
      this.#listen(COLLECTIONS.hosts, (snap) => {
        this.#sync(this.hosts, snap.docs, (d) => (d.get('heartbeatAt') as Timestamp | undefined)?.toMillis() ?? 0);
      }),
      this.#listen(COLLECTIONS.leases, (snap) => {
        this.#sync(this.leases, snap.docs, (d) => fromDoc(d.id, d.data()));
      }),
    ]).then(() => {});
  }

  /** Calls `listener` after every change of any of the three views. */
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

  #listen(collection: string, apply: (snap: FirebaseFirestore.QuerySnapshot) => void): Promise<void> {
    return new Promise((resolve) => {
      const subscribe = () => {
        if (this.#closed) return;
        const unsubscribe = this.db.collection(collection).onSnapshot(
          (snap) => {
            apply(snap);
            resolve();
            for (const l of this.#listeners) l();
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
