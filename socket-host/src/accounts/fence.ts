/**
 * Fenced writes: a write that matters (auth state, connection state) runs in a transaction that
 * first reads the account's lease and goes ahead only if this host still holds it under the same
 * epoch. A host that lost the account (paused, partitioned, slow) therefore cannot overwrite what
 * the new owner wrote, even with writes that were already queued when it lost it.
 */
import { paths } from '@wasync/shared';
import type { DocumentReference, DocumentSnapshot, Firestore, Transaction } from 'firebase-admin/firestore';
import { LeaseLostError } from './lease-errors.ts';

export interface Fence {
  readonly accountId: string;
  /** The lease epoch this fence checks; 0 for `unfenced`. */
  readonly epoch: number;
  /**
   * Runs `write` after checking the lease inside the same transaction; throws LeaseLostError if it
   * moved. `read`: documents the write needs, read in the same round trip as the lease (one read
   * less per transaction than reading them in `write`); their snapshots are `write`'s second argument.
   */
  run<T>(
    write: (tx: Transaction, snapshots: DocumentSnapshot[]) => Promise<T> | T,
    read?: readonly DocumentReference[],
    options?: FenceRunOptions,
  ): Promise<T>;
}

export interface FenceRunOptions {
  /**
   * `write` only stages writes on the transaction (no reads, nothing outside it that needs the
   * lease), so it may run while the lease is still being read: a large commit's writes are built
   * during that round trip — and, behind another transaction holding the lease document, during
   * that one's commit — instead of after it. A moved lease still fails the transaction before
   * anything it staged is sent. Without `read` only; a fence may ignore it.
   */
  stageWhileChecking?: boolean;
}

/** The lease fields a fence compares. */
interface LeaseHeadFields {
  holder?: string | null;
  epoch?: number;
}

export function leaseFence(
  db: Firestore,
  accountId: string,
  holder: string,
  epoch: number,
  /** Local check first (e.g. the renewal deadline): no point asking Firestore once it says no. */
  stillValid: () => boolean = () => true,
  /** Told when a write finds the lease moved: the owner must stop the socket now, not at its next renewal. */
  onLost: (err: LeaseLostError) => void = () => {},
): Fence {
  const ref = db.doc(paths.lease(accountId));
  return {
    accountId,
    epoch,
    run: (write, read = [], options = {}) => {
      if (!stillValid()) return Promise.reject(new LeaseLostError(accountId, epoch, 'lease no longer valid locally'));
      const check = (lease: DocumentSnapshot | undefined) => {
        const head = lease!.data() as LeaseHeadFields | undefined;
        if (head?.holder !== holder || head.epoch !== epoch) {
          const err = new LeaseLostError(
            accountId,
            epoch,
            `lease is now ${head ? `epoch ${head.epoch} held by ${head.holder ?? 'nobody'}` : 'gone'}`,
          );
          onLost(err);
          throw err;
        }
      };
      return db.runTransaction(async (tx) => {
        // Issued before any write is staged: Firestore transactions read first.
        const reading = tx.getAll(ref, ...read);
        if (options.stageWhileChecking && read.length === 0) return stagedWhileChecking(tx, write, reading, check);
        const [lease, ...snapshots] = await reading;
        check(lease);
        return write(tx, snapshots);
      });
    },
  };
}

/**
 * `write` run at once, while `reading` (the lease) is in flight; the lease is checked before
 * `write`'s result (or failure) counts, so a moved lease wins over anything `write` did or threw.
 */
async function stagedWhileChecking<T>(
  tx: Transaction,
  write: (tx: Transaction, snapshots: DocumentSnapshot[]) => Promise<T> | T,
  reading: Promise<DocumentSnapshot[]>,
  check: (lease: DocumentSnapshot | undefined) => void,
): Promise<T> {
  let staged: Promise<T>;
  try {
    staged = Promise.resolve(write(tx, []));
  } catch (err) {
    staged = Promise.reject(err);
  }
  staged.catch(() => {}); // settled below, after the lease check
  const [lease] = await reading;
  check(lease);
  return staged;
}

/** A plain transaction, for tools and tests that run outside any lease. */
export function unfenced(db: Firestore, accountId: string): Fence {
  return {
    accountId,
    epoch: 0,
    run: (write, read = []) =>
      db.runTransaction(async (tx) => write(tx, read.length > 0 ? await tx.getAll(...read) : [])),
  };
}
