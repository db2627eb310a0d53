/**
 * Keyset pagination shared by every listing (API and callables alike): order by a time field and
 * the document id, ask Firestore for `limit + 1` documents starting after the cursor, return
 * `limit` of them and a cursor to the last one when the extra document proved there is more.
 * A page therefore reads at most `limit + 1` documents however deep it is — no offsets, no counts.
 *
 * Cursors are the domain core's opaque, scope-bound ones (`@wasync/shared` cursor.ts). Their time
 * is epoch milliseconds as a float64 that carries Firestore's microseconds too: truncating a
 * stored time to whole milliseconds would make `startAfter` land *before* the last document of a
 * page whenever it has sub-millisecond precision, and that document would come again.
 */
import { AppError, cursorScope, decodeCursor, encodeCursor, type SortDirection } from '@wasync/shared';
import { FieldPath, type Query, type QueryDocumentSnapshot, Timestamp } from 'firebase-admin/firestore';

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface PageOf<T> {
  items: T[];
  nextCursor?: string;
}

/** How one listing orders, positions and presents its documents. */
export interface Listing<T> {
  /** Binds cursors to this listing: every part that changes which documents it returns. */
  scope: string[];
  dir: SortDirection;
  /** The Timestamp field to order by; without it the listing is ordered by document id alone. */
  timeField?: string;
  /** The id a cursor stores for `doc` (a valid document id). Default: `doc.id`. */
  cursorId?: (doc: QueryDocumentSnapshot) => string;
  /** The `documentId()` value to start after, from a cursor's id (collection groups need a path). */
  startAfterKey?: (cursorId: string) => string;
  toItem: (doc: QueryDocumentSnapshot) => T;
}

const MICROS_PER_MS = 1000;
/** Firestore's Timestamp range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z. */
const MIN_SECONDS = -62_135_596_800;
const MAX_SECONDS = 253_402_300_799;

/** A stored time as cursor milliseconds, exact to the microsecond (Firestore's precision). */
export function cursorMillis(ts: Timestamp): number {
  return ts.seconds * 1000 + Math.floor(ts.nanoseconds / 1000) / MICROS_PER_MS;
}

/**
 * The Timestamp a cursor's milliseconds stand for; the inverse of `cursorMillis`. A time no
 * Timestamp can hold comes from no page of ours (cursors are checksummed, not signed, so anyone
 * can forge one): `invalid_cursor`, like every other impossible cursor value.
 */
export function timestampFromCursorMillis(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  // float64 keeps ~0.24 µs of precision at today's epoch: rounding recovers the exact microsecond.
  let micros = Math.round((ms - seconds * 1000) * MICROS_PER_MS);
  let s = seconds;
  if (micros >= 1_000_000) {
    s += 1;
    micros -= 1_000_000;
  }
  if (!(s >= MIN_SECONDS && s <= MAX_SECONDS)) {
    throw new AppError('invalid_cursor', 'Invalid cursor: time out of range', { reason: 'invalid_value' });
  }
  return new Timestamp(s, micros * 1000);
}

/** Runs one page of `listing` over `query` (which holds only the filters). */
export async function readPage<T>(query: Query, listing: Listing<T>, page: PageRequest): Promise<PageOf<T>> {
  const { dir, timeField } = listing;
  const scope = cursorScope(...listing.scope);
  let q = timeField ? query.orderBy(timeField, dir) : query;
  q = q.orderBy(FieldPath.documentId(), dir);
  if (page.cursor !== undefined) {
    const position = decodeCursor(page.cursor, scope, dir);
    const key = listing.startAfterKey ? listing.startAfterKey(position.id) : position.id;
    q = timeField ? q.startAfter(timestampFromCursorMillis(position.t), key) : q.startAfter(key);
  }
  const snapshot = await q.limit(page.limit + 1).get();
  const docs = snapshot.docs.slice(0, page.limit);
  const result: PageOf<T> = { items: docs.map(listing.toItem) };
  const last = docs.at(-1);
  if (snapshot.size > page.limit && last) {
    const id = listing.cursorId ? listing.cursorId(last) : last.id;
    result.nextCursor = encodeCursor({ scope, dir, id, t: timeField ? timeOf(last, timeField) : 0 });
  }
  return result;
}

function timeOf(doc: QueryDocumentSnapshot, field: string): number {
  const value: unknown = doc.get(field);
  // Firestore orders a field's values by type, so a non-Timestamp here is a writer bug to report,
  // not something a cursor could step over correctly.
  if (!(value instanceof Timestamp)) {
    throw new AppError('internal', `${doc.ref.path}: ${field} is not a Timestamp`);
  }
  return cursorMillis(value);
}
