/**
 * Reactions, edits and revokes: events that change another message. Each becomes an update of
 * the target's document (`targetDocId`), never a message of its own.
 *
 * Whose perspective a target key is in matters, because the doc id contains the target's sender:
 * - Reaction keys are in *our* perspective: Baileys' `cleanMessage` rewrites them before
 *   `messages.upsert` (fromMe, remoteJid, participant; process-message.js), and history holds
 *   our phone's view. So `fromMe` and `participant` are taken as they are.
 * - Edits can only be made by the author, so the target has the edit's own sender. Baileys does
 *   the same (`{ ...message.key, id: protocolMsg.key.id }`).
 * - Revoke keys are in the *revoker's* perspective (`cleanMessage` leaves protocol messages
 *   alone). `fromMe: true` there means "the revoker's own message". Otherwise a group admin
 *   revoked someone else's message, named by `participant`. Baileys' own handler assumes the
 *   first case only; here both are handled.
 */

import { extractMessageContent, getContentType, type proto } from '@whiskeysockets/baileys';
import { jidUser } from '../identity/jid.ts';
import { FROM_ME_SENDER, messageDocId } from '../ids.ts';
import type { EpochMs } from '../schema.ts';
import type { ChatContext } from './chat.ts';
import { describeContent } from './content.ts';
import { type Fields, nonEmptyString, skip } from './fields.ts';
import { canonicalJid } from './jid.ts';
import type { MessageUpdatePatch, NormalizedSkip, UpdateTarget } from './types.ts';

export interface UpdateContext {
  chat: ChatContext;
  resolveJid: (jid: string) => string;
  ownUsers: ReadonlySet<string>;
}

function invalid(detail: string): NormalizedSkip {
  return skip('invalid_key', detail);
}

/** Whether the chat has several authors, so that targets must name their participant. */
function isMultiAuthor(chat: ChatContext): boolean {
  return chat.threadKind === 'group' || chat.threadKind === 'broadcast';
}

/** A target named by participant JID: ours when it is one of `ownJids`, else its canonical sender. */
function participantTarget(id: string, participant: string, ctx: UpdateContext): UpdateTarget | NormalizedSkip {
  const user = jidUser(participant);
  if (user && ctx.ownUsers.has(user)) return { id, fromMe: true, sender: null };
  const sender = canonicalJid(ctx.resolveJid, participant);
  return sender ? { id, fromMe: false, sender } : invalid(`unresolvable target participant: ${participant}`);
}

/** The message a reaction points at; the key is in our perspective (see module comment). */
export function reactionTarget(key: Fields, id: string, ctx: UpdateContext): UpdateTarget | NormalizedSkip {
  if (key.fromMe === true) return { id, fromMe: true, sender: null };
  if (!isMultiAuthor(ctx.chat)) return { id, fromMe: false, sender: ctx.chat.chatJid };
  const participant = nonEmptyString(key.participant);
  return participant ? participantTarget(id, participant, ctx) : invalid('reaction target without participant');
}

/** The message a revoke points at; the key is in the revoker's perspective (see module comment). */
export function revokeTarget(key: Fields, id: string, ctx: UpdateContext): UpdateTarget | NormalizedSkip {
  const { chat } = ctx;
  if (key.fromMe === true) return { id, fromMe: chat.fromMe, sender: chat.sender };
  if (!isMultiAuthor(chat)) {
    // In a DM "not the revoker's" is the other side of the conversation.
    return chat.fromMe ? { id, fromMe: false, sender: chat.chatJid } : { id, fromMe: true, sender: null };
  }
  const participant = nonEmptyString(key.participant);
  return participant ? participantTarget(id, participant, ctx) : invalid('revoke target without participant');
}

/** The message an edit replaces: always the editor's own. */
export function editTarget(id: string, chat: ChatContext): UpdateTarget {
  return { id, fromMe: chat.fromMe, sender: chat.sender };
}

/** Doc id of a target, the same way `normalizeMessage` ids the target itself. */
export function targetDocId(target: UpdateTarget): string {
  return messageDocId(target.sender, target.fromMe, target.id);
}

/**
 * The patch of a reaction message. The reactor is `'me'` for ours (as in doc ids), else the
 * canonical sender; null when a received reaction has no sender to key it by.
 */
export function reactionPatch(reaction: Fields, chat: ChatContext, at: EpochMs | null): MessageUpdatePatch | null {
  const reactor = chat.fromMe ? FROM_ME_SENDER : chat.sender;
  if (!reactor) return null;
  const emoji = nonEmptyString(reaction.text);
  return { op: 'reaction', reactor, emoji, at };
}

/** The display text of an edit's new content, described like any message content. */
export function editedText(newContent: Fields | null): string | null {
  if (!newContent) return null;
  const content = extractMessageContent(newContent as proto.IMessage) as Fields | undefined;
  const contentType = content ? getContentType(content as proto.IMessage) : undefined;
  return content && contentType ? describeContent(content, contentType).text : null;
}
