/**
 * Applying a `ThreadMergePlan`: the survivor thread's fields, and moved messages' new doc ids.
 *
 * A merge moves every message of the absorbed thread into the survivor and deletes the absorbed
 * thread doc. DM message doc ids do not contain the sender (`peer~id`, `me~id`), so a moved message
 * keeps its id; if that id already exists in the survivor, it is the same message seen under both
 * JIDs and the two docs are joined with `mergeMessageDoc` instead of overwritten.
 *
 * Write the survivor thread doc and the absorbed thread's deletion in the LAST batch, after all
 * messages moved: a retried merge then finds either the whole plan still to do or nothing.
 */
import { messageDocId } from '../ids.ts';
import { canonicalizePollVotes } from '../message-doc/poll-votes.ts';
import { canonicalizeReactions } from '../message-doc/reactions.ts';
import { betterName, nameFields, nameOfThread } from '../planner/names.ts';
import type { MessageDoc, ThreadDoc, ThreadKind } from '../schema.ts';
import { canonicalizeReceipts } from '../status.ts';
import { mergeThreadSummary } from '../thread-summary.ts';
import type { CanonicalJid, ThreadMergePlan } from './alias-resolver.ts';

/**
 * The survivor's thread doc after absorbing `absorbed` (`survivor` is undefined when the
 * canonical thread does not exist yet). Summary fields merge as in `mergeThreadSummary`; unread
 * counts add up (the two threads held different messages); `updatedAt` is the later one.
 * Every rule is commutative and associative, so merging three threads in any order of plans
 * gives the same doc. Names: the better of the two (`betterName`); threads named before
 * `nameFrom` existed keep the smaller string — arbitrary but order-independent — until the name
 * documents of their JIDs, which they still have, name them again.
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
  const best = betterName('dm', nameOfThread(survivor), nameOfThread(absorbed));
  const names = [survivor?.name, absorbed.name].filter((name): name is string => Boolean(name)).sort();
  if (best) Object.assign(merged, nameFields(best));
  else if (names[0] !== undefined) merged.name = names[0];
  if (survivor?.unreadCount !== undefined || absorbed.unreadCount !== undefined) {
    merged.unreadCount = (survivor?.unreadCount ?? 0) + (absorbed.unreadCount ?? 0);
  }
  return merged;
}

/**
 * A message doc with every JID put through `canonical` — sender, receipt and reaction keys — and
 * its doc id in `thread` (which the message moves to when it differs from its current one). Use it
 * for the messages of a thread absorbed by a merge, and for group messages whose sender's canonical
 * JID changed (`AliasChange.canonicalChanges`): their doc id contains the sender, so they must move
 * to keep replays idempotent. DM doc ids do not contain the sender (`messageDocId`), so there only
 * the thread changes. Entries of one person under two JIDs are joined as `mergeMessageDoc` would.
 */
export function rekeyMessage(
  message: MessageDoc,
  canonical: CanonicalJid,
  thread: { threadId: string; kind: ThreadKind },
): { docId: string; message: MessageDoc } {
  const sender = message.sender === null ? null : canonical(message.sender);
  const {
    unresolvedJids: _stale,
    reactions: _r,
    reactionTimes: _t,
    pollVotes: _v,
    pollVoteTimes: _vt,
    ...rest
  } = message;
  const moved: MessageDoc = { ...rest, threadId: thread.threadId, sender };
  if (message.receipts) moved.receipts = canonicalizeReceipts(message.receipts, canonical);
  Object.assign(moved, canonicalizeReactions(message, canonical));
  Object.assign(moved, canonicalizePollVotes(message, canonical));
  const docId = messageDocId({ threadKind: thread.kind, fromMe: message.fromMe, sender, id: message.id });
  return { docId, message: moved };
}
