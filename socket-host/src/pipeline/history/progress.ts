/**
 * History sync progress on the account document — `historySync{ syncType, progress, chunks,
 * messages, isLatest, updatedAt }` and `lastHistorySyncAt` — written at most once per second
 * (Firestore sustains about one write per second per document; a full sync brings chunks faster),
 * always ending with the latest state. One log line per chunk says where the import is.
 *
 * `chunks` and `messages` count what this account imported over its life: they continue from the
 * stored values when a host takes the account over.
 */
import { type AccountDoc, paths } from '@wasync/shared';
import { proto } from '@whiskeysockets/baileys';
import { type Firestore, Timestamp, type Transaction } from 'firebase-admin/firestore';
import type { Fence } from '../../accounts/fence.ts';
import { isLeaseLost } from '../../accounts/lease-errors.ts';
import type { Logger } from '../../log.ts';
import { DEFAULT_RETRY, type RetryOptions, withRetry } from '../writer/retry.ts';

export type HistorySyncState = NonNullable<AccountDoc['historySync']>;

/** `HistorySyncType` number → its name (`INITIAL_BOOTSTRAP`, `RECENT`, `FULL`, `ON_DEMAND`, …). */
export function syncTypeName(syncType: number | null | undefined): string {
  if (syncType === null || syncType === undefined) return 'UNKNOWN';
  return proto.HistorySync.HistorySyncType[syncType] ?? String(syncType);
}

export interface ChunkDone {
  syncType: number | null | undefined;
  progress: number | null | undefined;
  isLatest: boolean | undefined;
  messages: number;
}

/** A chunk's progress written in its last commit (`HistoryProgress.rideAlong`). */
export interface RiddenProgress {
  /** What `write` wrote (undefined: nothing, the progress was not due). */
  state: HistorySyncState | undefined;
  /** An attempt wrote it (`HistoryProgress.settle` lets the progress's own writes go again). */
  claimed: boolean;
  write: (tx: Transaction) => void;
}

export class HistoryProgress {
  #state: HistorySyncState | undefined;
  #writtenAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #dirty = false;
  /** Own writes not settled yet (a ridden write must not be overtaken by an older one). */
  #inFlight = 0;
  /** Chunk commits carrying a state, not settled yet (an own write of an older state waits for them). */
  #riding = 0;
  /**
   * The account document existed when the progress was loaded. Only then does the progress ride
   * in a chunk's commit: an update of a missing document would fail the whole commit (a tool's
   * import into an account without a document; the progress's own write only logs that).
   */
  #accountExists = false;

  constructor(
    private readonly db: Firestore,
    private readonly accountId: string,
    private readonly fence: Fence,
    private readonly log: Logger,
    private readonly retry: RetryOptions = DEFAULT_RETRY,
    private readonly minIntervalMs = 1_000,
    private readonly now: () => number = Date.now,
    /** How long a state not carried by a chunk's commit waits for the next one before it is written alone. */
    private readonly lingerMs = 3 * minIntervalMs,
  ) {}

  /** Continue the counts stored on the account (one read, when the account is opened). */
  async load(): Promise<void> {
    const snapshot = await this.db.doc(paths.account(this.accountId)).get();
    this.#accountExists = snapshot.exists;
    const stored = snapshot.get('historySync') as { chunks?: number; messages?: number } | undefined;
    if (stored && typeof stored.chunks === 'number' && typeof stored.messages === 'number') {
      this.#state = {
        syncType: String(snapshot.get('historySync.syncType') ?? 'UNKNOWN'),
        progress: (snapshot.get('historySync.progress') as number | null | undefined) ?? null,
        chunks: stored.chunks,
        messages: stored.messages,
        isLatest: snapshot.get('historySync.isLatest') === true,
        updatedAt: (snapshot.get('historySync.updatedAt') as Timestamp | undefined)?.toMillis() ?? 0,
      };
    }
  }

  get state(): HistorySyncState | undefined {
    return this.#state;
  }

  /**
   * For the transaction of the chunk's last commit: its `write(tx)` writes the state `chunk`
   * brings — everything imported so far — when the account may be written then (a second since
   * the last write, none in flight that could land after it), so the progress costs no commit of
   * its own; otherwise it writes nothing and `chunkDone` leaves the progress to the next chunk's
   * commit or writes it on its own. Decided per attempt of the transaction: what the attempt that
   * landed decided is what `chunkDone` sees. Call `settle` once the write is over, landed or not.
   */
  rideAlong(chunk: ChunkDone): RiddenProgress {
    const ride: RiddenProgress = {
      state: undefined,
      claimed: false,
      write: (tx) => {
        const due = this.#accountExists && this.#inFlight === 0 && this.now() - this.#writtenAt >= this.minIntervalMs;
        ride.state = due ? this.#after(chunk) : undefined;
        if (!ride.state) return;
        this.#update(tx, ride.state);
        if (!ride.claimed) this.#riding += 1; // the timer's own write waits until this one is over
        ride.claimed = true;
      },
    };
    return ride;
  }

  /** The write `ride` was offered to is over (landed or not): the progress's own write may go again. */
  settle(ride: RiddenProgress): void {
    if (!ride.claimed) return;
    ride.claimed = false;
    this.#riding -= 1;
  }

  /**
   * A chunk was imported: log it; unless its state landed with the chunk's last commit
   * (`ridden`, from `rideAlong`), write it within a second — or, when `more` chunks are queued,
   * leave it to the next one's last commit (it carries every chunk before it) and write it on its
   * own only if none comes within `lingerMs`. Never sooner than a second after the last write.
   */
  chunkDone(chunk: ChunkDone, ridden?: RiddenProgress, more = false): void {
    const state = ridden?.state ?? this.#after(chunk);
    this.#state = state;
    this.log.info(
      {
        chunk: state.chunks,
        syncType: state.syncType,
        percent: state.progress,
        chunkMessages: chunk.messages,
        messages: state.messages,
      },
      'history chunk imported',
    );
    if (ridden?.state) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#dirty = false;
      this.#writtenAt = this.now();
      return;
    }
    this.#dirty = true;
    const linger = more && this.#accountExists ? this.lingerMs : 0;
    const wait = Math.max(this.#writtenAt + this.minIntervalMs - this.now(), linger);
    if (wait <= 0) this.#write();
    else this.#timer ??= setTimeout(() => this.#write(), wait);
  }

  #after(chunk: ChunkDone): HistorySyncState {
    return {
      syncType: syncTypeName(chunk.syncType),
      progress: chunk.progress ?? null,
      chunks: (this.#state?.chunks ?? 0) + 1,
      messages: (this.#state?.messages ?? 0) + chunk.messages,
      isLatest: chunk.isLatest === true,
      updatedAt: this.now(),
    };
  }

  #update(tx: Transaction, state: HistorySyncState): void {
    tx.update(this.db.doc(paths.account(this.accountId)), {
      historySync: { ...state, updatedAt: Timestamp.fromMillis(state.updatedAt) },
      lastHistorySyncAt: Timestamp.fromMillis(state.updatedAt),
    });
  }

  /** Writes what is not written yet and waits for it. */
  async flush(): Promise<void> {
    if (this.#dirty) this.#write();
    await this.#writing;
  }

  #write(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#dirty || !this.#state) return;
    if (this.#riding > 0) {
      // A chunk's commit carrying a newer state is on its way: this older one must not land after it.
      this.#timer = setTimeout(() => this.#write(), this.minIntervalMs);
      return;
    }
    this.#dirty = false;
    this.#writtenAt = this.now();
    const state = this.#state;
    const write = () => this.fence.run((tx) => this.#update(tx, state));
    this.#inFlight += 1;
    this.#writing = this.#writing.then(() =>
      withRetry(write, this.retry)
        .catch((err) => {
          if (!isLeaseLost(err)) this.log.warn({ err }, 'history progress not written');
        })
        .finally(() => {
          this.#inFlight -= 1;
        }),
    );
  }
}
