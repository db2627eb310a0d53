/** The stored message document as a join of everything seen about the message. */
export { type ContentFields, mergeContent, TOMBSTONE_CONTENT } from './content.ts';
export { mergeFragments, mergeMessageDoc } from './merge.ts';
export { canonicalizePollVotes, mergePollVotes, type PollVoteFields, pollVoteFragment } from './poll-votes.ts';
export { canonicalizeReactions, mergeReactions, type ReactionFields, reactionFragment } from './reactions.ts';
export { mergeSource } from './source.ts';
export type { MessageDocDraft, MessageFragment } from './types.ts';
