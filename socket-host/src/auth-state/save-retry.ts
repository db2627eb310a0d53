/**
 * How a failed auth-state save is retried: until it lands or the lease is lost. Giving up would be
 * worse than waiting: creds that never land make the next start log in with older ones (after a
 * pairing, a new identity and a lost pairing), and keys that never land are sessions that fail to
 * decrypt. The wait is bounded anyway: a host that cannot reach Firestore cannot renew its lease
 * either, and once the lease is past its deadline the fence refuses locally (LeaseLostError).
 */
import { isLeaseLost } from '../accounts/lease-errors.ts';
import type { Logger } from '../log.ts';

export interface SaveRetryOptions {
  /** Delay before the first retry; doubles up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_SAVE_RETRY: SaveRetryOptions = { firstDelayMs: 200, maxDelayMs: 5000 };

/** A retry decision for SerialWriter / KeyWriteBuffer: true (after a delay) unless the lease is lost. */
export function retryUntilSavedOrLeaseLost(
  log: Logger,
  what: string,
  options: SaveRetryOptions = DEFAULT_SAVE_RETRY,
): (err: unknown, attempt: number) => Promise<boolean> {
  return async (err, attempt) => {
    if (isLeaseLost(err)) return false;
    log.warn({ err, attempt }, `saving ${what} failed; retrying`);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(options.maxDelayMs, options.firstDelayMs * 2 ** Math.min(attempt - 1, 16))),
    );
    return true;
  };
}
