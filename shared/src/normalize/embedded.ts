/**
 * Reactions and receipts that history sync embeds in the message itself
 * (`WebMessageInfo.reactions[]` and `userReceipt[]`, WAProto.proto). Live messages get these as
 * separate events instead (`messages.reaction`, `message-receipt.update`), so the arrays are empty
 * there and this costs two length checks.
 */
import { FROM_ME_SENDER } from '../ids.ts';
import type { UserReceipt } from '../schema.ts';
import { canonicalJid } from './jid.ts';
import { millisToEpochMs, secondsToEpochMs } from './timestamps.ts';

type Fields = Record<string, unknown>;

function asFields(value: unknown): Fields | null {
  return typeof value === 'object' && value !== null ? (value as Fields) : null;
}

function nonEmptyString(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

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
    const at = millisToEpochMs(reaction?.senderTimestampMs) ?? 0;
    if (Object.hasOwn(times, reactor) && (times[reactor] as number) > at) continue;
    times[reactor] = at;
    emojis[reactor] = emoji;
  }
  return Object.keys(emojis).length > 0 ? emojis : undefined;
}

/** `receipts` map (recipient → times) from embedded `UserReceipt`s; recipients without any time are left out. */
export function embeddedReceipts(
  userReceipts: unknown,
  resolveJid: (jid: string) => string,
): Record<string, UserReceipt> | undefined {
  if (!Array.isArray(userReceipts) || userReceipts.length === 0) return undefined;
  const receipts: Record<string, UserReceipt> = {};
  let count = 0;
  for (const item of userReceipts) {
    const receipt = asFields(item);
    const userJid = nonEmptyString(receipt?.userJid);
    const user = userJid ? canonicalJid(resolveJid, userJid) : null;
    if (!receipt || !user) continue;
    const entry: UserReceipt = {};
    const deliveredAt = secondsToEpochMs(receipt.receiptTimestamp);
    if (deliveredAt !== null) entry.deliveredAt = deliveredAt;
    const readAt = secondsToEpochMs(receipt.readTimestamp);
    if (readAt !== null) entry.readAt = readAt;
    const playedAt = secondsToEpochMs(receipt.playedTimestamp);
    if (playedAt !== null) entry.playedAt = playedAt;
    if (deliveredAt === null && readAt === null && playedAt === null) continue;
    receipts[user] = entry;
    count++;
  }
  return count > 0 ? receipts : undefined;
}
