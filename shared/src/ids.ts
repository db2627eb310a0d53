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
import type { ThreadKind } from './schema.ts';

/** Separator between the parts of a composite id; always escaped inside parts. */
export const ID_SEPARATOR = '~';

/** Keep ids well under Firestore's 1500-byte limit so composite ids stay valid too. */
const MAX_PART_BYTES = 400;
/** With at most 3 parts of ≤400 bytes plus separators, every composite id fits in 1500 bytes. */
const MAX_PARTS = 3;
const SAFE_CHAR = /[A-Za-z0-9@._:+=,-]/;
/** A part made only of safe characters (most JIDs and message ids): it passes through as it is. */
const ALL_SAFE = /^[A-Za-z0-9@._:+=,-]+$/;

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  // A lone surrogate has no UTF-8 form (Buffer would turn it into U+FFFD, colliding with it).
  // `%u` cannot come out of the byte escape below, whose hex digits are uppercase.
  if (ch.length === 1 && code >= 0xd800 && code <= 0xdfff) return `%u${code.toString(16).toUpperCase()}`;
  return Array.from(Buffer.from(ch, 'utf8'), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/** Escape one id part. Pure and deterministic; the result never contains `/` or `~`. */
export function escapeIdPart(input: string): string {
  // `%empty` cannot come out of escapeChar either, so the empty part stays distinct from "\0".
  if (input === '') return '%empty';
  let out = '';
  if (ALL_SAFE.test(input)) out = input;
  else for (const ch of input) out += SAFE_CHAR.test(ch) ? ch : escapeChar(ch);
  // Reserved shapes: `.`, `..` and ids matching `__.*__`. Escaping the first character of any
  // part that starts with `__` means no composite id can start with `__` either.
  if (out === '.' || out === '..' || out.startsWith('__')) {
    out = escapeChar(out[0] as string) + out.slice(1);
  }
  // ASCII by now (safe characters and `%XX` escapes): its length is its UTF-8 size.
  if (out.length > MAX_PART_BYTES) {
    // Hash the escaped (injective, ASCII) form, not the raw input, whose UTF-8 is lossy.
    const digest = createHash('sha256').update(out, 'utf8').digest('hex');
    // `%#` cannot come out of escapeChar, so hashed parts never collide with escaped ones.
    out = `${out.slice(0, 100)}%#${digest}`;
  }
  return out;
}

/** A document id built from one to three parts, e.g. `safeDocId(sender, messageId)`. */
export function safeDocId(...parts: string[]): string {
  if (parts.length === 0 || parts.length > MAX_PARTS) {
    throw new TypeError(`safeDocId takes 1 to ${MAX_PARTS} parts, got ${parts.length}`);
  }
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

/** The author part of a message doc id for our own messages. */
export const FROM_ME_SENDER = 'me';
/** The author part of a message doc id for the other side of a two-party chat (DM, newsletter). */
export const PEER_SENDER = 'peer';

/** What a message doc id is made of (see `messageDocId`). */
export interface MessageIdentity {
  threadKind: ThreadKind;
  fromMe: boolean;
  /** Canonical sender JID; null when fromMe. */
  sender: string | null;
  /** WhatsApp message id. */
  id: string;
}

/**
 * The message doc id: `<author>~<WhatsApp id>`, because WhatsApp ids are unique per sender only.
 * - Our own messages: `me~<id>`.
 * - DMs and newsletters have two parties, and the thread already names the other one, so their
 *   messages are `peer~<id>`: the id does not depend on whether the peer was seen under its LID or
 *   its phone number, and merging a LID thread into the phone-number thread only moves documents.
 * - Groups and broadcasts: `<canonical sender JID>~<id>`. When a mapping changes a participant's
 *   canonical JID (LID → phone number), the write planner re-keys that participant's messages.
 * The id depends only on the canonical JIDs, which depend only on the set of mappings known —
 * never on the order they arrived in.
 *
 * The positional form `messageDocId(sender, fromMe, id)` is the sender-keyed id of the first
 * contract (`<sender or "me">~<id>` whatever the chat), kept for callers that key something by a
 * bare WhatsApp key (e.g. stored message contents). It equals the stored doc id for our own and
 * for group messages, not for DM messages (`peer~<id>`).
 */
export function messageDocId(message: MessageIdentity): string;
export function messageDocId(sender: string | null, fromMe: boolean, messageId: string): string;
export function messageDocId(first: MessageIdentity | string | null, fromMe?: boolean, messageId?: string): string {
  if (typeof fromMe === 'boolean') {
    return safeDocId(fromMe ? FROM_ME_SENDER : ((first as string | null) ?? 'unknown'), messageId as string);
  }
  const { threadKind, fromMe: own, sender, id } = first as MessageIdentity;
  if (own) return safeDocId(FROM_ME_SENDER, id);
  if (threadKind === 'dm' || threadKind === 'newsletter') return safeDocId(PEER_SENDER, id);
  return safeDocId(sender ?? 'unknown', id);
}

const threadIds = new Map<string, string>();
const MAX_MEMOISED_THREAD_IDS = 50_000;

/** Thread doc id from the canonical chat JID (memoised: chat JIDs repeat from message to message). */
export function threadDocId(canonicalJid: string): string {
  let id = threadIds.get(canonicalJid);
  if (id === undefined) {
    if (threadIds.size >= MAX_MEMOISED_THREAD_IDS) threadIds.clear();
    id = safeDocId(canonicalJid);
    threadIds.set(canonicalJid, id);
  }
  return id;
}

/** Doc id of a learned LID ↔ PN pair (`LidPnPairDoc`): both JIDs, so learning a pair twice writes one doc. */
export function lidPnPairDocId(pair: { lid: string; pn: string }): string {
  return safeDocId(pair.lid, pair.pn);
}
