/**
 * The denormalised summary on a thread doc — `lastMessageAt`, `lastMessage`, `oldestMessageAt` —
 * computed from messages and merged so that replays, any chunking of history and any order of
 * events give the same fields (I1).
 *
 * The merge is a join: `lastMessage` is the maximum under a total order on
 * (timestamp, message id, fromMe), `oldestMessageAt` the minimum timestamp. Equal keys mean the
 * same message seen twice; its status merges forward with `mergeStatus`.
 *
 * Ties on the timestamp are common (history times are whole seconds), so they are broken by the
 * message's identity. The summary can only use what `ThreadDoc.lastMessage` stores, `id` and
 * `fromMe`, because an existing summary is read back from the thread doc; within one thread that
 * is the message doc id (`messageDocId`) minus the sender — which, unlike a group message's doc id,
 * survives the LID → PN re-keying of a late mapping.
 */

import type { EpochMs, LastMessageSummary, MessageDoc, ThreadDoc } from './schema.ts';
import { mergeStatus } from './status.ts';

/** The message fields a summary is built from. */
export type SummaryMessage = Pick<MessageDoc, 'id' | 'timestamp' | 'text' | 'fromMe' | 'type' | 'status'>;

/** The summary fields of a thread doc; a `ThreadDoc` is one. */
export type ThreadSummary = Pick<ThreadDoc, 'lastMessageAt' | 'lastMessage' | 'oldestMessageAt'>;

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Order of last-message candidates; 0 means the same message. */
function compareLast(a: ThreadSummary, b: ThreadSummary): number {
  return (
    a.lastMessageAt - b.lastMessageAt ||
    compareStrings(a.lastMessage.id, b.lastMessage.id) ||
    Number(a.lastMessage.fromMe) - Number(b.lastMessage.fromMe)
  );
}

/**
 * Content to keep when the same message was summarised twice with different content. Normally
 * both copies are equal; when they are not, a `null` text wins (a revoked message keeps a
 * tombstone without content, DESIGN §3), else the larger text and type — arbitrary, but
 * independent of order.
 */
function preferredContent(a: LastMessageSummary, b: LastMessageSummary): LastMessageSummary {
  if ((a.text === null) !== (b.text === null)) return a.text === null ? a : b;
  const byText = a.text === null || b.text === null ? 0 : compareStrings(a.text, b.text);
  return (byText || compareStrings(a.type, b.type)) >= 0 ? a : b;
}

/** Exactly the `LastMessageSummary` fields, so that callers passing whole MessageDocs leak nothing else. */
function lastMessageOf(message: LastMessageSummary): LastMessageSummary {
  return { id: message.id, text: message.text, fromMe: message.fromMe, type: message.type, status: message.status };
}

function minDefined(a: EpochMs | undefined, b: EpochMs | undefined): EpochMs | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/**
 * Merge a thread's existing summary with an incoming one: `lastMessageAt` only moves forward and
 * `lastMessage` follows it, `oldestMessageAt` only moves back, and the last message's status does
 * not regress when the same message is seen again.
 */
export function mergeThreadSummary(existing: ThreadSummary | undefined, incoming: ThreadSummary): ThreadSummary {
  if (existing === undefined) return summaryFields(incoming, incoming.lastMessage);
  const order = compareLast(existing, incoming);
  const later = order >= 0 ? existing : incoming;
  let lastMessage = later.lastMessage;
  if (order === 0) {
    const content = preferredContent(existing.lastMessage, incoming.lastMessage);
    lastMessage = { ...content, status: mergeStatus(existing.lastMessage.status, incoming.lastMessage.status) };
  }
  const oldestMessageAt = minDefined(existing.oldestMessageAt, incoming.oldestMessageAt);
  return summaryFields({ lastMessageAt: later.lastMessageAt, oldestMessageAt }, lastMessage);
}

/** A fresh summary object with exactly the summary fields (an undefined oldest is left out). */
function summaryFields(
  times: Pick<ThreadSummary, 'lastMessageAt' | 'oldestMessageAt'>,
  lastMessage: LastMessageSummary,
): ThreadSummary {
  const summary: ThreadSummary = { lastMessageAt: times.lastMessageAt, lastMessage: lastMessageOf(lastMessage) };
  if (times.oldestMessageAt !== undefined) summary.oldestMessageAt = times.oldestMessageAt;
  return summary;
}

/** The summary of one message. */
export function summarizeMessage(message: SummaryMessage): ThreadSummary {
  return { lastMessageAt: message.timestamp, lastMessage: lastMessageOf(message), oldestMessageAt: message.timestamp };
}

/** The summary of a batch of messages (any order); `undefined` for an empty batch. */
export function summarizeMessages(messages: Iterable<SummaryMessage>): ThreadSummary | undefined {
  let summary: ThreadSummary | undefined;
  for (const message of messages) summary = mergeThreadSummary(summary, summarizeMessage(message));
  return summary;
}
