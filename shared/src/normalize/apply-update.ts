/**
 * Reference semantics of a `MessageUpdatePatch`: what a writer must do to the stored message.
 * Pure; returns a new document and never mutates its input.
 */
import type { MessageDoc } from '../schema.ts';
import type { MessageDocDraft, MessageUpdatePatch } from './types.ts';

/**
 * Apply one update to a stored message document.
 * - reaction: sets or (emoji null) removes `reactions[reactor]`; an emptied map is dropped.
 * - edit: sets `edited`; ignored on a tombstone, since a revoke always wins over an edit.
 * - revoke: makes a tombstone — `deleted: true`, `text: null`, without `media`, `quotedId`, `edited`.
 *   Reactions, receipts, status and timestamp stay: they describe the message, not its content.
 */
export function applyMessageUpdate<T extends MessageDoc | MessageDocDraft>(doc: T, update: MessageUpdatePatch): T {
  switch (update.op) {
    case 'reaction': {
      const { reactions: previous, ...rest } = doc;
      const reactions = { ...previous };
      if (update.emoji === null) delete reactions[update.reactor];
      else reactions[update.reactor] = update.emoji;
      return (Object.keys(reactions).length > 0 ? { ...rest, reactions } : rest) as T;
    }
    case 'edit':
      return doc.deleted ? doc : { ...doc, edited: { ...update.edited } };
    case 'revoke': {
      const { media: _media, quotedId: _quotedId, edited: _edited, ...rest } = doc;
      return { ...rest, text: null, deleted: true } as T;
    }
  }
}
