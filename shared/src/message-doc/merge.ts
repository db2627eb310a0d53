/**
 * `mergeMessageDoc`: the one owner of what a stored message document looks like after any number
 * of events. It is a join — commutative, associative and idempotent — over everything the document
 * holds, so the stored result depends only on the SET of sightings and updates, never on their
 * order, chunking or repetition (I1), and a pending update joined in later gives the same document
 * as one applied to a stored message (either order, same result).
 *
 * Field by field:
 * - `timestamp`: the minimum of the candidate message times. The message's own time is the
 *   earliest any sighting reports; Baileys' event buffer can only replace it with later times (a
 *   receipt's or an edit's, `Utils/event-buffer.js`), so the minimum never takes a receipt time
 *   when the message's own time was ever seen (I3).
 * - `status` / `receipts`: `mergeStatus` / `mergeReceipts` (`status.ts`): forward only, earliest
 *   time per recipient and kind.
 * - `deleted`: sticky; a deleted message keeps no content (`TOMBSTONE_CONTENT`) and no edit.
 * - `edited`: the latest edit by the edit's own time (ties: the larger text).
 * - `reactions` / `reactionTimes`: per sender the latest event by its time (`reactions.ts`).
 * - `source`: fixed precedence (`source.ts`).
 * - `pollVotes` / `pollVoteTimes`: per voter the latest vote by its time (`poll-votes.ts`).
 * - content (`type`, `text`, `media`, `quotedId`, `pollOptions`): present beats absent (`content.ts`).
 * - identity (`accountId`, `id`, `threadId`, `fromMe`, `sender`): from the documents, which agree
 *   (the planner only joins documents with the same doc id); the existing one's when both have it.
 * - `updatedAt`: the later one. `unresolvedJids` is bookkeeping the writer recomputes from the
 *   result (it depends on the alias resolver), so it is left out.
 */
import type { MessageDoc, MessageSource } from '../schema.ts';
import { mergeReceipts, mergeStatus } from '../status.ts';
import { type ContentFields, mergeContent, TOMBSTONE_CONTENT } from './content.ts';
import { mergePollVotes } from './poll-votes.ts';
import { mergeReactions } from './reactions.ts';
import { mergeSource } from './source.ts';
import type { MessageDocDraft, MessageFragment } from './types.ts';

type Part = Partial<MessageDoc>;
type Edit = NonNullable<MessageDoc['edited']>;

const IDENTITY_FIELDS = ['accountId', 'id', 'threadId', 'fromMe', 'sender'] as const;

function isDocument(part: Part): boolean {
  return typeof part.id === 'string';
}

function laterEdit(a: Edit | undefined, b: Edit | undefined): Edit | undefined {
  if (!a || !b) return a ?? b;
  if (a.at !== b.at) return a.at > b.at ? a : b;
  if (a.text === null || b.text === null) return a.text === null ? b : a;
  return b.text > a.text ? b : a;
}

function contentOf(part: Part): ContentFields {
  const content: ContentFields = { type: part.type ?? 'other', text: part.text ?? null };
  if (part.media) content.media = part.media;
  if (part.quotedId !== undefined) content.quotedId = part.quotedId;
  if (part.pollOptions !== undefined) content.pollOptions = part.pollOptions;
  return content;
}

function join(a: Part, b: Part): Part {
  const aDoc = isDocument(a);
  const bDoc = isDocument(b);
  const out: Part = {};
  const identity = aDoc ? a : b;
  for (const field of IDENTITY_FIELDS) {
    if (identity[field] !== undefined) (out as Record<string, unknown>)[field] = identity[field];
  }
  if (aDoc || bDoc) {
    out.timestamp =
      aDoc && bDoc ? Math.min(a.timestamp as number, b.timestamp as number) : (identity.timestamp as number);
    const content = aDoc && bDoc ? mergeContent(contentOf(a), contentOf(b)) : contentOf(identity);
    Object.assign(out, content);
  }
  const status = a.status && b.status ? mergeStatus(a.status, b.status) : (a.status ?? b.status);
  if (status !== undefined) out.status = status;
  if (a.receipts || b.receipts) {
    const receipts = mergeReceipts(a.receipts, b.receipts);
    if (Object.keys(receipts).length > 0) out.receipts = receipts;
  }
  Object.assign(out, mergeReactions(a, b));
  Object.assign(out, mergePollVotes(a, b));
  const deleted = a.deleted === true || b.deleted === true;
  if (deleted) {
    out.deleted = true;
    if (aDoc || bDoc) {
      delete out.media;
      delete out.quotedId;
      delete out.pollOptions;
      Object.assign(out, TOMBSTONE_CONTENT);
    }
  } else {
    const edited = laterEdit(a.edited, b.edited);
    if (edited) out.edited = { text: edited.text, at: edited.at };
  }
  if (aDoc || bDoc) {
    out.source = aDoc && bDoc ? mergeSource(a.source as MessageSource, b.source as MessageSource) : identity.source;
  }
  if (a.updatedAt !== undefined || b.updatedAt !== undefined)
    out.updatedAt = Math.max(a.updatedAt ?? 0, b.updatedAt ?? 0);
  return out;
}

/**
 * Join what is stored about a message with what just arrived: another sighting of it, or a
 * fragment from an update. `existing` undefined means nothing is stored yet. Never mutates its
 * inputs; the result is a fresh document.
 */
export function mergeMessageDoc<D extends MessageDocDraft>(existing: D | undefined, incoming: D | MessageFragment): D;
export function mergeMessageDoc(existing: Part | undefined, incoming: Part): Part {
  if (existing === undefined) {
    if (!isDocument(incoming)) throw new TypeError('mergeMessageDoc: a fragment alone is not a message document');
    return join(incoming, incoming);
  }
  return join(existing, incoming);
}

/** Join two fragments (pending updates of one message). */
export function mergeFragments(a: MessageFragment, b: MessageFragment): MessageFragment {
  return join(a, b) as MessageFragment;
}
