/**
 * Retrying Firestore calls that failed for a reason that passes: ABORTED (contention),
 * UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED, with exponential backoff and full jitter
 * (so many accounts retrying after one outage do not retry in step). Nothing is given up while the
 * account is ours: a message Baileys handed over is stored or retried (DESIGN I2).
 */
const ABORTED = 10;
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;
const RESOURCE_EXHAUSTED = 8;
const TRANSIENT = new Set([ABORTED, UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED]);

export function isTransient(err: unknown): boolean {
  return TRANSIENT.has((err as { code?: number })?.code as number);
}

export interface RetryOptions {
  /** First delay; doubles per attempt. */
  baseMs: number;
  /** Longest delay between two attempts. */
  maxMs: number;
  random?: () => number;
}

export const DEFAULT_RETRY: RetryOptions = { baseMs: 100, maxMs: 10_000 };

/** Delay before attempt `attempt + 1` (attempt counts from 1): full jitter over the exponential bound. */
export function retryDelay(attempt: number, options: RetryOptions): number {
  const bound = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor((options.random ?? Math.random)() * bound);
}

/**
 * Runs `fn` until it succeeds or fails with a non-transient error. `shouldStop` ends the retries
 * (the account was let go): the last error is thrown then.
 */
export async function withRetry<T>(
  fn: () => Promise<T>,
  options: RetryOptions,
  hooks: { onRetry?: (err: unknown, attempt: number, delayMs: number) => void; shouldStop?: () => boolean } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err) || hooks.shouldStop?.()) throw err;
      const delay = retryDelay(attempt, options);
      hooks.onRetry?.(err, attempt, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
