/**
 * `normalizeMessage`: one Baileys `WAMessage` → a Firestore message document, an update of another
 * message, or a reasoned skip. Pure, synchronous and total: it never throws, on any input.
 *
 * Poll votes need the poll's secret, which the socket host keeps: it passes `decryptPollVote`;
 * without it (or when the poll is unknown) a vote is skipped as 'poll_vote'.
 *
 * Pipeline: validate the key → resolve chat, sender and aliases (`chat.ts`) → classify the event
 * (`classify.ts`) → build the result. Decisions documented in the modules:
 * - newsletters are kept as 'newsletter' threads, `status@broadcast` is skipped unless opted in,
 *   received broadcast-list messages go to the sender's DM (`chat.ts`);
 * - group system stubs are skipped as 'group_stub', CIPHERTEXT placeholders as
 *   'ciphertext_placeholder', history's REVOKE stubs become tombstones (`classify.ts`);
 * - location text is "name, address", else the comment, else "lat, lng" (`content.ts`).
 *
 * Timestamps: `messageTimestamp` is seconds (number, Long or string). A message document needs
 * it: when it is missing, zero or not a number the message is skipped as 'malformed' rather than
 * given an invented time — "now" would misplace a history message at the top of its thread and
 * would differ on every replay (I1). Times more than `maxFutureSkewMs` after the event's
 * `receivedAt` are clamped to it with the flag 'future_timestamp_clamped' — the event's own
 * receive time, so that replays clamp to the same value. Updates tolerate a missing time
 * (reactions then count as the oldest) except edits, whose `edited.at` the contract requires.
 *
 * Baileys' event buffer (offline catch-up, first connect) merges events into the message they
 * concern with `Object.assign` (`Utils/event-buffer.js`), and two of those merges are recognised
 * here so that nothing is lost and no receipt time becomes a message time (flags say which):
 * - an edit merged into its message's upsert leaves `message = { editedMessage: { message: <new> } }`
 *   and the edit's time: stored as the message with its edit applied (`buffered_edit`);
 * - a receipt merged into an upsert leaves the receipt's `status` and time: recorded as the receipt
 *   it is, and the time counts only as an upper bound of the message's (`buffered_receipt`) —
 *   `mergeMessageDoc` keeps the minimum, so the message's own time wins once any sighting has it.
 *   Live upserts carry no status beyond SERVER_ACK of their own (`decodeMessageNode`), and history
 *   messages decoded from protobuf carry `Long` times, so a higher status or a plain-number history
 *   time is the mark of a merged receipt.
 * A third merge, a revoke, also replaces the key; `baileys-events.ts` undoes that for a whole batch.
 *
 * Output is plain JSON data (numbers, strings, booleans, null, plain objects and arrays; optional
 * fields omitted rather than undefined), because Firestore rejects Long, class instances and undefined.
 */
import { proto } from '@whiskeysockets/baileys';
import { isSelfJid, selfJid } from '../identity/self.ts';
import { TOMBSTONE_CONTENT } from '../message-doc/content.ts';
import { pollVoteFragment } from '../message-doc/poll-votes.ts';
import type { EpochMs } from '../schema.ts';
import { mergeReceipts, receiptOfStatus } from '../status.ts';
import { epochMsFromMillis, epochMsFromSeconds } from '../time.ts';
import { type ChatContext, type ChatResolution, messageRef, resolveChat } from './chat.ts';
import { type Classification, classifyMessage } from './classify.ts';
import { type ContentSummary, describeContent } from './content.ts';
import { embeddedReactions, embeddedReceipts } from './embedded.ts';
import { asFields, type Fields, nonEmptyString, skip } from './fields.ts';
import { messageStatus } from './message-status.ts';
import { embeddedPollVotes } from './polls.ts';
import { clampFuture, DEFAULT_MAX_FUTURE_SKEW_MS } from './timestamps.ts';
import type {
  MessageDocDraft,
  MessageFragment,
  MessageRef,
  NormalizedMessage,
  NormalizedSkip,
  NormalizedUpdate,
  NormalizeFlag,
  NormalizeOptions,
  NormalizeResult,
  WAMessage,
} from './types.ts';
import { editedText, editTarget, reactionTarget, reactionUpdate, revokeTarget, type UpdateContext } from './updates.ts';

/** What withheld view-once messages show: there is no content to describe. */
const NO_CONTENT: ContentSummary = { type: 'other', text: null };

const ProtoStatus = proto.WebMessageInfo.Status;

function describeError(err: unknown): string {
  try {
    return err instanceof Error ? `${err.name}: ${err.message}` : `non-error thrown: ${typeof err}`;
  } catch {
    return 'unprintable error';
  }
}

/** Per-call settings, resolved once. */
interface Run {
  opts: NormalizeOptions;
  maxFutureSkewMs: number;
  resolution: ChatResolution;
  flags: NormalizeFlag[];
}

function flag(run: Run, name: NormalizeFlag): void {
  if (!run.flags.includes(name)) run.flags.push(name);
}

/** Clamp a time to the event's receive time when it lies too far after it, recording the flag once. */
function clampTime(run: Run, at: EpochMs): EpochMs {
  const clamped = clampFuture(at, run.opts.receivedAt, run.maxFutureSkewMs);
  if (clamped.clamped) flag(run, 'future_timestamp_clamped');
  return clamped.at;
}

/**
 * Whether Baileys' buffer merged a receipt into this message (see the module comment): a live
 * upsert with a status no stanza gives (beyond SERVER_ACK for ours; any read state for others), or
 * a history message whose protobuf `Long` time was replaced by a plain number.
 */
function hasBufferedReceipt(msg: Fields, fromMe: boolean, source: NormalizeOptions['source']): boolean {
  const status = typeof msg.status === 'number' ? msg.status : null;
  if (source === 'realtime') {
    return status !== null && status >= (fromMe ? ProtoStatus.DELIVERY_ACK : ProtoStatus.READ);
  }
  if (source === 'send') return false;
  return typeof msg.messageTimestamp === 'number' && status !== null && status >= ProtoStatus.DELIVERY_ACK;
}

function buildMessage(
  msg: Fields,
  id: string,
  chat: ChatContext,
  summary: ContentSummary,
  timestamp: EpochMs,
  run: Run,
): NormalizedMessage {
  const { source, self } = { source: run.opts.source, self: run.resolution.self };
  const doc: MessageDocDraft = {
    id,
    fromMe: chat.fromMe,
    sender: chat.sender,
    timestamp,
    type: summary.type,
    text: summary.text,
    status: messageStatus(msg.status, chat.fromMe, source),
    source,
  };
  if (summary.media) doc.media = summary.media;
  if (summary.quotedId !== undefined) doc.quotedId = summary.quotedId;
  if (summary.pollOptions) {
    doc.pollOptions = summary.pollOptions;
    const votes = embeddedPollVotes(msg.pollUpdates, summary.pollOptions, self);
    if (votes) Object.assign(doc, votes);
  }
  const reactions = embeddedReactions(msg.reactions, self);
  if (reactions) Object.assign(doc, reactions);
  const receipts = embeddedReceipts(msg.userReceipt);
  if (receipts) doc.receipts = receipts;
  if (hasBufferedReceipt(msg, chat.fromMe, source) && !run.flags.includes('buffered_edit')) {
    flag(run, 'buffered_receipt');
    const receipt = receiptOfStatus(doc.status, timestamp);
    // A one-to-one receipt of our message names the peer; group receipts never merge this way.
    if (receipt && chat.fromMe && chat.threadKind === 'dm' && !isSelfJid(self, chat.chatJid)) {
      doc.receipts = mergeReceipts(doc.receipts, Object.fromEntries([[chat.chatJid, receipt]]));
    }
  }
  const result: NormalizedMessage = {
    kind: 'message',
    receivedAt: run.opts.receivedAt,
    ref: messageRef(chat, id),
    doc,
    aliases: chat.aliases,
  };
  if (run.flags.length > 0) result.flags = run.flags;
  return result;
}

function buildUpdate(
  chat: ChatContext,
  target: MessageRef | NormalizedSkip,
  fragment: MessageFragment,
  run: Run,
): NormalizedUpdate | NormalizedSkip {
  if ('kind' in target) return target;
  const result: NormalizedUpdate = {
    kind: 'update',
    receivedAt: run.opts.receivedAt,
    target,
    fragment,
    aliases: chat.aliases,
  };
  if (run.flags.length > 0) result.flags = run.flags;
  return result;
}

/** A live poll vote, opened by the host's decrypter; the poll's key is in our perspective, like a reaction's. */
function pollVoteFrom(
  update: Fields,
  voteKey: Fields,
  chat: ChatContext,
  timestamp: EpochMs | undefined,
  run: Run,
): NormalizedUpdate | NormalizedSkip {
  const ctx: UpdateContext = { chat, self: run.resolution.self };
  const creationKey = asFields(update.pollCreationMessageKey);
  const targetId = nonEmptyString(creationKey?.id);
  if (!creationKey || !targetId) return skip('invalid_key', 'poll vote without the poll key');
  const voter = chat.fromMe ? selfJid(ctx.self) : chat.sender;
  if (!voter) return skip('invalid_key', 'poll vote without voter');
  const chosen = run.opts.decryptPollVote?.({ creationKey, voteKey, vote: asFields(update.vote) ?? {} });
  if (chosen === undefined) return skip('poll_vote', 'not decrypted: the poll or its secret is unknown');
  const at = epochMsFromMillis(update.senderTimestampMs) ?? timestamp;
  const fragment = pollVoteFragment(voter, chosen, at === undefined ? null : clampTime(run, at));
  return buildUpdate(chat, reactionTarget(creationKey, targetId, ctx), fragment, run);
}

function updateFrom(
  classification: Extract<Classification, { kind: 'reaction' | 'edit' | 'revoke' }>,
  chat: ChatContext,
  timestamp: EpochMs | undefined,
  run: Run,
): NormalizedUpdate | NormalizedSkip {
  const ctx: UpdateContext = { chat, self: run.resolution.self };
  switch (classification.kind) {
    case 'reaction': {
      const { reaction } = classification;
      const key = asFields(reaction.key);
      const targetId = key && typeof key.id === 'string' && key.id.length > 0 ? key.id : null;
      if (!key || !targetId) return skip('invalid_key', 'reaction without target id');
      const sent = epochMsFromMillis(reaction.senderTimestampMs) ?? timestamp;
      const fragment = reactionUpdate(reaction, ctx, sent === undefined ? null : clampTime(run, sent));
      if (!fragment) return skip('invalid_key', 'reaction without reactor');
      return buildUpdate(chat, reactionTarget(key, targetId, ctx), fragment, run);
    }
    case 'edit': {
      const at = epochMsFromMillis(classification.timestampMs) ?? timestamp;
      if (at === undefined) return skip('malformed', 'edit without a usable time');
      const edited = { text: editedText(classification.newContent), at: clampTime(run, at) };
      return buildUpdate(chat, editTarget(classification.targetId, chat), { edited }, run);
    }
    case 'revoke': {
      const { targetId, targetKey } = classification;
      return buildUpdate(chat, revokeTarget(targetKey, targetId, ctx), { deleted: true }, run);
    }
  }
}

function normalizeUnchecked(input: unknown, opts: NormalizeOptions): NormalizeResult {
  const msg = asFields(input);
  if (!msg) return skip('malformed', 'message is not an object');
  const key = asFields(msg.key);
  if (!key) return skip('invalid_key', 'missing key');
  const id = key.id;
  if (typeof id !== 'string' || id.length === 0) return skip('invalid_key', 'missing key.id');
  const remoteJid = key.remoteJid;
  if (typeof remoteJid !== 'string' || remoteJid.length === 0) return skip('invalid_key', 'missing key.remoteJid');

  const run: Run = {
    opts,
    maxFutureSkewMs:
      typeof opts.maxFutureSkewMs === 'number' && opts.maxFutureSkewMs >= 0
        ? opts.maxFutureSkewMs
        : DEFAULT_MAX_FUTURE_SKEW_MS,
    resolution: { includeStatusBroadcast: opts.includeStatusBroadcast === true, self: opts.self },
    flags: [],
  };

  const chat = resolveChat(msg, key, remoteJid, run.resolution);
  if ('kind' in chat) return chat;

  const classification = classifyMessage(msg, key);
  const timestamp = epochMsFromSeconds(msg.messageTimestamp);
  switch (classification.kind) {
    case 'skip':
      return skip(classification.reason, classification.detail);
    case 'reaction':
    case 'edit':
    case 'revoke':
      return updateFrom(classification, chat, timestamp, run);
    case 'poll_vote':
      return pollVoteFrom(classification.update, key, chat, timestamp, run);
  }
  if (timestamp === undefined) return skip('malformed', 'missing or invalid messageTimestamp');
  const at = clampTime(run, timestamp);
  switch (classification.kind) {
    case 'content':
      return buildMessage(msg, id, chat, describeContent(classification.content, classification.contentType), at, run);
    case 'buffered_edit': {
      // The buffer replaced the content with the edited one and the time with the edit's: the
      // original text is unknown (null until another sighting brings it), the time an upper bound.
      flag(run, 'buffered_edit');
      const edited = describeContent(classification.content, classification.contentType);
      const message = buildMessage(msg, id, chat, { type: edited.type, text: null }, at, run);
      message.doc.edited = { text: edited.text, at };
      return message;
    }
    case 'tombstone': {
      const message = buildMessage(msg, id, chat, TOMBSTONE_CONTENT, at, run);
      message.doc.deleted = true;
      return message;
    }
    case 'view_once_unavailable':
      flag(run, 'view_once_unavailable');
      return buildMessage(msg, id, chat, NO_CONTENT, at, run);
  }
}

/** Options are the caller's responsibility: a missing one is a bug, reported at once. */
function checkOptions(opts: NormalizeOptions): void {
  if (typeof opts?.receivedAt !== 'number' || !Number.isFinite(opts.receivedAt) || opts.receivedAt <= 0) {
    throw new TypeError("normalizeMessage: options.receivedAt (the event's receive time, epoch ms) is required");
  }
  if (typeof opts.self?.pn !== 'string' || opts.self.pn.length === 0 || opts.self.lid === undefined) {
    throw new TypeError('normalizeMessage: options.self ({ pn, lid }: who we are; lid null when unknown) is required');
  }
}

/**
 * Normalise one Baileys message (live `messages.upsert`, history sync, our own sends). Never throws
 * on any message: unexpected failures come back as `{ kind: 'skip', reason: 'malformed', detail }`.
 * Throws `TypeError` only for missing options (`receivedAt`, `self`), which are programming errors.
 */
export function normalizeMessage(msg: WAMessage, opts: NormalizeOptions): NormalizeResult {
  checkOptions(opts);
  try {
    return normalizeUnchecked(msg, opts);
  } catch (err) {
    return skip('malformed', describeError(err));
  }
}
