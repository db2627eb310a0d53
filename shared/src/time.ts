/**
 * WhatsApp integers and times → plain numbers and `EpochMs`. The one conversion used by message
 * normalisation (message, reaction, edit and embedded receipt times) and by status/receipt events.
 *
 * The same proto field reaches us in three shapes: a `number` on live messages
 * (`decodeMessageNode` does `+stanza.attrs.t`), a protobufjs `Long` on anything decoded from
 * protobuf (history sync, `fromObject`), and a decimal `string` once such a message went through
 * `toJSON`. Baileys' own `toNumber` handles only the first two, so this module has its own.
 * Every function here is total: untrusted input gives `NaN` / `undefined`, never an exception.
 */
import type { EpochMs } from './schema.ts';

/** A WhatsApp time in seconds as Baileys hands it over: `number`, `Long`, bigint or numeric string. */
export type SecondsValue = number | string | bigint | { toNumber(): number } | null | undefined;

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

/**
 * Unix seconds (`messageTimestamp`, receipt times) → epoch ms; `undefined` for missing, zero,
 * negative or unparseable values. WhatsApp times are whole seconds; a fractional value is truncated.
 */
export function epochMsFromSeconds(value: unknown): EpochMs | undefined {
  if (value === null || value === undefined) return undefined;
  const ms = Math.trunc(integerValue(value) * 1000);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** A WhatsApp time already in milliseconds (`senderTimestampMs`, `timestampMs`) → epoch ms, or `undefined`. */
export function epochMsFromMillis(value: unknown): EpochMs | undefined {
  if (value === null || value === undefined) return undefined;
  const ms = Math.trunc(integerValue(value));
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
