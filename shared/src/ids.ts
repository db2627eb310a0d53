/**
 * Deterministic, valid Firestore document ids for any input string.
 *
 * Firestore forbids `/`, the ids `.` and `..`, ids matching `__.*__`, and ids over 1500 bytes.
 * WhatsApp JIDs and message ids are usually safe as they are, and keeping them readable helps
 * operators in the Cloud Console, so safe inputs pass through unchanged. Everything else is
 * escaped in a way that is injective: `%` and the separator `~` are always escaped, so an escaped
 * id can never equal a different raw one. Inputs whose escaped form is too long are shortened to
 * a prefix plus a SHA-256 digest (collision-free in practice).
 */
import { createHash } from 'node:crypto';

/** Separator between the parts of a composite id; always escaped inside parts. */
export const ID_SEPARATOR = '~';

/** Keep ids well under Firestore's 1500-byte limit so composite ids stay valid too. */
const MAX_PART_BYTES = 400;
const SAFE_CHAR = /[A-Za-z0-9@._:+=,-]/;

function escapeChar(ch: string): string {
  return Array.from(Buffer.from(ch, 'utf8'), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/** Escape one id part. Pure and deterministic; the result never contains `/` or `~`. */
export function escapeIdPart(input: string): string {
  let out = '';
  for (const ch of input) out += SAFE_CHAR.test(ch) ? ch : escapeChar(ch);
  // Reserved shapes: `.`/`..` and `__…__`. Escaping the first character keeps the mapping injective.
  if (out === '' || out === '.' || out === '..' || /^__.*__$/.test(out)) {
    out = out === '' ? '%00' : escapeChar(out[0] as string) + out.slice(1);
  }
  if (Buffer.byteLength(out, 'utf8') > MAX_PART_BYTES) {
    const digest = createHash('sha256').update(input, 'utf8').digest('hex');
    // `%#` cannot come out of escapeChar, so hashed parts never collide with escaped ones.
    out = `${out.slice(0, 100)}%#${digest}`;
  }
  return out;
}

/** A document id built from one or more parts, e.g. `safeDocId(sender, messageId)`. */
export function safeDocId(...parts: string[]): string {
  if (parts.length === 0) throw new TypeError('safeDocId needs at least one part');
  return parts.map(escapeIdPart).join(ID_SEPARATOR);
}

/** Whether Firestore accepts `id` as a document id. */
export function isValidDocId(id: string): boolean {
  return (
    id.length > 0 &&
    !id.includes('/') &&
    id !== '.' &&
    id !== '..' &&
    !/^__.*__$/.test(id) &&
    Buffer.byteLength(id, 'utf8') <= 1500
  );
}

/** The sender part of a message doc id: `me` for our own messages (WhatsApp ids are per sender). */
export const FROM_ME_SENDER = 'me';

/** Message doc id from (sender or "me", WhatsApp id), per DESIGN §3. */
export function messageDocId(sender: string | null, fromMe: boolean, messageId: string): string {
  return safeDocId(fromMe ? FROM_ME_SENDER : (sender ?? 'unknown'), messageId);
}

/** Thread doc id from the canonical chat JID. */
export function threadDocId(canonicalJid: string): string {
  return safeDocId(canonicalJid);
}
