/**
 * The `backfill` task queue (Cloud Tasks, `onTaskDispatched`): the socket host enqueues one task
 * when an account's connection opened and its offline backlog was delivered, delayed by a random
 * 10–40 s (BACKFILL_JITTER_MIN_S/MAX_S) so accounts reconnecting together do not all ask their
 * phones at once, with a task id from the account and its connect epoch (a duplicate enqueue is
 * refused by Cloud Tasks). The task writes a backfill command through the same code as the manual
 * triggers (`POST /backfill/:accountId`, `requestBackfill`): one backfill at a time per account.
 *
 * Outcomes: a backfill already pending or running (`resource_exhausted`) or an account that no
 * longer exists (`not_found`) end the task (nothing to retry); a bad payload is logged and dropped;
 * anything else fails it, and Cloud Tasks retries with backoff (`BACKFILL_TASK_OPTIONS`).
 */
import { AppError } from '@wasync/shared';
import { logger } from 'firebase-functions/v2';
import { onTaskDispatched, type TaskQueueOptions } from 'firebase-functions/v2/tasks';
import { z } from 'zod';
import { scheduledBackfill } from '../commands/account-commands.js';
import { firestore } from '../firebase.js';

/** What the socket host enqueues (socket-host/src/commands/backfill/schedule.ts). */
export const backfillTaskSchema = z
  .object({
    accountId: z.string().min(1).max(128),
    /** The lease epoch and socket number of the connection that opened. */
    epoch: z.number().int().nonnegative(),
    socket: z.number().int().positive(),
  })
  .strict();
export type BackfillTask = z.infer<typeof backfillTaskSchema>;

/**
 * Retries: a few, spaced out (a Firestore hiccup, an instance lost); rate: a handful of accounts
 * at a time — the jitter spreads them, this caps a burst of retries.
 */
export const BACKFILL_TASK_OPTIONS: TaskQueueOptions = {
  retryConfig: { maxAttempts: 5, minBackoffSeconds: 10, maxBackoffSeconds: 300, maxDoublings: 4 },
  rateLimits: { maxConcurrentDispatches: 6, maxDispatchesPerSecond: 2 },
};

/** Runs one task; exported for tests that call it without Cloud Tasks. */
export async function runBackfillTask(data: unknown, taskId: string): Promise<'written' | 'replayed' | 'skipped'> {
  const parsed = backfillTaskSchema.safeParse(data);
  if (!parsed.success) {
    logger.error('backfill task with a bad payload dropped', { taskId, issues: parsed.error.issues.length });
    return 'skipped';
  }
  try {
    const { replayed } = await scheduledBackfill(firestore(), { accountId: parsed.data.accountId, taskId });
    return replayed ? 'replayed' : 'written';
  } catch (err) {
    if (err instanceof AppError && (err.code === 'resource_exhausted' || err.code === 'not_found')) {
      logger.info('scheduled backfill not written', { taskId, code: err.code });
      return 'skipped';
    }
    throw err;
  }
}

export const backfill = onTaskDispatched(BACKFILL_TASK_OPTIONS, async (request) => {
  await runBackfillTask(request.data, request.id);
});
