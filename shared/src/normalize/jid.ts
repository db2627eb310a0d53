/**
 * What normalisation adds to the JID rules of `../identity/jid.ts`: applying the caller's
 * `resolveJid`, and memoised thread doc ids. Parsing, normalising and classifying JIDs is
 * `identity/jid.ts`'s alone.
 */
import { normalizeJid } from '../identity/jid.ts';
import { threadDocId } from '../ids.ts';

/**
 * The default `NormalizeOptions.resolveJid`: the device-free JID (`normalizeJid`) in the resolver's
 * shape, which must return a string — `''` where `normalizeJid` has none. That makes it exactly
 * Baileys' `jidNormalizedUser`.
 */
export function normalizedUserJid(jid: string): string {
  return normalizeJid(jid) ?? '';
}

/**
 * The canonical form of a chat or user JID: `resolveJid` applied to the device-free JID. Null when
 * the JID has no `@`, and when the result is not a JID with a user part (so that it can never
 * produce a broken doc id).
 */
export function canonicalJid(resolveJid: (jid: string) => string, jid: string): string | null {
  const normalized = normalizeJid(jid);
  if (normalized === undefined) return null;
  const resolved = resolveJid === normalizedUserJid ? normalized : resolveJid(normalized);
  return typeof resolved === 'string' && resolved.indexOf('@') > 0 ? resolved : null;
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
