/**
 * Pure JID parsing and classification.
 *
 * Parsing is Baileys' own (`jidDecode`, `jidNormalizedUser`), imported from the deep path
 * `lib/WABinary/jid-utils.js`: that file imports nothing, so the functions bundle does not pull in
 * the socket, protobuf or crypto code that the package entry point drags along.
 */
import { jidDecode, jidNormalizedUser } from '@whiskeysockets/baileys/lib/WABinary/jid-utils.js';
import type { ThreadKind } from '../schema.ts';

/** The one broadcast JID that is WhatsApp Status, not a broadcast list. */
export const STATUS_BROADCAST_JID = 'status@broadcast';

/** What a chat JID is: a thread kind, or `status` for WhatsApp Status (`status@broadcast`). */
export type JidCategory = ThreadKind | 'status';

/**
 * Servers of one-to-one chats. `c.us` is the legacy spelling of `s.whatsapp.net`; `hosted` and
 * `hosted.lid` are the Cloud-API-hosted variants Baileys treats like PN and LID users
 * (`Utils/history.js` pairs them the same way); `bot` is Meta AI, which is a one-to-one chat too.
 */
const DM_SERVERS: ReadonlySet<string> = new Set(['s.whatsapp.net', 'c.us', 'lid', 'hosted', 'hosted.lid', 'bot']);
const LID_SERVERS: ReadonlySet<string> = new Set(['lid', 'hosted.lid']);
const PN_SERVERS: ReadonlySet<string> = new Set(['s.whatsapp.net', 'c.us', 'hosted']);

function serverOf(jid: string): string | undefined {
  const decoded = jidDecode(jid);
  // `jidDecode` accepts `@server` with an empty user; no real chat looks like that.
  return decoded?.user ? decoded.server : undefined;
}

/**
 * Classify a chat JID. Returns `undefined` for anything that is not a chat (`@call`, malformed
 * input), so callers can skip it with a logged reason instead of guessing.
 */
export function jidCategory(jid: string): JidCategory | undefined {
  if (jid === STATUS_BROADCAST_JID) return 'status';
  const server = serverOf(jid);
  if (server === undefined) return undefined;
  if (DM_SERVERS.has(server)) return 'dm';
  if (server === 'g.us') return 'group';
  if (server === 'broadcast') return 'broadcast';
  if (server === 'newsletter') return 'newsletter';
  return undefined;
}

/** The thread kind of a chat JID; `undefined` for WhatsApp Status and for non-chat JIDs. */
export function threadKindOf(jid: string): ThreadKind | undefined {
  const category = jidCategory(jid);
  return category === 'status' ? undefined : category;
}

/** Whether `jid` is WhatsApp Status (Baileys' `isJidBroadcast` is true for it too; this is not). */
export function isStatusBroadcast(jid: string): boolean {
  return jid === STATUS_BROADCAST_JID;
}

/**
 * A user JID without its device and agent parts (`user_agent:device@server` → `user@server`) and
 * with `c.us` spelled `s.whatsapp.net`. Does NOT convert between LID and PN — that needs a
 * mapping (see `AliasResolver`). Returns `undefined` for anything that is not a one-to-one JID.
 */
export function normalizeUserJid(jid: string): string | undefined {
  if (jidCategory(jid) !== 'dm') return undefined;
  return jidNormalizedUser(jid);
}

/** Whether `jid` (device suffix allowed) is a LID user: `@lid` or `@hosted.lid`. */
export function isLidJid(jid: string): boolean {
  const server = serverOf(jid);
  return server !== undefined && LID_SERVERS.has(server);
}

/** Whether `jid` (device suffix allowed) is a phone-number user: `@s.whatsapp.net`, `@c.us`, `@hosted`. */
export function isPnJid(jid: string): boolean {
  const server = serverOf(jid);
  return server !== undefined && PN_SERVERS.has(server);
}
