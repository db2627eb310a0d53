/**
 * WhatsApp integers → plain numbers, and message times → `EpochMs`.
 *
 * The same proto field reaches us in three shapes: a `number` on live messages
 * (`decodeMessageNode` does `+stanza.attrs.t`), a protobufjs `Long` on anything decoded from
 * protobuf (history sync, `fromObject`), and a decimal `string` once such a message went through
 * `toJSON`. Baileys' own `toNumber` handles only the first two, so this module has its own.
 */
import type { EpochMs } from '../schema.ts';

/** Default for `NormalizeOptions.maxFutureSkewMs`: one day covers any honest clock skew. */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 24 * 60 * 60 * 1000;

interface LongLike {
  toNumber(): number;
}

/** A number from a number, protobufjs `Long`, bigint or decimal string; NaN for anything else. */
export function integerValue(value: unknown): number {
  switch (typeof value) {
    case 'number':
      return value;
    case 'string':
      // Number('') is 0, which callers treat as missing anyway.
      return Number(value);
    case 'bigint':
      return Number(value);
    case 'object':
      if (value !== null && typeof (value as LongLike).toNumber === 'function') {
        const n = (value as LongLike).toNumber();
        return typeof n === 'number' ? n : Number.NaN;
      }
      return Number.NaN;
    default:
      return Number.NaN;
  }
}

/** A non-negative finite integer (file sizes, durations, dimensions), or null. */
export function countValue(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = integerValue(value);
  return Number.isFinite(n) && n >= 0 ? Math.trunc(n) : null;
}

/** `EpochMs` from a WhatsApp time in seconds (`messageTimestamp`, receipt times); null when missing/zero/invalid. */
export function secondsToEpochMs(value: unknown): EpochMs | null {
  if (value === null || value === undefined) return null;
  const ms = Math.trunc(integerValue(value) * 1000);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

/** `EpochMs` from a WhatsApp time already in milliseconds (`senderTimestampMs`, `timestampMs`). */
export function millisToEpochMs(value: unknown): EpochMs | null {
  if (value === null || value === undefined) return null;
  const ms = Math.trunc(integerValue(value));
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

/**
 * Clamp a time that lies too far in the future to `now`. mautrix-whatsapp does the same because
 * "some random messages will have timestamps decades in the future" (backfill.go); left alone,
 * one such message would stay the thread's `lastMessage` for decades.
 */
export function clampFuture(at: EpochMs, now: EpochMs, maxFutureSkewMs: number): { at: EpochMs; clamped: boolean } {
  return at > now + maxFutureSkewMs ? { at: now, clamped: true } : { at, clamped: false };
}
