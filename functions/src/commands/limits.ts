/**
 * Rate limits on commands (what two function instances racing must not exceed together): each is
 * checked and recorded in the transaction that writes the command (write.ts `admit`), on a
 * per-account document under `accounts/{accountId}/limits/`, so Firestore serialises the
 * instances. Refusals are `resource_exhausted` (429) with `retryAfterSeconds` in the details (the
 * API's `Retry-After`).
 *
 * - **send**: a token bucket of `SEND_BUDGET_PER_MINUTE` tokens refilled evenly over a minute:
 *   bursts up to the budget, the budget per minute sustained. Replays of a send take no token.
 * - **backfill**: at most one at a time per account. `limits/backfill` names the last backfill
 *   command; while that one is pending or running and not past its `expiresAt`, another is refused
 *   (with the pending command's id in the details, to watch it instead).
 *
 * One counter document per account is written on every send, within Firestore's ~1 sustained
 * write per second per document at the budgets that make sense for one WhatsApp number.
 */
import { AppError, type EpochMs, paths } from '@wasync/shared';
import { type Firestore, Timestamp, type Transaction } from 'firebase-admin/firestore';

/** A token bucket as stored: tokens left at time `at`. */
export interface TokenBucket {
  tokens: number;
  at: EpochMs;
}

/**
 * Takes one token from `bucket` (a full bucket when there is none yet) of `perMinute` capacity,
 * refilled at `perMinute` per minute: the bucket after taking it, or how long until one is there.
 */
export function takeToken(
  bucket: TokenBucket | undefined,
  perMinute: number,
  now: EpochMs,
): { ok: true; bucket: TokenBucket } | { ok: false; retryAfterSeconds: number } {
  const tokens = tokensAt(bucket, perMinute, now);
  if (tokens >= 1) return { ok: true, bucket: { tokens: tokens - 1, at: Math.max(now, bucket?.at ?? now) } };
  // The division is only an estimate: floating point can put it a hair past a whole second (13 s
  // where 12 s already refills the token). The answer is settled with the same arithmetic that
  // admits the retry, so waiting exactly Retry-After is enough and a second less is not.
  let seconds = Math.max(1, Math.ceil((1 - tokens) / (perMinute / 60_000) / 1000));
  while (seconds > 1 && tokensAt(bucket, perMinute, now + (seconds - 1) * 1000) >= 1) seconds--;
  while (tokensAt(bucket, perMinute, now + seconds * 1000) < 1) seconds++;
  return { ok: false, retryAfterSeconds: seconds };
}

/** The tokens in `bucket` at `now` (a full bucket when there is none yet). */
function tokensAt(bucket: TokenBucket | undefined, perMinute: number, now: EpochMs): number {
  if (bucket === undefined) return perMinute;
  // A clock behind the stored time (another instance's) refills nothing rather than taking back.
  const elapsed = Math.max(0, now - bucket.at);
  return Math.min(perMinute, bucket.tokens + (elapsed * perMinute) / 60_000);
}

/** Admits one send of `accountId` within `perMinute`, in `tx` (or refuses it). */
export function admitSend(db: Firestore, accountId: string, perMinute: number) {
  return async (tx: Transaction, now: EpochMs): Promise<void> => {
    const ref = db.doc(paths.limit(accountId, 'send'));
    const stored = await tx.get(ref);
    const at: unknown = stored.get('at');
    const tokens: unknown = stored.get('tokens');
    const bucket = at instanceof Timestamp && typeof tokens === 'number' ? { tokens, at: at.toMillis() } : undefined;
    const taken = takeToken(bucket, perMinute, now);
    if (!taken.ok) {
      throw new AppError(
        'resource_exhausted',
        `this account may send ${perMinute} messages per minute; try again in ${taken.retryAfterSeconds} s`,
        { limit: 'send', retryAfterSeconds: taken.retryAfterSeconds },
      );
    }
    tx.set(ref, { tokens: taken.bucket.tokens, at: Timestamp.fromMillis(taken.bucket.at) });
  };
}

/** How long a refused backfill should wait before asking again. */
const BACKFILL_RETRY_AFTER_S = 30;

/** Admits backfill `commandId` of `accountId` when no other is pending or running, in `tx`. */
export function admitBackfill(db: Firestore, accountId: string, commandId: string) {
  return async (tx: Transaction, now: EpochMs): Promise<void> => {
    const slot = db.doc(paths.limit(accountId, 'backfill'));
    const current: unknown = (await tx.get(slot)).get('commandId');
    if (typeof current === 'string' && current !== commandId) {
      const command = await tx.get(db.doc(paths.command(accountId, current)));
      const state: unknown = command.get('state');
      const expiresAt: unknown = command.get('expiresAt');
      const busy =
        (state === 'pending' || state === 'running') && expiresAt instanceof Timestamp && now < expiresAt.toMillis();
      if (busy) {
        throw new AppError(
          'resource_exhausted',
          'a backfill of this account is already pending; watch it or try again later',
          {
            limit: 'backfill',
            commandId: current,
            retryAfterSeconds: BACKFILL_RETRY_AFTER_S,
          },
        );
      }
    }
    tx.set(slot, { commandId, at: Timestamp.fromMillis(now) });
  };
}
