/**
 * Account leases: at most one host owns an account at a time, and each change of owner gets a
 * higher fencing epoch.
 *
 *   leases/{accountId}                 the lease: holder, epoch, seq, expiresAt, …  (server only)
 *   leases/{accountId}/versions/{seq}  the lease as each change left it, created and never rewritten
 *
 * Every change (claim, takeover, renewal, release) is a compare-and-set on `seq`: the writer read
 * the lease at `seq` and commits `create(versions/{seq+1})` together with the new lease. `create`
 * fails when the document exists, so of all writers that read the same `seq` exactly one commits;
 * the others learn it at once (ALREADY_EXISTS) instead of both believing they own the account.
 * This needs no transaction isolation and no `lastUpdateTime` precondition (neither worked in the
 * embedded test Firestore when this was written); a commit is all-or-nothing. The create is the
 * commit's FIRST write anyway: a store that applies a commit's writes in order and stops at the
 * first failure (the unpatched embedded emulator did) then still writes nothing for a lost race.
 *
 * A holder keeps its lease through HeldLease (held-lease.ts): renewal, the local deadline that
 * closes the socket before anyone else may take the account, and the report of a loss. A renewal
 * that races a takeover loses the compare-and-set, so the old holder learns of the takeover at its
 * next renewal at the latest, and fenced writes (fence.ts) already refuse it from the moment of
 * the takeover.
 *
 * Why not a plain transaction (read the head, check, write) now that the test Firestore isolates
 * transactions: a takeover follows a dead holder, and a dead client's open transactions keep
 * their locks until they time out (30 s in the embedded emulator) — a transactional takeover would
 * wait for the fenced writes the dead host left open, past TTL + 5 s, where the emulator lets a
 * batch commit abort them. The versions are also the lease's history (the fleet test checks one
 * holder per epoch from it). Parked accounts are checked after the claim instead (ownership.ts).
 */
import { paths } from '@wasync/shared';
import { type DocumentData, type Firestore, Timestamp } from 'firebase-admin/firestore';
import { type Fence, leaseFence } from './fence.ts';
import { LeaseLostError } from './lease-errors.ts';

/** gRPC status of a failed `create`. */
const ALREADY_EXISTS = 6;
/**
 * Version documents kept per account. A commit built on a read older than this many changes would
 * re-create a deleted version; changes come every ttl/3 at most and a commit waits seconds at
 * most, so 64 is far beyond reach.
 */
export const KEEP_VERSIONS = 64;

export interface LeaseState {
  accountId: string;
  /** Host id of the owner; null once released. */
  holder: string | null;
  /** Fencing epoch: grows by one on every change of owner (claims after a release included). */
  epoch: number;
  /** Version of this lease document; every change increments it (compare-and-set). */
  seq: number;
  expiresAt: number;
  acquiredAt: number;
  renewedAt: number;
}

export interface LeaseStoreOptions {
  hostId: string;
  ttlMs: number;
  now?: () => number;
}

export class LeaseStore {
  readonly hostId: string;
  readonly ttlMs: number;
  readonly now: () => number;

  constructor(
    readonly db: Firestore,
    options: LeaseStoreOptions,
  ) {
    this.hostId = options.hostId;
    this.ttlMs = options.ttlMs;
    this.now = options.now ?? Date.now;
  }

  async read(accountId: string): Promise<LeaseState | undefined> {
    const snap = await this.db.doc(paths.lease(accountId)).get();
    if (snap.exists) return fromDoc(accountId, snap.data()!);
    // No head: a new account, an operator deleted it, or — racing a first claim — it is being
    // created right now. Every version document holds the whole lease it created, so the latest
    // one is the lease either way (a claim that landed between the two reads is seen here).
    const last = await this.db
      .collection(`${paths.lease(accountId)}/versions`)
      .orderBy('seq', 'desc')
      .limit(1)
      .get();
    const v = last.docs[0]?.data();
    return v ? fromDoc(accountId, v) : undefined;
  }

  /**
   * Whether this host may take `lease` now: nobody holds it, it expired, or it names this host
   * but this process does not hold it (a previous run of the same HOST_ID, which must be dead
   * because host ids are unique per running instance).
   */
  claimable(lease: LeaseState | undefined, heldHere: boolean): boolean {
    if (!lease || lease.holder === null) return true;
    if (lease.expiresAt <= this.now()) return true;
    return lease.holder === this.hostId && !heldHere;
  }

  /** Claims or takes over the account; undefined when it is not claimable or another host won. */
  async claim(accountId: string, observed: LeaseState | undefined): Promise<LeaseState | undefined> {
    if (!this.claimable(observed, false)) return undefined;
    const start = this.now();
    const next = {
      accountId,
      holder: this.hostId,
      epoch: (observed?.epoch ?? 0) + 1,
      expiresAt: start + this.ttlMs,
      acquiredAt: start,
      renewedAt: start,
    };
    const result = await this.#compareAndSet(observed, next);
    return result === 'conflict' ? undefined : result;
  }

  /** Extends the lease; throws LeaseLostError when another host changed it. */
  async renew(current: LeaseState): Promise<LeaseState> {
    let base = current;
    for (let attempt = 0; attempt < 3; attempt++) {
      const start = this.now();
      const result = await this.#compareAndSet(base, { ...base, expiresAt: start + this.ttlMs, renewedAt: start });
      if (result !== 'conflict') return result;
      // Someone changed it since `base`. Only our own earlier write (a commit that failed ambiguously
      // but landed) leaves it ours under the same epoch; anything else is a takeover.
      const head = await this.read(current.accountId);
      if (!head || head.holder !== this.hostId || head.epoch !== current.epoch) {
        throw new LeaseLostError(current.accountId, current.epoch, describe(head));
      }
      base = head;
    }
    throw new LeaseLostError(current.accountId, current.epoch, 'lease keeps changing under this host');
  }

  /** Gives the account up so another host can take it at once; a no-op if it is no longer ours. */
  async release(current: LeaseState): Promise<void> {
    let base: LeaseState | undefined = current;
    for (let attempt = 0; attempt < 3 && base; attempt++) {
      const now = this.now();
      const result = await this.#compareAndSet(base, { ...base, holder: null, expiresAt: now, renewedAt: now });
      if (result !== 'conflict') return;
      const head: LeaseState | undefined = await this.read(current.accountId);
      base = head?.holder === this.hostId && head.epoch === current.epoch ? head : undefined;
    }
  }

  /** Writes that check, in the same transaction, that `lease` is still this host's (see fence.ts). */
  fence(lease: LeaseState, stillValid?: () => boolean, onLost?: (err: LeaseLostError) => void): Fence {
    return leaseFence(this.db, lease.accountId, this.hostId, lease.epoch, stillValid, onLost);
  }

  async #compareAndSet(
    observed: LeaseState | undefined,
    next: Omit<LeaseState, 'seq'>,
  ): Promise<LeaseState | 'conflict'> {
    const seq = (observed?.seq ?? 0) + 1;
    const head = this.db.doc(paths.lease(next.accountId));
    const versions = head.collection('versions');
    const batch = this.db.batch();
    const doc = toDoc({ ...next, seq });
    batch.create(versions.doc(versionId(seq)), doc);
    batch.set(head, doc);
    if (seq > KEEP_VERSIONS) batch.delete(versions.doc(versionId(seq - KEEP_VERSIONS)));
    try {
      await batch.commit();
    } catch (err) {
      if ((err as { code?: number }).code === ALREADY_EXISTS) return 'conflict';
      throw err;
    }
    return { ...next, seq };
  }
}

function versionId(seq: number): string {
  // Zero-padded so the ids sort like the numbers (operators browsing the console).
  return String(seq).padStart(12, '0');
}

function describe(head: LeaseState | undefined): string {
  return head ? `now epoch ${head.epoch} held by ${head.holder ?? 'nobody'}` : 'lease document gone';
}

function toDoc(lease: LeaseState) {
  return {
    accountId: lease.accountId,
    holder: lease.holder,
    epoch: lease.epoch,
    seq: lease.seq,
    expiresAt: Timestamp.fromMillis(lease.expiresAt),
    acquiredAt: Timestamp.fromMillis(lease.acquiredAt),
    renewedAt: Timestamp.fromMillis(lease.renewedAt),
  };
}

export function fromDoc(accountId: string, data: DocumentData): LeaseState {
  const ms = (v: unknown) => (v instanceof Timestamp ? v.toMillis() : Number(v ?? 0));
  return {
    accountId,
    holder: (data.holder as string | null | undefined) ?? null,
    epoch: Number(data.epoch ?? 0),
    seq: Number(data.seq ?? 0),
    expiresAt: ms(data.expiresAt),
    acquiredAt: ms(data.acquiredAt),
    renewedAt: ms(data.renewedAt),
  };
}
