/**
 * Reactions, edits and revokes: events that change another message. Each becomes a fragment of
 * the target's document (`MessageRef` target + `MessageFragment`), never a message of its own.
 *
 * Whose perspective a target key is in matters, because a message is named by its sender:
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
import { normalizeJid } from '../identity/jid.ts';
import { isSelfJid, type SelfIdentity, selfJid } from '../identity/self.ts';
import { reactionFragment } from '../message-doc/reactions.ts';
import type { EpochMs } from '../schema.ts';
import type { ChatContext } from './chat.ts';
import { describeContent } from './content.ts';
import { type Fields, nonEmptyString, skip } from './fields.ts';
import type { MessageFragment, MessageRef, NormalizedSkip } from './types.ts';

export interface UpdateContext {
  chat: ChatContext;
  self: SelfIdentity;
}

function invalid(detail: string): NormalizedSkip {
  return skip('invalid_key', detail);
}

/** Whether the chat has several authors, so that targets must name their participant. */
function isMultiAuthor(chat: ChatContext): boolean {
  return chat.threadKind === 'group' || chat.threadKind === 'broadcast';
}

function target(chat: ChatContext, id: string, fromMe: boolean, sender: string | null): MessageRef {
  return { chatJid: chat.chatJid, threadKind: chat.threadKind, id, fromMe, sender: fromMe ? null : sender };
}

/** A target named by participant JID: ours when it is one of our JIDs, else that participant's. */
function participantTarget(id: string, participant: string, ctx: UpdateContext): MessageRef | NormalizedSkip {
  if (isSelfJid(ctx.self, participant)) return target(ctx.chat, id, true, null);
  const sender = normalizeJid(participant);
  return sender ? target(ctx.chat, id, false, sender) : invalid(`unresolvable target participant: ${participant}`);
}

/** The message a reaction points at; the key is in our perspective (see module comment). */
export function reactionTarget(key: Fields, id: string, ctx: UpdateContext): MessageRef | NormalizedSkip {
  if (key.fromMe === true) return target(ctx.chat, id, true, null);
  if (!isMultiAuthor(ctx.chat)) return target(ctx.chat, id, false, ctx.chat.chatJid);
  const participant = nonEmptyString(key.participant);
  return participant ? participantTarget(id, participant, ctx) : invalid('reaction target without participant');
}

/** The message a revoke points at; the key is in the revoker's perspective (see module comment). */
export function revokeTarget(key: Fields, id: string, ctx: UpdateContext): MessageRef | NormalizedSkip {
  const { chat } = ctx;
  if (key.fromMe === true) return target(chat, id, chat.fromMe, chat.sender);
  if (!isMultiAuthor(chat)) {
    // In a DM "not the revoker's" is the other side of the conversation.
    return chat.fromMe ? target(chat, id, false, chat.chatJid) : target(chat, id, true, null);
  }
  const participant = nonEmptyString(key.participant);
  return participant ? participantTarget(id, participant, ctx) : invalid('revoke target without participant');
}

/** The message an edit replaces: always the editor's own. */
export function editTarget(id: string, chat: ChatContext): MessageRef {
  return target(chat, id, chat.fromMe, chat.sender);
}

/**
 * The fragment of a reaction message. The reactor is our own JID (`selfJid`) for ours, else the
 * sender; null when a received reaction has no sender to key it by. An empty reaction is a
 * removal, kept with its time (`reactionTimes`) so that an older "add" replayed later loses.
 */
export function reactionUpdate(reaction: Fields, ctx: UpdateContext, at: EpochMs | null): MessageFragment | null {
  const reactor = ctx.chat.fromMe ? selfJid(ctx.self) : ctx.chat.sender;
  if (!reactor) return null;
  return reactionFragment(reactor, nonEmptyString(reaction.text), at);
}
/** The display text of an edit's new content, described like any message content. */
export function editedText(newContent: Fields | null): string | null {
  if (!newContent) return null;
  const content = extractMessageContent(newContent as proto.IMessage) as Fields | undefined;
  const contentType = content ? getContentType(content as proto.IMessage) : undefined;
  return content && contentType ? describeContent(content, contentType).text : null;
}
