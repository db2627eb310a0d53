/**
 * Opaque pagination cursors for lists ordered by a timestamp with the document id as tie-break
 * (`orderBy(t, dir), orderBy(documentId(), dir), startAfter(t, id)`).
 *
 * A cursor is bound to one listing by a *scope* (see `cursorScope`): a cursor from another
 * account, thread, filter set or sort direction is rejected instead of silently paging through
 * the wrong list. Every cursor carries a version and a checksum, so corrupted or hand-edited
 * cursors are rejected too.
 *
 * The checksum is a truncated SHA-256, not a MAC, on purpose: a cursor grants nothing. It only
 * positions a query inside a listing the caller is already authorised to read (authorisation is
 * checked on the listing itself), so a forged cursor can reach nothing a genuine one could not,
 * and no key has to be provisioned or rotated. Decoding validates every field regardless.
 *
 * Layout (version 1), base64url without padding:
 *   version:u8 | flags:u8 (bit 0: ascending) | t:float64 BE | sha256(scope)[0..8] | id:utf8 | sha256(all before)[0..8]
 */
import { createHash } from 'node:crypto';
import { AppError } from './errors.ts';
import { isValidDocId } from './ids.ts';
import type { EpochMs } from './schema.ts';

/** Sort direction of a listing. */
export type SortDirection = 'asc' | 'desc';

/** Where a page ended: the last document's timestamp and id. */
export interface CursorPosition {
  t: EpochMs;
  id: string;
}

/** What `encodeCursor` needs: the position, the listing's scope and its direction (default `desc`). */
export interface CursorInput extends CursorPosition {
  scope: string;
  dir?: SortDirection;
}

/** Why a cursor was rejected, as `details.reason` of the `invalid_cursor` error. */
export type CursorRejection =
  | 'malformed'
  | 'too_long'
  | 'corrupt'
  | 'unsupported_version'
  | 'foreign'
  | 'invalid_value';

const VERSION = 1;
const FLAG_ASCENDING = 0b1;
const SCOPE_HASH_BYTES = 8;
const CHECKSUM_BYTES = 8;
const HEADER_BYTES = 1 + 1 + 8 + SCOPE_HASH_BYTES;
/** Firestore ids are at most 1500 bytes; longer strings cannot be cursors, so skip decoding them. */
const MAX_ID_BYTES = 1500;
/** The base64url length of the largest valid cursor. */
export const MAX_CURSOR_LENGTH = Math.ceil(((HEADER_BYTES + MAX_ID_BYTES + CHECKSUM_BYTES) * 4) / 3);
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The scope of one listing, built from its parts without ambiguity (`['a:b','c']` and
 * `['a','b:c']` differ), e.g. `cursorScope('messages', accountId, threadId)`. Include every
 * filter that changes which documents the listing returns.
 */
export function cursorScope(...parts: string[]): string {
  return JSON.stringify(parts);
}

function sha256Prefix(data: Uint8Array | string, bytes: number): Buffer {
  return createHash('sha256').update(data).digest().subarray(0, bytes);
}

function reject(reason: CursorRejection, message: string): never {
  throw new AppError('invalid_cursor', `Invalid cursor: ${message}`, { reason });
}

/** True when `id` survives a UTF-8 round trip (no lone surrogates). */
function isWellFormed(id: string): boolean {
  return Buffer.from(id, 'utf8').toString('utf8') === id;
}

/**
 * The opaque cursor for a position in the listing `scope`. Throws `AppError('internal')` for a
 * position no document can have (non-finite time, invalid id): that is a bug in the caller.
 */
export function encodeCursor({ scope, t, id, dir = 'desc' }: CursorInput): string {
  if (!Number.isFinite(t)) throw new AppError('internal', `cursor time must be finite, got ${t}`);
  if (!isValidDocId(id) || !isWellFormed(id)) throw new AppError('internal', 'cursor id is not a valid document id');
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(VERSION, 0);
  header.writeUInt8(dir === 'asc' ? FLAG_ASCENDING : 0, 1);
  header.writeDoubleBE(t, 2);
  sha256Prefix(scope, SCOPE_HASH_BYTES).copy(header, 10);
  const body = Buffer.concat([header, Buffer.from(id, 'utf8')]);
  return Buffer.concat([body, sha256Prefix(body, CHECKSUM_BYTES)]).toString('base64url');
}

/**
 * The position in `cursor`, which must come from `encodeCursor` for the same scope and direction.
 * Accepts any value (query parameters may be arrays) and throws only `AppError('invalid_cursor')`.
 */
export function decodeCursor(
  cursor: unknown,
  expectedScope: string,
  expectedDir: SortDirection = 'desc',
): CursorPosition {
  if (typeof cursor !== 'string' || cursor === '') reject('malformed', 'expected a non-empty string');
  if (cursor.length > MAX_CURSOR_LENGTH) reject('too_long', `longer than ${MAX_CURSOR_LENGTH} characters`);
  const bytes = Buffer.from(cursor, 'base64url');
  // Node's decoder skips foreign characters and ignores trailing bits; demanding the canonical
  // encoding makes every accepted cursor the one string `encodeCursor` produced.
  if (!BASE64URL.test(cursor) || bytes.toString('base64url') !== cursor) reject('malformed', 'not base64url');
  if (bytes.length < HEADER_BYTES + 1 + CHECKSUM_BYTES) reject('malformed', 'too short');
  if (bytes[0] !== VERSION) reject('unsupported_version', `unsupported version ${bytes[0]}`);

  const body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES);
  if (!sha256Prefix(body, CHECKSUM_BYTES).equals(bytes.subarray(body.length))) reject('corrupt', 'checksum mismatch');

  const flags = body.readUInt8(1);
  if ((flags & ~FLAG_ASCENDING) !== 0) reject('invalid_value', 'unknown flags');
  if (!sha256Prefix(expectedScope, SCOPE_HASH_BYTES).equals(body.subarray(10, HEADER_BYTES))) {
    reject('foreign', 'it belongs to a different listing');
  }
  const dir: SortDirection = flags & FLAG_ASCENDING ? 'asc' : 'desc';
  if (dir !== expectedDir) reject('foreign', `it continues a listing sorted ${dir}, not ${expectedDir}`);

  const t = body.readDoubleBE(2);
  if (!Number.isFinite(t)) reject('invalid_value', 'time is not finite');
  let id: string;
  try {
    id = strictUtf8.decode(body.subarray(HEADER_BYTES));
  } catch {
    reject('invalid_value', 'id is not UTF-8');
  }
  if (!isValidDocId(id)) reject('invalid_value', 'id is not a valid document id');
  return { t, id };
}
