/**
 * Which socket host holds each account, from the account leases (`leases/{accountId}`, server
 * only, written by the hosts: socket-host/src/accounts/lease.ts). The dashboard shows the holder,
 * since when it holds the account, and until when its lease runs: a lease that has run out while
 * naming a holder means that host stopped renewing (it died or lost Firestore).
 */
import { type EpochMs, paths } from '@wasync/shared';
import { type Firestore, Timestamp } from 'firebase-admin/firestore';

export interface AccountHost {
  /** Host id of the holder (`HOST_ID`); null when the last holder released the account. */
  holder: string | null;
  /** Fencing epoch: grows by one with every change of holder. */
  epoch: number;
  /** When the holder took the account; for a released lease, when it was released. */
  since: EpochMs;
  /** When the lease runs out unless renewed (every LEASE_TTL_MS/3 by a live holder). */
  expiresAt: EpochMs;
}

/** The lease of each account that has one, in one batched read. */
export async function readHosts(db: Firestore, accountIds: readonly string[]): Promise<Map<string, AccountHost>> {
  const found = new Map<string, AccountHost>();
  if (accountIds.length === 0) return found;
  const snapshots = await db.getAll(...accountIds.map((id) => db.doc(paths.lease(id))));
  for (const snapshot of snapshots) {
    if (!snapshot.exists) continue;
    const holder = snapshot.get('holder');
    const held = typeof holder === 'string' && holder !== '';
    found.set(snapshot.id, {
      holder: held ? holder : null,
      epoch: Number(snapshot.get('epoch') ?? 0),
      since: millis(snapshot.get(held ? 'acquiredAt' : 'renewedAt')),
      expiresAt: millis(snapshot.get('expiresAt')),
    });
  }
  return found;
}

function millis(value: unknown): EpochMs {
  return value instanceof Timestamp ? value.toMillis() : 0;
}
