/**
 * What a backfill records: its progress on the account (`backfill{ state: running | done | failed,
 * commandId, threads, requested, received, unanswered, startedAt, finishedAt }`, `lastBackfillAt`
 * when it is done) and what it learned
 * per thread (`accounts/{id}/backfillThreads/{threadId}`: nothing older left, unanswered requests).
 * Every write is fenced: a host that lost the account records nothing.
 */
import { paths } from '@wasync/shared';
import { FieldValue, type Firestore, Timestamp } from 'firebase-admin/firestore';
import type { Fence } from '../../accounts/fence.ts';

export interface BackfillCounts {
  threads: number;
  requested: number;
  received: number;
  unanswered: number;
}

export class BackfillRecorder {
  readonly counts: BackfillCounts = { threads: 0, requested: 0, received: 0, unanswered: 0 };
  #startedAt = Timestamp.now();
  #commandId: string | undefined;

  constructor(
    private readonly db: Firestore,
    private readonly accountId: string,
    private readonly fence: Fence,
  ) {}

  /**
   * Records the backfill of command `commandId` as running over `threads` threads. A command
   * resumed by the next owner of the account (the last one let it go mid-way) carries on the counts
   * its run recorded: its result says what the phone was asked and answered in all, not only since
   * the takeover.
   */
  async start(commandId: string, threads: number): Promise<void> {
    const ref = this.db.doc(paths.account(this.accountId));
    // Read in the fenced transaction that records it (with the lease: no extra round trip).
    await this.fence.run(
      (tx, [account]) => {
        const recorded: unknown = account?.get('backfill');
        const resumed = isRunningFor(recorded, commandId) ? recorded : undefined;
        this.#commandId = commandId;
        // A resumed run skips threads found exhausted meanwhile: the result still covers them all.
        this.counts.threads = Math.max(threads, resumed?.threads ?? 0);
        this.counts.requested = resumed?.requested ?? 0;
        this.counts.received = resumed?.received ?? 0;
        this.counts.unanswered = resumed?.unanswered ?? 0;
        this.#startedAt = resumed?.startedAt ?? Timestamp.now();
        tx.update(ref, { backfill: this.#record('running') });
      },
      [ref],
    );
  }

  /** The counts as they stand (after a request or an answer). */
  progress(): Promise<void> {
    return this.#write('running');
  }

  async finish(): Promise<void> {
    const now = Timestamp.now();
    await this.#write('done', { finishedAt: now }, { lastBackfillAt: now });
  }

  /** The backfill failed (its command says why): not shown `running` any longer. */
  async fail(): Promise<void> {
    await this.#write('failed', { finishedAt: Timestamp.now() });
  }

  /** The phone has nothing older for this thread: later backfills skip it. */
  exhausted(threadId: string): Promise<void> {
    const ref = this.db.doc(paths.backfillThread(this.accountId, threadId));
    return this.fence.run((tx) => {
      tx.set(ref, { exhaustedAt: Timestamp.now() }, { merge: true });
    });
  }

  unanswered(threadId: string): Promise<void> {
    const ref = this.db.doc(paths.backfillThread(this.accountId, threadId));
    return this.fence.run((tx) => {
      tx.set(ref, { unansweredAt: Timestamp.now(), unanswered: FieldValue.increment(1) }, { merge: true });
    });
  }

  #write(state: string, extra: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Promise<void> {
    const ref = this.db.doc(paths.account(this.accountId));
    return this.fence.run((tx) => {
      tx.update(ref, { backfill: this.#record(state, extra), ...top });
    });
  }

  #record(state: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      state,
      ...(this.#commandId ? { commandId: this.#commandId } : {}),
      ...this.counts,
      startedAt: this.#startedAt,
      ...extra,
    };
  }
}

/** Threads a backfill skips: those whose phone said nothing older is left. */
export async function exhaustedThreads(
  db: Firestore,
  accountId: string,
  threadIds: readonly string[],
): Promise<Set<string>> {
  if (threadIds.length === 0) return new Set();
  const snaps = await db.getAll(...threadIds.map((id) => db.doc(paths.backfillThread(accountId, id))));
  return new Set(snaps.filter((s) => s.get('exhaustedAt') !== undefined).map((s) => s.id));
}

interface RunningBackfill {
  threads?: number;
  requested: number;
  received: number;
  unanswered?: number;
  startedAt: Timestamp;
}

/** The account's `backfill` records a run of `commandId` that is still running, with sound counts. */
function isRunningFor(recorded: unknown, commandId: string): recorded is RunningBackfill {
  if (typeof recorded !== 'object' || recorded === null) return false;
  const r = recorded as Record<string, unknown>;
  if (r.state !== 'running' || r.commandId !== commandId) return false;
  const counts = [r.threads ?? 0, r.requested, r.received, r.unanswered ?? 0];
  return (
    counts.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) && r.startedAt instanceof Timestamp
  );
}
