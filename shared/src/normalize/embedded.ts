/**
 * Reactions and receipts embedded in the message itself (`WebMessageInfo.reactions[]` and
 * `userReceipt[]`, WAProto.proto): history sync puts them there, and so does Baileys' event
 * buffer when a `messages.reaction` or `message-receipt.update` meets the message's upsert in one
 * buffer (`updateMessageWithReaction` / `updateMessageWithReceipt`). Live messages otherwise get
 * these as separate events, so the arrays are empty and this costs two length checks.
 */
import { normalizeJid } from '../identity/jid.ts';
import { type SelfIdentity, selfJid } from '../identity/self.ts';
import { mergeReactions, type ReactionFields, reactionFragment } from '../message-doc/reactions.ts';
import { type ReceiptMap, receiptsFromUserReceipts, type UserReceiptLike } from '../status.ts';
import { epochMsFromMillis } from '../time.ts';
import { asFields, nonEmptyString } from './fields.ts';

/**
 * Reaction fields from embedded `Reaction`s. Each reaction's key is the reaction message's own
 * key, so its author is the reactor: our own JID when fromMe, else the participant (groups) or the
 * chat (DMs), as seen. Removals (empty text — the event buffer keeps them so) count with their
 * time like any reaction event (`message-doc/reactions.ts`).
 */
export function embeddedReactions(reactions: unknown, self: SelfIdentity): ReactionFields | undefined {
  if (!Array.isArray(reactions) || reactions.length === 0) return undefined;
  let fields: ReactionFields = {};
  for (const item of reactions) {
    const reaction = asFields(item);
    const key = asFields(reaction?.key);
    if (!reaction || !key) continue;
    let reactor: string | undefined = selfJid(self);
    if (key.fromMe !== true) {
      const author = nonEmptyString(key.participant) ?? nonEmptyString(key.remoteJid);
      reactor = author ? normalizeJid(author) : undefined;
    }
    if (!reactor) continue;
    const at = epochMsFromMillis(reaction.senderTimestampMs) ?? null;
    fields = mergeReactions(fields, reactionFragment(reactor, nonEmptyString(reaction.text), at));
  }
  return fields.reactions || fields.reactionTimes ? fields : undefined;
}

/**
 * `receipts` map (recipient → times) from embedded `UserReceipt`s, converted as every receipt is
 * (`receiptsFromUserReceipts`), keyed by the recipient as seen. Undefined when none is left.
 */
export function embeddedReceipts(userReceipts: unknown): ReceiptMap | undefined {
  if (!Array.isArray(userReceipts) || userReceipts.length === 0) return undefined;
  // The entries are untrusted; `receiptsFromUserReceipts` skips any that are not receipts.
  const receipts = receiptsFromUserReceipts(userReceipts as readonly UserReceiptLike[]);
  return Object.keys(receipts).length > 0 ? receipts : undefined;
}
