/**
 * Stored documents as the domain and the API see them: every Firestore `Timestamp` becomes epoch
 * milliseconds (`EpochMs`), everything else is kept as stored.
 */
import { Timestamp } from 'firebase-admin/firestore';

type Stored = unknown;

/** A deep copy of stored data with Timestamps as epoch milliseconds. */
export function fromStored<T>(data: Stored): T {
  return convert(data) as T;
}

function convert(value: Stored): unknown {
  if (value instanceof Timestamp) return value.toMillis();
  if (Array.isArray(value)) return value.map(convert);
  if (value !== null && typeof value === 'object' && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = convert(v);
    return out;
  }
  return value;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
