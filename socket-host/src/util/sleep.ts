import { setTimeout as wait } from 'node:timers/promises';

/**
 * Resolves after `ms`, or as soon as `signal` aborts (it never rejects for that): the pause of the
 * host's retry loops, which a stop must be able to cut short.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await wait(ms, undefined, signal ? { signal } : {});
  } catch (err) {
    if (!signal?.aborted) throw err;
  }
}
