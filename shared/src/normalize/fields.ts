/**
 * Reading untrusted message objects. A `WAMessage` may be a protobufjs object, its `toJSON` output
 * or anything at all, so normalisation views every object as loose `Fields` and checks each value
 * it reads with these helpers.
 */
import type { NormalizedSkip, SkipReason } from './types.ts';

/** Loose view of a message, key or content entry; every field is untrusted. */
export type Fields = Record<string, unknown>;

/** `value` as `Fields` when it is an object, else null. */
export function asFields(value: unknown): Fields | null {
  return typeof value === 'object' && value !== null ? (value as Fields) : null;
}

/** `value` when it is a non-empty string, else null (the contract's "no text" is null, never ''). */
export function nonEmptyString(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/**
 * A protobuf enum field as its number, or null. protobufjs objects hold numbers; `toJSON` output
 * holds names. `Object.hasOwn` keeps names like `toString` from matching inherited properties.
 */
export function enumNumber(value: unknown, names: Readonly<Record<string, unknown>>): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && Object.hasOwn(names, value)) {
    const n = names[value];
    return typeof n === 'number' ? n : null;
  }
  return null;
}

/** A skip result; `detail` is left out when there is none. */
export function skip(reason: SkipReason, detail?: string): NormalizedSkip {
  return detail === undefined ? { kind: 'skip', reason } : { kind: 'skip', reason, detail };
}
