/**
 * The values `mergeMessageDoc` joins: whole message documents, the drafts normalisation makes, and
 * fragments — what an update (edit, revoke, reaction, receipt) knows about a message. A fragment
 * whose message is not stored yet is kept as a pending update and joined in when it arrives.
 */
import type { MessageDoc, MessageDocFragment } from '../schema.ts';

/** A message document as normalisation produces it; the planner adds the account, thread and bookkeeping. */
export type MessageDocDraft = Omit<MessageDoc, 'accountId' | 'threadId' | 'updatedAt' | 'unresolvedJids'>;

/** What an update contributes to a message; every field optional, none of them identity or content. */
export type MessageFragment = MessageDocFragment;
