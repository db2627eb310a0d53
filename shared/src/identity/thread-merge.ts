/**
 * Applying a `ThreadMergePlan`: the survivor thread's fields, and moved messages' new doc ids.
 *
 * A merge moves every message of the absorbed thread into the survivor and deletes the absorbed
 * thread doc. Message doc ids contain the sender (`messageDocId(sender | "me", id)`), and in a DM
 * the sender of an incoming message is the chat itself, so an incoming message stored under the
 * LID must be re-keyed to the PN sender; our own messages (`me~id`) keep their id. If the new id
 * already exists in the survivor, it is the same message seen under both JIDs: merge the two docs
 * the way any re-delivered message is merged (status with `mergeStatus`, receipts with
 * `mergeReceipts`) instead of overwriting.
 *
 * Write the survivor thread doc and the absorbed thread's deletion in the LAST batch, after all
 * messages moved: a retried merge then finds either the whole plan still to do or nothing.
 */
import { messageDocId } from '../ids.ts';
import type { MessageDoc, ThreadDoc } from '../schema.ts';
import { canonicalizeReceipts } from '../status.ts';
import { mergeThreadSummary } from '../thread-summary.ts';
import type { CanonicalJid, ThreadMergePlan } from './alias-resolver.ts';

/**
 * The survivor's thread doc after absorbing `absorbed` (`survivor` is undefined when the
 * canonical thread does not exist yet). Summary fields merge as in `mergeThreadSummary`; unread
 * counts add up (the two threads held different messages); `updatedAt` is the later one.
 * Every rule is commutative and associative, so merging three threads in any order of plans
 * gives the same doc. Names: both threads normally carry the same contact name; if they differ,
 * the smaller string is kept — arbitrary but order-independent — and the contact sync rewrites
 * it anyway.
 */
export function mergeThreadDocs(
  survivor: ThreadDoc | undefined,
  absorbed: ThreadDoc,
  plan: ThreadMergePlan,
): ThreadDoc {
  const jid = plan.survivor.jid;
  const aliases = new Set([...(survivor?.aliases ?? []), ...absorbed.aliases, absorbed.jid, ...plan.aliases]);
  aliases.delete(jid);
  const summary = mergeThreadSummary(survivor, absorbed);
  const merged: ThreadDoc = {
    jid,
    aliases: [...aliases].sort(),
    // Only one-to-one chats have aliases, so only they are ever merged.
    kind: 'dm',
    ...summary,
    updatedAt: Math.max(survivor?.updatedAt ?? absorbed.updatedAt, absorbed.updatedAt),
  };
  const names = [survivor?.name, absorbed.name].filter((name): name is string => Boolean(name)).sort();
  if (names[0] !== undefined) merged.name = names[0];
  if (survivor?.unreadCount !== undefined || absorbed.unreadCount !== undefined) {
    merged.unreadCount = (survivor?.unreadCount ?? 0) + (absorbed.unreadCount ?? 0);
  }
  return merged;
}

/**
 * A message doc with every JID put through `canonical`, moved to `threadId`, and its new doc id.
 * Use it directly for messages whose sender's canonical form changed outside a merge (group
 * messages from a participant whose LID just got a PN — see `AliasChange.canonicalChanges`):
 * their doc id changes too, so they must be moved to the new id to keep replays idempotent.
 * Reactions under two JIDs of one person keep the entry already under the canonical JID
 * (otherwise the one under the smallest JID).
 */
export function rekeyMessage(
  message: MessageDoc,
  canonical: CanonicalJid,
  threadId: string = message.threadId,
): { docId: string; message: MessageDoc } {
  const sender = message.sender === null ? null : canonical(message.sender);
  const moved: MessageDoc = { ...message, threadId, sender };
  if (message.receipts) moved.receipts = canonicalizeReceipts(message.receipts, canonical);
  if (message.reactions) moved.reactions = canonicalizeReactions(message.reactions, canonical);
  return { docId: messageDocId(sender, message.fromMe, message.id), message: moved };
}

/** `rekeyMessage` for a message of `plan.absorbed`, moving it into `plan.survivor`. */
export function rekeyMessageForMerge(
  message: MessageDoc,
  plan: ThreadMergePlan,
  canonical: CanonicalJid,
): { docId: string; message: MessageDoc } {
  return rekeyMessage(message, canonical, plan.survivor.threadId);
}

function canonicalizeReactions(reactions: Record<string, string>, canonical: CanonicalJid): Record<string, string> {
  const chosen = new Map<string, { from: string; emoji: string }>();
  for (const [from, emoji] of Object.entries(reactions)) {
    const to = canonical(from);
    const current = chosen.get(to);
    const better = !current || (current.from !== to && (from === to || from < current.from));
    if (better) chosen.set(to, { from, emoji });
  }
  return Object.fromEntries([...chosen].map(([to, { emoji }]) => [to, emoji]));
}
