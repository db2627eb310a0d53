/**
 * Schedules the backfill after a reconnect: when an account's socket is open and has delivered its
 * offline backlog (`receivedPendingNotifications`), one task on the functions' `backfill` task
 * queue (Cloud Tasks, through firebase-admin's task-queue API), delayed by a uniform random
 * BACKFILL_JITTER_MIN_S…MAX_S so 30 accounts reconnecting together do not ask 30 phones at once,
 * with a task id from the account and its connect epoch (lease epoch, socket number): enqueuing
 * the same connection twice is refused by Cloud Tasks (`task-already-exists`), so duplicates
 * collapse. A timer in this process would die with it; the task does not.
 *
 * The task (functions/src/tasks/backfill.ts) writes the backfill command; this host, or whichever
 * owns the account by then, executes it.
 */
import { createHash } from 'node:crypto';
import type { App } from 'firebase-admin/app';
import { getFunctions } from 'firebase-admin/functions';
import type { Logger } from '../../log.ts';

/** The functions' task queue function (functions/src/tasks/backfill.ts `backfill`). */
export const BACKFILL_QUEUE = 'backfill';

export interface ScheduleOptions {
  region: string;
  jitterMinS: number;
  jitterMaxS: number;
  random?: () => number;
}

export interface Scheduled {
  taskId: string;
  delaySeconds: number;
  outcome: 'enqueued' | 'duplicate' | 'failed';
}

/** A Cloud Tasks task id: hashed (Cloud Tasks dispatches sequential ids less evenly), stable per connection. */
export function backfillTaskId(accountId: string, epoch: number, socket: number): string {
  return `reconnect-${createHash('sha256').update(`${accountId}\u0000${epoch}\u0000${socket}`).digest('hex').slice(0, 40)}`;
}

export class BackfillScheduler {
  readonly #queue;

  constructor(
    app: App,
    private readonly options: ScheduleOptions,
    private readonly log: Logger,
  ) {
    this.#queue = getFunctions(app).taskQueue(`locations/${options.region}/functions/${BACKFILL_QUEUE}`);
  }

  /** A uniform delay in [jitterMinS, jitterMaxS], whole seconds. */
  delay(): number {
    const { jitterMinS: min, jitterMaxS: max, random = Math.random } = this.options;
    return min + Math.floor(random() * (max - min + 1));
  }

  async schedule(accountId: string, epoch: number, socket: number): Promise<Scheduled> {
    const taskId = backfillTaskId(accountId, epoch, socket);
    const delaySeconds = this.delay();
    try {
      await this.#queue.enqueue({ accountId, epoch, socket }, { id: taskId, scheduleDelaySeconds: delaySeconds });
      this.log.info({ accountId, taskId, delaySeconds }, 'backfill scheduled');
      return { taskId, delaySeconds, outcome: 'enqueued' };
    } catch (err) {
      if ((err as { code?: string }).code === 'functions/task-already-exists') {
        return { taskId, delaySeconds, outcome: 'duplicate' };
      }
      this.log.warn({ err, accountId, taskId }, 'backfill not scheduled');
      return { taskId, delaySeconds, outcome: 'failed' };
    }
  }
}
