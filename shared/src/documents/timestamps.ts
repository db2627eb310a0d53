/**
 * The edge between domain times (`EpochMs`) and Firestore `Timestamp`s, without depending on a
 * Firestore SDK: converters take the `Timestamp` class as an argument. firebase-admin's
 * `Timestamp` (server) and the `firebase` client SDK's (apps) both fit these two interfaces, so
 * one set of converters serves the socket host, the functions and the client helpers.
 */
import { AppError } from '../errors.ts';
import type { EpochMs } from '../schema.ts';

/** A Firestore `Timestamp` instance, from either SDK. */
export interface TimestampLike {
  toMillis(): number;
}

/** A Firestore `Timestamp` class (its static side), from either SDK. */
export interface TimestampFactory<T extends TimestampLike> {
  fromMillis(milliseconds: number): T;
}

/**
 * Where a time sits in a document: field names from the root, `*` meaning "every key of this map"
 * or "every element of this array" (receipts and reaction times are maps keyed by JID).
 */
export type TimePath = readonly string[];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of plain data (plain objects and arrays, recursively) without `undefined` values, which
 * Firestore rejects. Anything else — Timestamps, GeoPoints, Buffers, FieldValue sentinels — is
 * kept as the same instance. A key named `__proto__` stays data (`setOwn`).
 */
export function copyDefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(copyDefined);
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (v !== undefined) setOwn(copy, key, copyDefined(v));
  }
  return copy;
}

/** `target[key] = value` as data, also for a key named `__proto__` (which assignment would treat as the prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Apply `convert` in place to every value at `path` in `root` (a fresh copy owned by the caller). */
function convertAt(
  root: Record<string, unknown>,
  path: TimePath,
  convert: (value: unknown, field: string) => unknown,
  prefix = '',
): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  const keys = head === '*' ? Object.keys(root) : Object.hasOwn(root, head) ? [head] : [];
  for (const key of keys) {
    const field = prefix === '' ? key : `${prefix}.${key}`;
    const value = root[key];
    if (value === undefined) continue;
    if (rest.length === 0) {
      setOwn(root, key, convert(value, field));
    } else if (isPlainObject(value) || Array.isArray(value)) {
      convertAt(value as Record<string, unknown>, rest, convert, field);
    } else if (value !== null) {
      throw new AppError('internal', `Document field ${field} should be a map or array, got ${typeof value}`, {
        field,
      });
    }
  }
}

/** A copy of `doc` with the values at `paths` converted; `what` names the document kind in errors. */
export function convertTimes(
  doc: unknown,
  paths: readonly TimePath[],
  convert: (value: unknown, field: string) => unknown,
  what: string,
): Record<string, unknown> {
  const copy = copyDefined(doc);
  if (!isPlainObject(copy)) {
    throw new AppError('internal', `A ${what} document must be a map, got ${copy === null ? 'null' : typeof copy}`);
  }
  for (const path of paths) convertAt(copy, path, convert, '');
  return copy;
}

/** `EpochMs` → Timestamp; anything but a finite number is a bug in the caller. */
export function toTimestamp<T extends TimestampLike>(Timestamp: TimestampFactory<T>, what: string) {
  return (value: unknown, field: string): T => {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new AppError('internal', `${what}.${field} should be epoch milliseconds, got ${String(value)}`, { field });
    }
    return Timestamp.fromMillis(value);
  };
}

/** Timestamp → `EpochMs`; a stored value that is not a Timestamp is reported with its field. */
export function fromTimestamp(what: string) {
  return (value: unknown, field: string): EpochMs => {
    const millis =
      typeof value === 'object' && value !== null && typeof (value as TimestampLike).toMillis === 'function'
        ? (value as TimestampLike).toMillis()
        : Number.NaN;
    if (!Number.isFinite(millis)) {
      throw new AppError('internal', `Stored ${what} field ${field} is not a Timestamp`, { field });
    }
    return millis;
  };
}
