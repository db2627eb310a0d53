/**
 * `normalizeMessage`: one Baileys `WAMessage` → a Firestore message document, an update of another
 * message, or a reasoned skip. Pure, synchronous and total: it never throws, on any input.
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
 * given an invented time — `now` would misplace a history message at the top of its thread and
 * would differ on every replay (I1). Times more than `maxFutureSkewMs` ahead are clamped to `now`
 * with the flag 'future_timestamp_clamped'. Updates tolerate a missing time (reaction/revoke `at`
 * null) except edits, whose `edited.at` the contract requires.
 *
 * Output is plain JSON data (numbers, strings, booleans, null, plain objects and arrays; optional
 * fields omitted rather than undefined), because Firestore rejects Long, class instances and undefined.
 */
import { messageDocId } from '../ids.ts';
import type { EpochMs } from '../schema.ts';
import { epochMsFromMillis, epochMsFromSeconds } from '../time.ts';
import { type ChatContext, type ChatResolution, ownUserSet, resolveChat } from './chat.ts';
import { type Classification, classifyMessage } from './classify.ts';
import { type ContentSummary, describeContent } from './content.ts';
import { embeddedReactions, embeddedReceipts } from './embedded.ts';
import { asFields, type Fields, skip } from './fields.ts';
import { normalizedUserJid, threadIdOf } from './jid.ts';
import { messageStatus } from './message-status.ts';
import { clampFuture, DEFAULT_MAX_FUTURE_SKEW_MS } from './timestamps.ts';
import type {
  MessageDocDraft,
  NormalizedMessage,
  NormalizedSkip,
  NormalizedUpdate,
  NormalizeFlag,
  NormalizeOptions,
  NormalizeResult,
  UpdateTarget,
  WAMessage,
} from './types.ts';
import {
  editedText,
  editTarget,
  reactionPatch,
  reactionTarget,
  revokeTarget,
  targetDocId,
  type UpdateContext,
} from './updates.ts';

/** What tombstones and withheld view-once messages show: there is no content to describe. */
const NO_CONTENT: ContentSummary = { type: 'other', text: null };

/** `ownJids` arrays are usually one per account and reused, so their user sets are cached. */
const ownUsersCache = new WeakMap<readonly string[], ReadonlySet<string>>();
const NO_OWN_USERS: ReadonlySet<string> = new Set();

function ownUsersOf(ownJids: readonly string[] | undefined): ReadonlySet<string> {
  if (!Array.isArray(ownJids) || ownJids.length === 0) return NO_OWN_USERS;
  let users = ownUsersCache.get(ownJids);
  if (!users) {
    users = ownUserSet(ownJids);
    ownUsersCache.set(ownJids, users);
  }
  return users;
}

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
  now: EpochMs;
  maxFutureSkewMs: number;
  resolution: ChatResolution;
  flags: NormalizeFlag[];
}

/** Clamp a time into the run's window, recording the flag once. */
function clampTime(run: Run, at: EpochMs): EpochMs {
  const clamped = clampFuture(at, run.now, run.maxFutureSkewMs);
  if (clamped.clamped && !run.flags.includes('future_timestamp_clamped')) run.flags.push('future_timestamp_clamped');
  return clamped.at;
}

function buildMessage(
  msg: Fields,
  id: string,
  chat: ChatContext,
  summary: ContentSummary,
  timestamp: EpochMs,
  run: Run,
  deleted: boolean,
): NormalizedMessage {
  const threadId = threadIdOf(chat.chatJid);
  const doc: MessageDocDraft = {
    id,
    threadId,
    fromMe: chat.fromMe,
    sender: chat.sender,
    timestamp,
    type: summary.type,
    text: summary.text,
    status: messageStatus(msg.status, chat.fromMe, run.opts.source),
    source: run.opts.source,
  };
  if (summary.media) doc.media = summary.media;
  if (summary.quotedId !== undefined) doc.quotedId = summary.quotedId;
  if (deleted) doc.deleted = true;
  const reactions = embeddedReactions(msg.reactions, run.resolution.resolveJid);
  if (reactions) doc.reactions = reactions;
  const receipts = embeddedReceipts(msg.userReceipt, run.resolution.resolveJid);
  if (receipts) doc.receipts = receipts;
  const result: NormalizedMessage = {
    kind: 'message',
    threadId,
    docId: messageDocId(chat.sender, chat.fromMe, id),
    chatJid: chat.chatJid,
    threadKind: chat.threadKind,
    doc,
    aliases: chat.aliases,
  };
  if (run.flags.length > 0) result.flags = run.flags;
  return result;
}

function buildUpdate(
  chat: ChatContext,
  target: UpdateTarget | NormalizedSkip,
  update: NormalizedUpdate['update'],
  run: Run,
): NormalizedUpdate | NormalizedSkip {
  if ('kind' in target) return target;
  const result: NormalizedUpdate = {
    kind: 'update',
    threadId: threadIdOf(chat.chatJid),
    chatJid: chat.chatJid,
    targetDocId: targetDocId(target),
    target,
    update,
    aliases: chat.aliases,
  };
  if (run.flags.length > 0) result.flags = run.flags;
  return result;
}

function updateFrom(
  classification: Extract<Classification, { kind: 'reaction' | 'edit' | 'revoke' }>,
  id: string,
  chat: ChatContext,
  timestamp: EpochMs | undefined,
  run: Run,
): NormalizedUpdate | NormalizedSkip {
  const ctx: UpdateContext = { chat, resolveJid: run.resolution.resolveJid, ownUsers: run.resolution.ownUsers };
  switch (classification.kind) {
    case 'reaction': {
      const { reaction } = classification;
      const key = asFields(reaction.key);
      const targetId = key && typeof key.id === 'string' && key.id.length > 0 ? key.id : null;
      if (!key || !targetId) return skip('invalid_key', 'reaction without target id');
      const sent = epochMsFromMillis(reaction.senderTimestampMs) ?? timestamp;
      const patch = reactionPatch(reaction, chat, sent === undefined ? null : clampTime(run, sent));
      if (!patch) return skip('invalid_key', 'reaction without reactor');
      return buildUpdate(chat, reactionTarget(key, targetId, ctx), patch, run);
    }
    case 'edit': {
      const at = epochMsFromMillis(classification.timestampMs) ?? timestamp;
      if (at === undefined) return skip('malformed', 'edit without a usable time');
      const edited = { text: editedText(classification.newContent), at: clampTime(run, at) };
      return buildUpdate(chat, editTarget(classification.targetId ?? id, chat), { op: 'edit', edited }, run);
    }
    case 'revoke': {
      const { targetId, targetKey } = classification;
      const at = timestamp === undefined ? null : clampTime(run, timestamp);
      return buildUpdate(chat, revokeTarget(targetKey, targetId, ctx), { op: 'revoke', deleted: true, at }, run);
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
    now: typeof opts.now === 'number' && Number.isFinite(opts.now) ? opts.now : Date.now(),
    maxFutureSkewMs:
      typeof opts.maxFutureSkewMs === 'number' && opts.maxFutureSkewMs >= 0
        ? opts.maxFutureSkewMs
        : DEFAULT_MAX_FUTURE_SKEW_MS,
    resolution: {
      resolveJid: opts.resolveJid ?? normalizedUserJid,
      includeStatusBroadcast: opts.includeStatusBroadcast === true,
      ownUsers: ownUsersOf(opts.ownJids),
    },
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
      return updateFrom(classification, id, chat, timestamp, run);
  }
  if (timestamp === undefined) return skip('malformed', 'missing or invalid messageTimestamp');
  const at = clampTime(run, timestamp);
  switch (classification.kind) {
    case 'content': {
      const summary = describeContent(classification.content, classification.contentType);
      return buildMessage(msg, id, chat, summary, at, run, false);
    }
    case 'tombstone':
      return buildMessage(msg, id, chat, NO_CONTENT, at, run, true);
    case 'view_once_unavailable':
      run.flags.push('view_once_unavailable');
      return buildMessage(msg, id, chat, NO_CONTENT, at, run, false);
  }
}

/**
 * Normalise one Baileys message (live `messages.upsert`, history sync, our own sends).
 * Never throws: unexpected failures come back as `{ kind: 'skip', reason: 'malformed', detail }`.
 */
export function normalizeMessage(msg: WAMessage, opts: NormalizeOptions): NormalizeResult {
  try {
    return normalizeUnchecked(msg, opts);
  } catch (err) {
    return skip('malformed', describeError(err));
  }
}
