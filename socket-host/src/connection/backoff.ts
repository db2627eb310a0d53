/**
 * Reconnect delays: exponential, capped, with "equal jitter" — half the delay is fixed, half
 * random — so a fleet of accounts that lost WhatsApp together does not come back in lockstep, and
 * no attempt comes back sooner than half its step. Transient failures (an outage of WhatsApp or of
 * the network) retry at the cap for as long as they last; they never park an account.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /**
   * Consecutive connects that failed for a reason the disconnect policy does not know (`unknown`:
   * a status such as 400 or 405) after which the account is parked as `error` for someone to look
   * at. Transient reasons, a temporary ban and 515s never count here.
   */
  maxFailures: number;
  /**
   * A connection counts as a success only after staying open this long. Resetting the count on
   * `open` alone would let a connection that opens and drops at once loop forever (the peers'
   * open/close storms, anchors-evolution-waha.md #19).
   */
  stableMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 60_000, maxFailures: 10, stableMs: 60_000 };

/** Delay before attempt `failures + 1`, where `failures` ≥ 1 consecutive attempts failed. */
export function backoffDelay(
  failures: number,
  { baseMs, maxMs }: BackoffOptions,
  random: () => number = Math.random,
): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(step / 2 + random() * (step / 2));
}
