/**
 * Counts and the future-time clamp of message normalisation. Turning WhatsApp's number / `Long` /
 * string values into numbers and times into `EpochMs` is `../time.ts`, shared with `status.ts`.
 */
import type { EpochMs } from '../schema.ts';
import { integerValue } from '../time.ts';

/** Default for `NormalizeOptions.maxFutureSkewMs`: one day covers any honest clock skew. */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 24 * 60 * 60 * 1000;

/** A non-negative finite integer (file sizes, durations, dimensions), or null. */
export function countValue(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = integerValue(value);
  return Number.isFinite(n) && n >= 0 ? Math.trunc(n) : null;
}

/**
 * Clamp a time that lies too far after `reference` to it. mautrix-whatsapp does the same because
 * "some random messages will have timestamps decades in the future" (backfill.go); left alone,
 * one such message would stay the thread's `lastMessage` for decades. `reference` is the receive
 * time carried with the event, never the time of processing, so a replay clamps the same way.
 */
export function clampFuture(
  at: EpochMs,
  reference: EpochMs,
  maxFutureSkewMs: number,
): { at: EpochMs; clamped: boolean } {
  return at > reference + maxFutureSkewMs ? { at: reference, clamped: true } : { at, clamped: false };
}
