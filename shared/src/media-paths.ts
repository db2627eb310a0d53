/**
 * Where a message's media lives in the media bucket: one folder per message,
 *
 *   accounts/{accountId}/media/{threadId}/{messageDocId}/original    the file, as WhatsApp's plaintext
 *   accounts/{accountId}/media/{threadId}/{messageDocId}/thumbnail   its `jpegThumbnail`, when it has one
 *
 * derived from the message document's ids, so every attempt (any host, after any crash) writes the
 * same object, and an account's media is one prefix (deleting an account, lifecycle rules).
 *
 * Document ids are valid Firestore ids, which still may hold what object names should not:
 * Cloud Storage allows at most 1024 bytes of UTF-8, no CR or LF, and warns against `#`, `[`, `]`,
 * `*`, `?` and control characters (wildcards in gcloud/gsutil, fragments in URLs); a `.` or `..`
 * segment is rewritten by URL normalisation. So each id becomes one segment: characters safe
 * everywhere stay as they are (ids stay readable in the console), anything else becomes `%XX` per
 * UTF-8 byte — `%` included, which makes the escape injective — and a segment longer than
 * `MAX_SEGMENT_BYTES` keeps a prefix plus `%h` and the SHA-256 of its escaped form (`%h` cannot
 * come out of the escape, whose hex digits are uppercase).
 *
 * The stored `media.path` is what readers use: a document that moves later (thread merge,
 * re-keyed sender) keeps its `path`, and the object stays where it was written.
 */
import { createHash } from 'node:crypto';
import { isValidDocId, safeDocId } from './ids.ts';

/** Three segments of this size plus the fixed parts stay well under Cloud Storage's 1024 bytes. */
export const MAX_SEGMENT_BYTES = 240;
const SAFE = /^[A-Za-z0-9@._:+=,~-]$/;

function escapeByte(b: number): string {
  return `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** One id as one object-name segment (pure, deterministic, injective; never contains `/`). */
export function mediaPathSegment(id: string): string {
  let out = '';
  for (const ch of id) {
    const code = ch.charCodeAt(0);
    // A lone surrogate has no UTF-8 form; `%u` cannot come out of escapeByte (uppercase hex).
    if (ch.length === 1 && code >= 0xd800 && code <= 0xdfff) out += `%u${code.toString(16).toUpperCase()}`;
    else if (SAFE.test(ch)) out += ch;
    else out += Array.from(Buffer.from(ch, 'utf8'), escapeByte).join('');
  }
  if (out === '.' || out === '..') out = `%2E${out.slice(1)}`;
  if (Buffer.byteLength(out) > MAX_SEGMENT_BYTES) {
    out = `${out.slice(0, 100)}%h${createHash('sha256').update(out).digest('hex')}`;
  }
  return out;
}

/** The document ids a message's media path is made of. */
export interface MediaOwner {
  accountId: string;
  threadId: string;
  messageDocId: string;
}

/** The objects of one message's media. */
export interface MediaObjectPaths {
  /** The file itself. */
  original: string;
  /** Its thumbnail (`jpegThumbnail`), stored as its own object. */
  thumbnail: string;
}

/** The prefix holding every media object of an account (ends with `/`). */
export function accountMediaPrefix(accountId: string): string {
  return `accounts/${mediaPathSegment(checkedId('accountId', accountId))}/media/`;
}

export function mediaObjectPaths(owner: MediaOwner): MediaObjectPaths {
  const folder = `${accountMediaPrefix(owner.accountId)}${mediaPathSegment(checkedId('threadId', owner.threadId))}/${mediaPathSegment(checkedId('messageDocId', owner.messageDocId))}`;
  return { original: `${folder}/original`, thumbnail: `${folder}/thumbnail` };
}

function checkedId(name: string, id: string): string {
  if (!isValidDocId(id)) throw new TypeError(`${name} is not a valid document id: ${JSON.stringify(id.slice(0, 80))}`);
  return id;
}

/**
 * The id of a message's media source: from the key alone (its WhatsApp id and direction), so the
 * socket host finds it from a bare key or a message document without resolving threads. WhatsApp
 * ids are random (64+ bits): two senders' ids colliding is not a case handled; a collision would
 * fail the SHA-256 check, never store the wrong file.
 */
export function mediaSourceId(fromMe: boolean, messageId: string): string {
  return safeDocId(fromMe ? 'me' : 'peer', messageId);
}
