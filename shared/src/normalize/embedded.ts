/**
 * Reactions and receipts that history sync embeds in the message itself
 * (`WebMessageInfo.reactions[]` and `userReceipt[]`, WAProto.proto). Live messages get these as
 * separate events instead (`messages.reaction`, `message-receipt.update`), so the arrays are empty
 * there and this costs two length checks.
 */
import { FROM_ME_SENDER } from '../ids.ts';
import { type ReceiptMap, receiptsFromUserReceipts, type UserReceiptLike } from '../status.ts';
import { epochMsFromMillis } from '../time.ts';
import { asFields, nonEmptyString } from './fields.ts';
import { canonicalJid } from './jid.ts';

/**
 * `reactions` map (reactor → emoji) from embedded `Reaction`s. Each reaction's key is the
 * reaction message's own key, so its author is the reactor: `'me'` when fromMe (as in doc ids),
 * else the participant (groups) or the chat (DMs). Removed reactions (empty text) are left out;
 * if a reactor appears twice the later `senderTimestampMs` wins.
 */
export function embeddedReactions(
  reactions: unknown,
  resolveJid: (jid: string) => string,
): Record<string, string> | undefined {
  if (!Array.isArray(reactions) || reactions.length === 0) return undefined;
  const emojis: Record<string, string> = {};
  const times: Record<string, number> = {};
  for (const item of reactions) {
    const reaction = asFields(item);
    const emoji = nonEmptyString(reaction?.text);
    const key = asFields(reaction?.key);
    if (!emoji || !key) continue;
    let reactor: string | null = FROM_ME_SENDER;
    if (key.fromMe !== true) {
      const author = nonEmptyString(key.participant) ?? nonEmptyString(key.remoteJid);
      reactor = author ? canonicalJid(resolveJid, author) : null;
    }
    if (!reactor) continue;
    const at = epochMsFromMillis(reaction?.senderTimestampMs) ?? 0;
    if (Object.hasOwn(times, reactor) && (times[reactor] as number) > at) continue;
    times[reactor] = at;
    emojis[reactor] = emoji;
  }
  return Object.keys(emojis).length > 0 ? emojis : undefined;
}

/**
 * `receipts` map (recipient → times) from embedded `UserReceipt`s, converted as every receipt is
 * (`receiptsFromUserReceipts`), with recipients put through `resolveJid`. Undefined when none is left.
 */
export function embeddedReceipts(userReceipts: unknown, resolveJid: (jid: string) => string): ReceiptMap | undefined {
  if (!Array.isArray(userReceipts) || userReceipts.length === 0) return undefined;
  // The entries are untrusted; `receiptsFromUserReceipts` skips any that are not receipts.
  const receipts = receiptsFromUserReceipts(
    userReceipts as readonly UserReceiptLike[],
    (jid) => canonicalJid(resolveJid, jid) ?? undefined,
  );
  return Object.keys(receipts).length > 0 ? receipts : undefined;
}
