/**
 * Message normalisation: Baileys `WAMessage` → Firestore message documents and updates.
 * Pure, no I/O. Entry point: `normalizeMessage`.
 */
export { applyMessageUpdate } from './apply-update.ts';
export { normalizeMessage } from './normalize-message.ts';
export { DEFAULT_MAX_FUTURE_SKEW_MS } from './timestamps.ts';
export {
  type MessageDocDraft,
  type MessageUpdatePatch,
  type NormalizedMessage,
  type NormalizedSkip,
  type NormalizedUpdate,
  type NormalizeFlag,
  type NormalizeOptions,
  type NormalizeResult,
  SKIP_REASONS,
  type SkipReason,
  type UpdateTarget,
  type WAMessage,
} from './types.ts';
