/**
 * Pure JID parsing, normalisation and classification: the one place that knows how a JID is built.
 *
 * The rules are Baileys' own (`jidDecode`, `jidNormalizedUser`), imported from the deep path
 * `lib/WABinary/jid-utils.js`: that file imports nothing, so the functions bundle does not pull in
 * the socket, protobuf or crypto code that the package entry point drags along.
 *
 * Message normalisation calls these for every message, and `jidDecode` (which splits strings into
 * arrays on each call) was the largest single cost in its benchmark, so the common cases take a
 * string shortcut that gives exactly what the Baileys functions give.
 *
 * Convention: anything that is not a JID of the asked kind gives `undefined` (never `''` or null).
 * Non-string input is tolerated and gives `undefined` too, as `jidDecode` does: callers pass fields
 * of untrusted payloads.
 */
import { jidDecode, jidNormalizedUser } from '@whiskeysockets/baileys/lib/WABinary/jid-utils.js';
import type { ThreadKind } from '../schema.ts';

/** The one broadcast JID that is WhatsApp Status, not a broadcast list. */
export const STATUS_BROADCAST_JID = 'status@broadcast';

/** What a chat JID is: a thread kind, or `status` for WhatsApp Status (`status@broadcast`). */
export type JidCategory = ThreadKind | 'status';

/**
 * Servers of LID and phone-number users. `c.us` is the legacy spelling of `s.whatsapp.net`;
 * `hosted` and `hosted.lid` are the Cloud-API-hosted variants Baileys treats like PN and LID users
 * (`Utils/history.js` pairs them the same way). Together with `bot` (Meta AI) they are the servers
 * of one-to-one chats (`jidCategory`).
 */
const PLAIN_LID_SERVERS = ['lid'] as const;
const PLAIN_PN_SERVERS = ['s.whatsapp.net', 'c.us'] as const;
const LID_SERVERS = [...PLAIN_LID_SERVERS, 'hosted.lid'] as const;
const PN_SERVERS = [...PLAIN_PN_SERVERS, 'hosted'] as const;

const AT = 0x40;
const COLON = 0x3a;
const UNDERSCORE = 0x5f;

/**
 * Index of the `@` that ends a non-empty user part, or -1. Baileys' `jidDecode` splits at the first
 * `@`, and its user is what precedes the first `:`, then the first `_`: so the user is empty
 * exactly when the JID starts with `@`, `:` or `_`. `jidDecode` accepts such JIDs (`@server`,
 * `:1@server`); no real chat looks like that, so every function here treats them as no JID.
 */
function userEnd(jid: string): number {
  if (typeof jid !== 'string') return -1;
  const at = jid.indexOf('@');
  if (at <= 0) return -1;
  const first = jid.charCodeAt(0);
  return first === COLON || first === UNDERSCORE ? -1 : at;
}

/**
 * Whether the server of `jid` (see `jidServer`) is one of `servers`. Message normalisation asks
 * this for every message, so no substring is made and the `@` is looked for only where it would
 * have to be: a JID on another server costs one character read per candidate.
 */
function onServer(jid: string, servers: readonly string[]): boolean {
  if (typeof jid !== 'string') return false;
  for (let i = 0; i < servers.length; i++) {
    const server = servers[i] as string;
    const at = jid.length - server.length - 1;
    if (at > 0 && jid.charCodeAt(at) === AT && jid.endsWith(server)) return userEnd(jid) === at;
  }
  return false;
}

/**
 * The server of a JID that has a user part: everything after the first `@`, as `jidDecode` splits
 * it; `undefined` without `@` or user part (see `userEnd`). Exactly
 * `jidDecode(jid)?.user ? jidDecode(jid).server : undefined`, without the arrays.
 */
export function jidServer(jid: string): string | undefined {
  const at = userEnd(jid);
  return at < 0 ? undefined : jid.slice(at + 1);
}

/** The user part of a JID (`123` of `123_1:4@s.whatsapp.net`), as `jidDecode` reads it; `undefined` when empty. */
export function jidUser(jid: string): string | undefined {
  return jidDecode(jid)?.user || undefined;
}

/**
 * Any JID without its device and agent parts (`user_agent:device@server` → `user@server`) and with
 * `c.us` spelled `s.whatsapp.net` — Baileys' `jidNormalizedUser` — or `undefined` for what is no
 * JID here: no `@` (where that returns `''`) or no user part (see `userEnd`). It applies to any
 * server (a group JID, which has no device part, comes back as it is); for one-to-one JIDs only,
 * use `normalizeUserJid`. This is how every JID is stored before alias resolution
 * (`AliasResolver.canonical` is the only step after it).
 */
export function normalizeJid(jid: string): string | undefined {
  if (userEnd(jid) < 0) return undefined;
  // Without `:` and `_` there is no device or agent part, so only `c.us` needs rewriting.
  if (jid.indexOf(':') < 0 && jid.indexOf('_') < 0 && !jid.endsWith('@c.us')) return jid;
  return jidNormalizedUser(jid);
}

/**
 * Classify a chat JID. Returns `undefined` for anything that is not a chat (`@call`, malformed
 * input), so callers can skip it with a logged reason instead of guessing.
 */
export function jidCategory(jid: string): JidCategory | undefined {
  if (jid === STATUS_BROADCAST_JID) return 'status';
  // A switch compares the server in place; a Set would hash every fresh substring (hot path).
  switch (jidServer(jid)) {
    // One-to-one: the PN and LID servers above, and `bot`.
    case 's.whatsapp.net':
    case 'c.us':
    case 'hosted':
    case 'lid':
    case 'hosted.lid':
    case 'bot':
      return 'dm';
    case 'g.us':
      return 'group';
    case 'broadcast':
      return 'broadcast';
    case 'newsletter':
      return 'newsletter';
    default:
      return undefined;
  }
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
  return jidCategory(jid) === 'dm' ? normalizeJid(jid) : undefined;
}

/**
 * Whether `jid` (device suffix allowed) is a LID user: `@lid` or `@hosted.lid`; only `@lid` with
 * `includeHosted` false.
 */
export function isLidJid(jid: string, includeHosted = true): boolean {
  return onServer(jid, includeHosted ? LID_SERVERS : PLAIN_LID_SERVERS);
}

/**
 * Whether `jid` (device suffix allowed) is a phone-number user: `@s.whatsapp.net`, `@c.us` or
 * `@hosted`; not `@hosted` with `includeHosted` false.
 */
export function isPnJid(jid: string, includeHosted = true): boolean {
  return onServer(jid, includeHosted ? PN_SERVERS : PLAIN_PN_SERVERS);
}
