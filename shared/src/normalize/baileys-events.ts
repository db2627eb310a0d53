/**
 * A Baileys event map — what one `ev.process` callback receives, after Baileys' event buffer
 * consolidated it — as planner events (`PlannerEvent`): messages, updates and alias pairs.
 *
 * Which events carry what:
 * - `messaging-history.set` (source `history`, or `backfill` for ON_DEMAND): messages; pairs from
 *   `chats[].pnJid/lidJid`, `contacts[].lid/phoneNumber` and, when the buffer kept it, `lidPnMappings`.
 * - `messages.upsert` (source `realtime`): messages, and the protocol/reaction messages that edit,
 *   revoke or react to others — with their exact times and targets.
 * - `messages.update`: receipts (status and the peer's receipt time). Its edits and revokes are NOT
 *   read: Baileys derives them from protocol messages that also reach `messages.upsert` (with the
 *   edit's exact time, and admin revokes correctly targeted), so reading both would add nothing.
 * - `message-receipt.update`: per-recipient receipts of our group messages.
 * - `messages.reaction`: not read, for the same reason as edits (the reaction message is upserted too).
 * - `lid-mapping.update`, `contacts.upsert` / `contacts.update`, `chats.upsert`: pairs.
 * - names (`names.ts`): contacts of history and app-state sync, group subjects from
 *   `groups.upsert` / `groups.update` and group chats.
 * - `messages.delete` (the phone's "delete for me"): a tombstone of each message, as a revoke
 *   makes; a whole chat deleted or cleared (`chats.delete`, `{ jid, all }`) is kept and reported
 *   as skipped (`chat_deleted`): the mirror is the business's record.
 * - poll votes in `messages.upsert`, opened with the host's `decryptPollVote`.
 *
 * One buffer merge needs the whole map to undo: a REVOKE merged into its target's upsert replaces
 * the target's key with the revoke message's own (`messages.update` carries `key: message.key`,
 * process-message.js, and the buffer `Object.assign`s it). The result is a tombstone filed under the
 * revoke's id while the target is left without a document. When a tombstone's id is that of a
 * revoke in the same map, it is filed back under the revoke's target.
 */
import type { BaileysEventMap, MessageUserReceiptUpdate, WAMessage, WAMessageUpdate } from '@whiskeysockets/baileys';
import { proto } from '@whiskeysockets/baileys';
import { pairsFromContacts, pairsFromHistoryChats, pairsFromLidMappings } from '../identity/lid-pn-pairs.ts';
import type { SelfIdentity } from '../identity/self.ts';
import type { AliasEvent, PlannerEvent } from '../planner/types.ts';
import type { EpochMs, LidPnPair, MessageSource } from '../schema.ts';
import { patchFromMessageUpdate, patchFromReceiptUpdate, type StatusPatch } from '../status.ts';
import { messageRef, resolveChat } from './chat.ts';
import { asFields, nonEmptyString } from './fields.ts';
import { nameEventsOf } from './names.ts';
import { normalizeMessage } from './normalize-message.ts';
import type { PollVoteDecrypter } from './polls.ts';
import type { NormalizedMessage, NormalizedUpdate, SkipReason } from './types.ts';

export interface BaileysBatchOptions {
  self: SelfIdentity;
  /** When the map was received (for history: stored with the raw chunk). */
  receivedAt: EpochMs;
  includeStatusBroadcast?: boolean;
  maxFutureSkewMs?: number;
  /** Source of history messages; default `backfill` for ON_DEMAND syncs, else `history` (`import` for the CLI). */
  historySource?: MessageSource;
  /** Opens live poll votes (see `NormalizeOptions.decryptPollVote`). */
  decryptPollVote?: PollVoteDecrypter;
}

export interface SkippedEvent {
  event: keyof BaileysEventMap;
  reason: SkipReason;
  detail?: string;
}

export interface NormalizedBatch {
  events: PlannerEvent[];
  /** What was not turned into an event, with why (logged by the pipeline, I8). */
  skipped: SkippedEvent[];
}

type Events = Partial<BaileysEventMap>;

class Batch {
  readonly events: PlannerEvent[] = [];
  readonly skipped: SkippedEvent[] = [];
  readonly pairs: LidPnPair[] = [];
  /** Revokes of this map by the revoke message's own id, and tombstones that may be their targets. */
  readonly #revokes = new Map<string, NormalizedUpdate>();
  readonly #tombstones: Array<{ rawId: string; message: NormalizedMessage }> = [];

  constructor(readonly opts: BaileysBatchOptions) {}

  messages(event: keyof BaileysEventMap, messages: readonly WAMessage[], source: MessageSource): void {
    const options = {
      source,
      receivedAt: this.opts.receivedAt,
      self: this.opts.self,
      includeStatusBroadcast: this.opts.includeStatusBroadcast,
      maxFutureSkewMs: this.opts.maxFutureSkewMs,
      decryptPollVote: this.opts.decryptPollVote,
    };
    for (const message of messages) {
      const result = normalizeMessage(message, options);
      const rawId = nonEmptyString(asFields(asFields(message)?.key)?.id);
      if (result.kind === 'skip') {
        this.skipped.push({ event, reason: result.reason, ...(result.detail ? { detail: result.detail } : {}) });
        continue;
      }
      if (rawId && result.kind === 'update' && result.fragment.deleted) this.#revokes.set(rawId, result);
      if (rawId && result.kind === 'message' && result.doc.deleted) this.#tombstones.push({ rawId, message: result });
      this.events.push(result);
    }
  }

  /** Undo the buffer's key swap of revokes merged into their target (module comment). */
  refileBufferedRevokes(): void {
    for (const { rawId, message } of this.#tombstones) {
      const revoke = this.#revokes.get(rawId);
      if (!revoke || revoke.target.id === rawId) continue;
      const { target } = revoke;
      message.ref = { ...target };
      message.doc = { ...message.doc, id: target.id, fromMe: target.fromMe, sender: target.sender };
    }
  }

  /** A receipt patch as an update of the message `key` names (our message, or one we read elsewhere). */
  receipt(event: keyof BaileysEventMap, key: WAMessageUpdate['key'], patch: StatusPatch): void {
    if (patch.status === undefined && patch.receipts === undefined) return;
    const k = asFields(key) ?? {};
    const id = nonEmptyString(k.id);
    const remoteJid = nonEmptyString(k.remoteJid);
    if (!id || !remoteJid) {
      this.skipped.push({ event, reason: 'invalid_key', detail: 'receipt without id or chat' });
      return;
    }
    // In a group receipt `participant` is the reader, not the author: only our own messages qualify.
    const groupLike = remoteJid.endsWith('@g.us') || remoteJid.endsWith('@broadcast');
    if (groupLike && k.fromMe !== true) {
      this.skipped.push({ event, reason: 'invalid_key', detail: 'group receipt for a message not ours' });
      return;
    }
    const resolution = { includeStatusBroadcast: this.opts.includeStatusBroadcast === true, self: this.opts.self };
    const chat = resolveChat({}, groupLike ? { ...k, participant: undefined } : k, remoteJid, resolution);
    if ('kind' in chat) {
      this.skipped.push({ event, reason: chat.reason, ...(chat.detail ? { detail: chat.detail } : {}) });
      return;
    }
    const target = messageRef(chat, id);
    const fragment: NormalizedUpdate['fragment'] = {};
    if (patch.status !== undefined) fragment.status = patch.status;
    if (patch.receipts !== undefined) fragment.receipts = patch.receipts;
    this.events.push({ kind: 'update', receivedAt: this.opts.receivedAt, target, fragment, aliases: chat.aliases });
  }

  /** "Delete for me" of one message on the phone: a tombstone, like a revoke (our perspective). */
  deletion(key: unknown): void {
    const event = 'messages.delete' as const;
    const k = asFields(key) ?? {};
    const id = nonEmptyString(k.id);
    const remoteJid = nonEmptyString(k.remoteJid);
    if (!id || !remoteJid) {
      this.skipped.push({ event, reason: 'invalid_key', detail: 'deletion without id or chat' });
      return;
    }
    const resolution = { includeStatusBroadcast: this.opts.includeStatusBroadcast === true, self: this.opts.self };
    const chat = resolveChat({}, k, remoteJid, resolution);
    if ('kind' in chat) {
      this.skipped.push({ event, reason: chat.reason, ...(chat.detail ? { detail: chat.detail } : {}) });
      return;
    }
    const target = messageRef(chat, id);
    this.events.push({
      kind: 'update',
      receivedAt: this.opts.receivedAt,
      target,
      fragment: { deleted: true },
      aliases: [],
    });
  }

  aliases(pairs: LidPnPair[]): void {
    this.pairs.push(...pairs);
  }

  finish(): NormalizedBatch {
    this.refileBufferedRevokes();
    if (this.pairs.length > 0) {
      const aliases: AliasEvent = { kind: 'aliases', receivedAt: this.opts.receivedAt, pairs: this.pairs };
      this.events.push(aliases);
    }
    return { events: this.events, skipped: this.skipped };
  }
}

function historySourceOf(set: BaileysEventMap['messaging-history.set'], opts: BaileysBatchOptions): MessageSource {
  if (opts.historySource) return opts.historySource;
  return set.syncType === proto.HistorySync.HistorySyncType.ON_DEMAND ? 'backfill' : 'history';
}

/**
 * Turn one Baileys event map into planner events. Never throws on event data: what cannot be used
 * is reported in `skipped`.
 */
export function normalizeBaileysEvents(events: Events, opts: BaileysBatchOptions): NormalizedBatch {
  const batch = new Batch(opts);
  const { self } = opts;
  const history = events['messaging-history.set'];
  if (history) {
    batch.messages('messaging-history.set', history.messages ?? [], historySourceOf(history, opts));
    batch.aliases(pairsFromHistoryChats(history.chats ?? [], self));
    batch.aliases(pairsFromContacts(history.contacts ?? [], self));
    if (history.lidPnMappings) batch.aliases(pairsFromLidMappings(history.lidPnMappings, self));
  }
  const upsert = events['messages.upsert'];
  if (upsert) batch.messages('messages.upsert', upsert.messages ?? [], 'realtime');
  for (const entry of events['messages.update'] ?? []) {
    batch.receipt('messages.update', entry.key, patchFromMessageUpdate(entry));
  }
  for (const entry of events['message-receipt.update'] ?? ([] as MessageUserReceiptUpdate[])) {
    batch.receipt('message-receipt.update', entry.key, patchFromReceiptUpdate(entry));
  }
  const mapping = events['lid-mapping.update'];
  if (mapping) batch.aliases(pairsFromLidMappings(mapping, self));
  for (const contacts of [events['contacts.upsert'], events['contacts.update']]) {
    if (contacts) batch.aliases(pairsFromContacts(contacts as Array<{ id?: string }>, self));
  }
  if (events['chats.upsert']) batch.aliases(pairsFromHistoryChats(events['chats.upsert'], self));
  const deleted = events['messages.delete'];
  if (deleted && 'keys' in deleted) for (const key of deleted.keys ?? []) batch.deletion(key);
  else if (deleted) batch.skipped.push({ event: 'messages.delete', reason: 'chat_deleted', detail: 'chat cleared' });
  for (const jid of events['chats.delete'] ?? []) {
    batch.skipped.push({ event: 'chats.delete', reason: 'chat_deleted', detail: String(jid) });
  }
  batch.events.push(...nameEventsOf(events, opts.receivedAt, self));
  return batch.finish();
}
