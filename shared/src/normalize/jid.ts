/**
 * JID helpers on the hot path. Every message needs its chat and sender JIDs device-free and
 * canonical; Baileys' `jidDecode` splits strings into arrays on each call, and was the largest
 * single cost in the normalisation benchmark, so the common case takes a shortcut here.
 */
import { jidDecode, jidNormalizedUser } from '@whiskeysockets/baileys';
import { threadDocId } from '../ids.ts';

/**
 * Exactly Baileys' `jidNormalizedUser` (device and agent dropped, `c.us` → `s.whatsapp.net`, `''`
 * for a string without `@`), with a shortcut: a JID without `:` and `_` has no device or agent
 * part, so unless it is a `c.us` JID it is returned as it is.
 */
export function normalizedUserJid(jid: string): string {
  if (jid.indexOf('@') >= 0 && jid.indexOf(':') < 0 && jid.indexOf('_') < 0 && !jid.endsWith('@c.us')) return jid;
  return jidNormalizedUser(jid);
}

/**
 * The canonical form of a chat or user JID: `resolveJid` applied to the device-free JID. Null when
 * the result is not a JID with a user part (so that it can never produce a broken doc id).
 */
export function canonicalJid(resolveJid: (jid: string) => string, jid: string): string | null {
  const normalized = normalizedUserJid(jid);
  const resolved = resolveJid === normalizedUserJid ? normalized : resolveJid(normalized);
  return typeof resolved === 'string' && resolved.indexOf('@') > 0 ? resolved : null;
}

/** The user part of a JID (`123` of `123:4@s.whatsapp.net`), or null. */
export function jidUser(jid: string): string | null {
  const user = jidDecode(jid)?.user;
  return user ? user : null;
}

/** Chat JIDs repeat from message to message; their doc ids are pure, so they are memoised. */
const threadIds = new Map<string, string>();
const MAX_MEMOISED_THREAD_IDS = 50_000;

/** `threadDocId` of a canonical chat JID, memoised (bounded: cleared when full). */
export function threadIdOf(chatJid: string): string {
  let id = threadIds.get(chatJid);
  if (id === undefined) {
    if (threadIds.size >= MAX_MEMOISED_THREAD_IDS) threadIds.clear();
    id = threadDocId(chatJid);
    threadIds.set(chatJid, id);
  }
  return id;
}
