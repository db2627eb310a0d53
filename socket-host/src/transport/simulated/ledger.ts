/**
 * A record of every simulated socket's lifetime, for checks that span processes ("never two live
 * sockets for one account", I5). Each process's simulator counts its own sockets in memory; the
 * ledger makes those lifetimes visible to a test that runs several host processes:
 *
 *   _simulatedSockets/{accountId}~{socketId}   { accountId, socketId, hostId, pid, openedAt, closedAt }
 *
 * `openedAt` is taken when the socket is created (before it can do anything) and written before
 * it connects; `closedAt` when it ends. A process killed with SIGKILL leaves `closedAt` null: its
 * sockets died with it, at the kill time the test knows. Test/demo infrastructure only; never
 * read by the product, and denied to clients like everything not explicitly allowed.
 */
import { safeDocId } from '@wasync/shared';
import { type Firestore, Timestamp } from 'firebase-admin/firestore';

export const LEDGER_COLLECTION = '_simulatedSockets';

export interface SocketRecord {
  accountId: string;
  socketId: string;
  hostId: string;
  pid: number;
  openedAt: number;
  closedAt: number | null;
}

export interface SocketLedger {
  opened(record: SocketRecord): Promise<void>;
  closed(record: SocketRecord): Promise<void>;
}

export class FirestoreSocketLedger implements SocketLedger {
  constructor(private readonly db: Firestore) {}

  async opened(r: SocketRecord): Promise<void> {
    await this.#ref(r).set({ ...r, openedAt: Timestamp.fromMillis(r.openedAt), closedAt: null });
  }

  async closed(r: SocketRecord): Promise<void> {
    await this.#ref(r).set({ closedAt: Timestamp.fromMillis(r.closedAt ?? Date.now()) }, { merge: true });
  }

  #ref(r: SocketRecord) {
    return this.db.collection(LEDGER_COLLECTION).doc(safeDocId(r.accountId, r.socketId));
  }
}

/** Reads every record (tests). */
export async function readLedger(db: Firestore): Promise<SocketRecord[]> {
  const snap = await db.collection(LEDGER_COLLECTION).get();
  return snap.docs.map((d) => {
    const v = d.data();
    return {
      accountId: v.accountId,
      socketId: v.socketId,
      hostId: v.hostId,
      pid: v.pid,
      openedAt: (v.openedAt as Timestamp).toMillis(),
      closedAt: v.closedAt ? (v.closedAt as Timestamp).toMillis() : null,
    };
  });
}

/**
 * Pairs of sockets of one account whose lifetimes overlap. `closedAt` null counts as "until
 * `assumeClosedAt(record)`" (e.g. the kill time for a killed process, or +∞ for a live one).
 */
export function overlappingSockets(
  records: readonly SocketRecord[],
  assumeClosedAt: (r: SocketRecord) => number,
): [SocketRecord, SocketRecord][] {
  const byAccount = new Map<string, SocketRecord[]>();
  for (const r of records) byAccount.set(r.accountId, [...(byAccount.get(r.accountId) ?? []), r]);
  const overlaps: [SocketRecord, SocketRecord][] = [];
  for (const list of byAccount.values()) {
    const sorted = [...list].sort((a, b) => a.openedAt - b.openedAt);
    for (let i = 0; i < sorted.length; i++) {
      const a = sorted[i]!;
      const aEnd = a.closedAt ?? assumeClosedAt(a);
      for (const b of sorted.slice(i + 1)) {
        if (b.openedAt < aEnd) overlaps.push([a, b]);
      }
    }
  }
  return overlaps;
}
