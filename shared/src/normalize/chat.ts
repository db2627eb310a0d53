/**
 * Which conversation a message belongs to, who sent it, and which LID ↔ PN aliases its key reveals.
 * JIDs come out device-free but as seen: resolving LID ↔ PN aliases is the write planner's job.
 *
 * Rules (Baileys 7 behaviour they follow):
 * - Groups (`@g.us`): the chat is `remoteJid`, the sender `key.participant`. History messages
 *   sometimes carry the participant only on `WebMessageInfo.participant`, so that is the fallback.
 * - DMs (`@s.whatsapp.net`, `@c.us`, `@lid`, hosted variants, `@bot`): the chat is the peer and
 *   the peer is the sender of everything not fromMe.
 * - Broadcast lists (`…@broadcast` except status): Baileys' `getChatId` makes the *sender* the
 *   chat for received messages (the recipient sees a DM); our own sends stay in the list's thread.
 * - `status@broadcast`: skipped unless `includeStatusBroadcast`; then one 'broadcast' thread with
 *   the poster as sender.
 * - Newsletters (`@newsletter`): kept as a 'newsletter' thread. `decodeMessageNode` makes the
 *   channel itself the author, so the channel JID is the sender of posts not from us.
 * - Anything else (`@call`, `@temp`, garbage) is not a conversation: `invalid_key`.
 * Which of these a JID is, is `jidCategory`'s decision (`identity/jid.ts`), not this module's.
 *
 * Aliases: `decodeMessageNode` copies the stanza's *sender* alternate into `participantAlt` for
 * groups and into `remoteJidAlt` for everything else (decode-wa-message.js, `extractAddressingContext`).
 * So the alternate pairs with the author: the participant in groups/broadcasts, the peer in DMs.
 * For our own DMs the stanza's sender is us, and reading the code the alternate may be *our* other
 * JID rather than the peer's (brief §3); pairing it with the peer would merge every DM into one
 * thread, so an alternate that is one of our own JIDs (`self`) is not accepted.
 */
import { jidCategory, jidServer, jidUser, normalizeJid, STATUS_BROADCAST_JID } from '../identity/jid.ts';
import { lidPnPairOf } from '../identity/lid-pn-pairs.ts';
import { type SelfIdentity, selfUsers } from '../identity/self.ts';
import type { LidPnPair, ThreadKind } from '../schema.ts';
import { type Fields, nonEmptyString, skip } from './fields.ts';
import type { MessageRef, NormalizedSkip } from './types.ts';

export interface ChatContext {
  /** Chat JID, device-free, as seen. */
  chatJid: string;
  threadKind: ThreadKind;
  fromMe: boolean;
  /** Sender JID, device-free, as seen; null when fromMe. */
  sender: string | null;
  aliases: LidPnPair[];
}

/** The message `id` of this chat and author. */
export function messageRef(chat: ChatContext, id: string): MessageRef {
  return { chatJid: chat.chatJid, threadKind: chat.threadKind, id, fromMe: chat.fromMe, sender: chat.sender };
}

export interface ChatResolution {
  includeStatusBroadcast: boolean;
  self: SelfIdentity;
}

/**
 * Resolve the conversation, thread kind, sender and aliases of a message, or say why it is skipped.
 * `remoteJid` is `key.remoteJid`, already checked to be a non-empty string.
 */
export function resolveChat(
  msg: Fields,
  key: Fields,
  remoteJid: string,
  ctx: ChatResolution,
): ChatContext | NormalizedSkip {
  const fromMe = key.fromMe === true;
  const alt = nonEmptyString(key.remoteJidAlt);

  switch (jidCategory(remoteJid)) {
    case 'group': {
      const participant = nonEmptyString(key.participant) ?? nonEmptyString(msg.participant);
      return withAuthor(remoteJid, 'group', fromMe, participant, nonEmptyString(key.participantAlt), true);
    }
    case 'status':
      if (!ctx.includeStatusBroadcast) return skip('status_broadcast', STATUS_BROADCAST_JID);
      return withAuthor(remoteJid, 'broadcast', fromMe, nonEmptyString(key.participant), alt, true);
    case 'broadcast': {
      if (fromMe) return withAuthor(remoteJid, 'broadcast', true, null, null, false);
      // getChatId (process-message.js): a received broadcast-list message belongs to the sender's DM.
      const participant = nonEmptyString(key.participant);
      if (!participant) return skip('invalid_key', 'broadcast message without participant');
      return withAuthor(participant, 'dm', false, participant, alt, false);
    }
    case 'newsletter':
      return withAuthor(remoteJid, 'newsletter', fromMe, remoteJid, null, false);
    case 'dm': {
      // Own DMs: only trust the alternate when it is not one of our own JIDs.
      const trustedAlt = fromMe ? trustedOwnDmAlt(alt, selfUsers(ctx.self)) : alt;
      return withAuthor(remoteJid, 'dm', fromMe, remoteJid, trustedAlt, false);
    }
    case undefined: {
      const server = jidServer(remoteJid);
      return skip(
        'invalid_key',
        server === undefined ? `unresolvable chat JID: ${remoteJid}` : `unsupported chat server: ${server}`,
      );
    }
  }
}

function trustedOwnDmAlt(alt: string | null, ownUsers: ReadonlySet<string>): string | null {
  if (!alt) return null;
  const user = jidUser(alt);
  return user && !ownUsers.has(user) ? alt : null;
}

/**
 * Finish a `ChatContext`. `author` is the raw JID of whoever wrote the message (when not fromMe it
 * becomes the sender); `authorRequired` makes a missing author of a received message an `invalid_key`.
 * For DMs the alias pairs with the chat, for groups and broadcasts with the author.
 */
function withAuthor(
  rawChat: string,
  threadKind: ThreadKind,
  fromMe: boolean,
  author: string | null,
  authorAlt: string | null,
  authorRequired: boolean,
): ChatContext | NormalizedSkip {
  const chatJid = normalizeJid(rawChat);
  if (!chatJid) return skip('invalid_key', `unresolvable chat JID: ${rawChat}`);
  let sender: string | null = null;
  if (!fromMe) {
    if (!author) {
      if (authorRequired) return skip('invalid_key', `${threadKind} message without participant`);
    } else {
      // In DMs and newsletters the author is the chat: normalise it once.
      sender = author === rawChat ? chatJid : (normalizeJid(author) ?? null);
      if (!sender) return skip('invalid_key', `unresolvable sender JID: ${author}`);
    }
  }
  // Messages report plain `@lid` ↔ `@s.whatsapp.net` pairs only, not the hosted variants.
  const pair = lidPnPairOf(threadKind === 'dm' ? rawChat : author, authorAlt, false);
  return { chatJid, threadKind, fromMe, sender, aliases: pair ? [pair] : [] };
}
