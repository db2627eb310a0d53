/**
 * Where things go once aliases are resolved: canonical message refs, thread and message doc ids,
 * fragments with canonical keys, and the `unresolvedJids` bookkeeping that lets a later mapping
 * find the documents it re-keys.
 */
import type { CanonicalJid } from '../identity/alias-resolver.ts';
import { jidServer } from '../identity/jid.ts';
import { ID_SEPARATOR, messageDocId, PEER_SENDER, safeDocId, threadDocId } from '../ids.ts';
import { canonicalizePollVotes } from '../message-doc/poll-votes.ts';
import { canonicalizeReactions } from '../message-doc/reactions.ts';
import type { MessageDocDraft, MessageFragment } from '../message-doc/types.ts';
import type { MessageRef } from '../normalize/types.ts';
import type { MessageDoc, ThreadKind } from '../schema.ts';
import { canonicalizeReceipts } from '../status.ts';

/** Servers whose users may still get a better canonical JID (a phone number) from a mapping. */
const UNRESOLVED_SERVERS = new Set(['lid', 'hosted.lid', 'hosted']);

/** Whether a canonical JID may change when a mapping arrives (a LID without known phone number). */
export function mayChange(jid: string): boolean {
  return UNRESOLVED_SERVERS.has(jidServer(jid) ?? '');
}

/** A ref with its chat and sender put through `canonical`. */
export function canonicalRef(ref: MessageRef, canonical: CanonicalJid): MessageRef {
  return { ...ref, chatJid: canonical(ref.chatJid), sender: ref.sender === null ? null : canonical(ref.sender) };
}

/** Thread and message doc ids of a canonical ref. */
export function locate(ref: MessageRef): { threadId: string; docId: string } {
  return { threadId: threadDocId(ref.chatJid), docId: messageDocId(ref) };
}

/** The doc key of pending updates for a WhatsApp message id. */
export function pendingKey(messageId: string): string {
  return safeDocId(messageId);
}

/** The doc key of the names of a JID. */
export function nameKey(jid: string): string {
  return safeDocId(jid);
}

/** Receipt, reaction and vote keys put through `canonical`, entries of one person joined. */
export function canonicalFragment<F extends MessageFragment>(fragment: F, canonical: CanonicalJid): F {
  const { receipts, reactions: _r, reactionTimes: _t, pollVotes: _v, pollVoteTimes: _vt, ...rest } = fragment;
  const out = { ...rest } as F;
  if (receipts) out.receipts = canonicalizeReceipts(receipts, canonical);
  Object.assign(out, canonicalizeReactions(fragment, canonical));
  Object.assign(out, canonicalizePollVotes(fragment, canonical));
  return out;
}

/** The draft of a canonical ref as a stored document (without `updatedAt` and bookkeeping). */
export function completeDraft(
  draft: MessageDocDraft,
  ref: MessageRef,
  accountId: string,
  canonical: CanonicalJid,
): Omit<MessageDoc, 'updatedAt'> {
  const { threadId } = locate(ref);
  return { ...canonicalFragment(draft, canonical), accountId, threadId, sender: ref.sender };
}

/** Every JID a message or fragment uses as a key (sender, receipts, reactions, votes). */
export function jidsOf(doc: MessageFragment & { sender?: string | null }): string[] {
  const jids: string[] = [];
  if (doc.sender) jids.push(doc.sender);
  for (const map of [doc.receipts, doc.reactions, doc.reactionTimes, doc.pollVotes, doc.pollVoteTimes]) {
    if (map) jids.push(...Object.keys(map));
  }
  return jids;
}

/** `unresolvedJids` of a document: the canonical forms of `jids` that may still change, sorted. */
export function unresolvedOf(jids: Iterable<string>, canonical: CanonicalJid): string[] | undefined {
  const out = new Set<string>();
  for (const jid of jids) {
    const c = canonical(jid);
    if (mayChange(c)) out.add(c);
  }
  return out.size > 0 ? [...out].sort() : undefined;
}

/**
 * The thread kind to re-key a stored message with (`rekeyMessage`), read from its doc id, which
 * says which rule of `messageDocId` made it, so no thread read is needed: `peer~` ids are a
 * two-party chat's and keep their id; the others (`me~`, whatever the chat, and `<sender>~`)
 * follow their author's canonical JID as group messages do.
 */
export function rekeyKindOf(docId: string): ThreadKind {
  return docId.startsWith(`${PEER_SENDER}${ID_SEPARATOR}`) ? 'dm' : 'group';
}
