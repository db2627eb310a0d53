/**
 * Message normalisation: Baileys `WAMessage` → message documents and updates (fragments of
 * another message's document), with JIDs as seen. Pure, no I/O. Entry points: `normalizeMessage`
 * for one message, `normalizeBaileysEvents` for a whole Baileys event map.
 */
export {
  type BaileysBatchOptions,
  type NormalizedBatch,
  normalizeBaileysEvents,
  type SkippedEvent,
} from './baileys-events.ts';
export { messageSecretOf } from './content.ts';
export { nameEventsOf } from './names.ts';
export { normalizeMessage } from './normalize-message.ts';
export { chosenOptions, type EncryptedPollVote, type PollVoteDecrypter, pollOptionsOf } from './polls.ts';
export { DEFAULT_MAX_FUTURE_SKEW_MS } from './timestamps.ts';
export {
  type MessageDocDraft,
  type MessageFragment,
  type MessageRef,
  type NormalizedMessage,
  type NormalizedSkip,
  type NormalizedUpdate,
  type NormalizeFlag,
  type NormalizeOptions,
  type NormalizeResult,
  SKIP_REASONS,
  type SkipReason,
  type WAMessage,
} from './types.ts';
