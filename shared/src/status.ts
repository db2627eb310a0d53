/**
 * Message status and per-recipient receipts: mapping from Baileys, and merges that only move
 * forward (invariant I3).
 *
 * Every merge here is a join in a semilattice — commutative, associative and idempotent — so the
 * stored result depends only on the SET of updates seen, not on their order, batching or
 * repetition (I1). That matters because Baileys enforces no order: receipts arrive per device and
 * from offline replay, and its event buffer merges `messages.update` entries with `Object.assign`,
 * so a DELIVERY_ACK can overwrite an earlier READ (`Utils/event-buffer.js:440-442`).
 */
import type { MessageUserReceiptUpdate, WAMessageUpdate } from '@whiskeysockets/baileys';
import { jidCategory, normalizeUserJid } from './identity/jid.ts';
import { type EpochMs, MESSAGE_STATUSES, type MessageStatus, type UserReceipt } from './schema.ts';
import { epochMsFromSeconds, type SecondsValue } from './time.ts';

/** Per-recipient receipt times keyed by user JID (`MessageDoc.receipts`). */
export type ReceiptMap = Record<string, UserReceipt>;

/** What a status or receipt event changes on a message. Never a timestamp (I3). */
export interface StatusPatch {
  status?: MessageStatus;
  receipts?: ReceiptMap;
}

/** Position in the contract order `error < pending < server_ack < delivered < read < played`. */
export function statusRank(status: MessageStatus): number {
  return MESSAGE_STATUSES.indexOf(status);
}

/**
 * The order `mergeStatus` keeps the maximum of. It is the contract order except that `error`
 * sits between `server_ack` and `delivered`:
 * - Baileys reports a failed send only as a negative server ack (`status: ERROR`,
 *   `Socket/messages-recv.js` handleBadAck; a positive ack emits nothing), so an error is news
 *   about a message that was at most pending or server-acked, and it replaces those.
 * - A delivery, read or played receipt proves the message arrived, so it beats an error whichever
 *   comes first; an error never overwrites delivered/read/played.
 * A total order makes the merge a plain maximum, hence order-independent. Retrying a failed send
 * is a new attempt: the sender writes `pending` outright instead of merging it.
 */
const MERGE_PRECEDENCE: Readonly<Record<MessageStatus, number>> = {
  pending: 0,
  server_ack: 1,
  error: 2,
  delivered: 3,
  read: 4,
  played: 5,
};

/** The merge order's position of a status (see `MERGE_PRECEDENCE`). */
export function statusPrecedence(status: MessageStatus): number {
  return MERGE_PRECEDENCE[status];
}

/**
 * The status to keep when `incoming` is seen for a message that has `current`: the later of the
 * two in merge order. It only moves forward, except that `error` replaces `pending` and
 * `server_ack`.
 */
export function mergeStatus(current: MessageStatus, incoming: MessageStatus): MessageStatus {
  return MERGE_PRECEDENCE[incoming] > MERGE_PRECEDENCE[current] ? incoming : current;
}

/**
 * A `WAMessageStatus` number (`proto.WebMessageInfo.Status`: ERROR=0, PENDING=1, SERVER_ACK=2,
 * DELIVERY_ACK=3, READ=4, PLAYED=5) as a contract status; `undefined` for anything else.
 */
export function statusFromProto(value: number | null | undefined): MessageStatus | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? MESSAGE_STATUSES[value] : undefined;
}

const RECEIPT_TYPE_STATUS: Readonly<Record<string, MessageStatus>> = {
  sender: 'server_ack',
  read: 'read',
  'read-self': 'read',
  played: 'played',
};

/**
 * The status a receipt stanza's `type` means, as Baileys' `getStatusFromReceiptType`
 * (`Utils/generics.js:265-281`): no type = delivered; types that carry no status (`retry`,
 * `inactive`, …) give `undefined`.
 */
export function statusFromReceiptType(type: string | undefined): MessageStatus | undefined {
  if (type === undefined) return 'delivered';
  return Object.hasOwn(RECEIPT_TYPE_STATUS, type) ? RECEIPT_TYPE_STATUS[type] : undefined;
}

/** Receipt fields in status order. */
const RECEIPT_FIELDS = ['deliveredAt', 'readAt', 'playedAt'] as const;

/**
 * Merge two receipts of one recipient: for each time the EARLIEST wins. The first moment a
 * message was delivered/read/played is the fact worth keeping; later sightings are replays from
 * other devices or offline queues. `min` is a join, so any order of receipts gives the same result.
 */
export function mergeUserReceipt(a: UserReceipt, b: UserReceipt): UserReceipt {
  const merged: UserReceipt = {};
  for (const field of RECEIPT_FIELDS) {
    const x = a[field];
    const y = b[field];
    const time = x === undefined ? y : y === undefined ? x : Math.min(x, y);
    if (time !== undefined) merged[field] = time;
  }
  return merged;
}

/** Adds one user's receipt to a map under construction, merging with what is there. */
function addReceipt(into: Map<string, UserReceipt>, user: string, receipt: UserReceipt): void {
  const existing = into.get(user);
  // Merging with `{}` also drops fields that are present but undefined.
  into.set(user, mergeUserReceipt(existing ?? {}, receipt));
}

/** Builds the stored form; `fromEntries` defines own properties, so even a key `__proto__` stays data. */
function toReceiptMap(receipts: Map<string, UserReceipt>): ReceiptMap {
  return Object.fromEntries(receipts);
}

/** Merge two receipt maps per user JID with `mergeUserReceipt`. */
export function mergeReceipts(a: ReceiptMap | undefined, b: ReceiptMap | undefined): ReceiptMap {
  const merged = new Map<string, UserReceipt>();
  for (const [user, receipt] of [...Object.entries(a ?? {}), ...Object.entries(b ?? {})]) {
    addReceipt(merged, user, receipt);
  }
  return toReceiptMap(merged);
}

/**
 * Re-key a receipt map through `canonical` (e.g. a LID → PN mapping learned later), merging
 * entries that now name the same user.
 */
export function canonicalizeReceipts(receipts: ReceiptMap, canonical: (jid: string) => string): ReceiptMap {
  const merged = new Map<string, UserReceipt>();
  for (const [user, receipt] of Object.entries(receipts)) addReceipt(merged, canonical(user), receipt);
  return toReceiptMap(merged);
}

/** The furthest status one recipient's receipt shows, or `undefined` for an empty receipt. */
export function receiptStatus(receipt: UserReceipt): MessageStatus | undefined {
  if (receipt.playedAt !== undefined) return 'played';
  if (receipt.readAt !== undefined) return 'read';
  if (receipt.deliveredAt !== undefined) return 'delivered';
  return undefined;
}

/**
 * A group message's aggregate status from its receipts: the status EVERY recipient has reached,
 * which is what WhatsApp's ticks show (two ticks once delivered to all, blue once read by all).
 * `recipients` are the group's participants other than us; `undefined` while any of them has no
 * receipt yet. Receipts only grow, so the result only moves forward; merge it with `mergeStatus`.
 */
export function groupStatusFromReceipts(receipts: ReceiptMap, recipients: Iterable<string>): MessageStatus | undefined {
  let lowest: MessageStatus | undefined;
  for (const recipient of recipients) {
    const receipt = Object.hasOwn(receipts, recipient) ? receipts[recipient] : undefined;
    const status = receipt && receiptStatus(receipt);
    if (status === undefined) return undefined;
    if (lowest === undefined || statusRank(status) < statusRank(lowest)) lowest = status;
  }
  return lowest;
}

/** The receipt fields of `proto.IUserReceipt` this module reads. */
export interface UserReceiptLike {
  userJid?: string | null;
  receiptTimestamp?: SecondsValue;
  readTimestamp?: SecondsValue;
  playedTimestamp?: SecondsValue;
}

/**
 * Receipts from `proto.IUserReceipt` entries: history messages embed them as `userReceipt[]`, and
 * live group receipts carry one. `receiptTimestamp` → deliveredAt, `readTimestamp` → readAt,
 * `playedTimestamp` → playedAt. Entries without a valid user JID or without any time are skipped;
 * entries naming the same user merge with `mergeUserReceipt`, so their order does not matter.
 *
 * `userKey` turns an entry's `userJid` into the map key, `undefined` to skip the entry. The default,
 * `normalizeUserJid`, keeps the JID as Baileys reports it (possibly a LID; see
 * `canonicalizeReceipts`, which the write planner applies with the alias resolver).
 *
 * Entries may come straight from untrusted payloads (history sync, stored JSON): anything that is
 * not an object, or has no non-empty string `userJid`, is skipped rather than thrown on.
 *
 * Baileys quirk: live group READ and PLAYED receipts both set `readTimestamp`
 * (`Socket/messages-recv.js` handleReceipt), so for live group messages `readAt` may be a play
 * time and `playedAt` stays empty; history receipts do fill `playedTimestamp`.
 */
export function receiptsFromUserReceipts(
  entries: Iterable<UserReceiptLike | null | undefined>,
  userKey: (jid: string) => string | undefined = normalizeUserJid,
): ReceiptMap {
  const receipts = new Map<string, UserReceipt>();
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null) continue;
    const userJid = entry.userJid;
    const user = typeof userJid === 'string' && userJid.length > 0 ? userKey(userJid) : undefined;
    if (user === undefined) continue;
    const receipt: UserReceipt = {};
    const deliveredAt = epochMsFromSeconds(entry.receiptTimestamp);
    const readAt = epochMsFromSeconds(entry.readTimestamp);
    const playedAt = epochMsFromSeconds(entry.playedTimestamp);
    if (deliveredAt !== undefined) receipt.deliveredAt = deliveredAt;
    if (readAt !== undefined) receipt.readAt = readAt;
    if (playedAt !== undefined) receipt.playedAt = playedAt;
    if (receiptStatus(receipt) !== undefined) addReceipt(receipts, user, receipt);
  }
  return toReceiptMap(receipts);
}

const RECEIPT_FIELD_OF_STATUS: Partial<Record<MessageStatus, keyof UserReceipt>> = {
  delivered: 'deliveredAt',
  read: 'readAt',
  played: 'playedAt',
};

/**
 * One recipient's receipt for reaching `status` at `at` (`read` → `{ readAt: at }`); `undefined`
 * for the statuses a receipt does not record (`pending`, `server_ack`, `error`).
 */
export function receiptOfStatus(status: MessageStatus, at: EpochMs): UserReceipt | undefined {
  const field = RECEIPT_FIELD_OF_STATUS[status];
  return field ? { [field]: at } : undefined;
}

/**
 * The patch a Baileys `messages.update` entry means for the stored message.
 *
 * For 1:1 receipts Baileys emits `update: { status, messageTimestamp: <receipt time> }`
 * (`Socket/messages-recv.js` handleReceipt). That time is the RECEIPT's, never the message's, so
 * it only ever becomes the peer's `deliveredAt` / `readAt` / `playedAt` — and only for our own
 * messages, where the peer (`key.remoteJid`) is the one who received them; for incoming messages a
 * READ is `read-self` (we read it on another device) and only the status applies. Entries that
 * also carry `update.message` are edits, whose `messageTimestamp` is the edit time: status only.
 * Other fields (content, stubs, reactions) are not this module's concern.
 *
 * Receipt keys are the user JIDs as Baileys reports them (possibly a LID); put them through
 * `canonicalizeReceipts` with the alias resolver before writing.
 */
export function patchFromMessageUpdate(entry: WAMessageUpdate): StatusPatch {
  const status = statusFromProto(entry.update.status);
  if (status === undefined) return {};
  const patch: StatusPatch = { status };
  const peer = entry.key.remoteJid;
  const at = epochMsFromSeconds(entry.update.messageTimestamp);
  const receipt = at === undefined ? undefined : receiptOfStatus(status, at);
  const isReceipt = entry.update.message === undefined && entry.key.fromMe === true;
  if (isReceipt && receipt && peer && jidCategory(peer) === 'dm') {
    const user = normalizeUserJid(peer);
    if (user !== undefined) patch.receipts = Object.fromEntries([[user, receipt]]);
  }
  return patch;
}

/**
 * The patch a Baileys `message-receipt.update` entry (groups and Status) means: one recipient's
 * receipt, no status. A group message's status is what ALL recipients reached, which one receipt
 * cannot tell; derive it with `groupStatusFromReceipts` once the participants are known.
 */
export function patchFromReceiptUpdate(entry: MessageUserReceiptUpdate): StatusPatch {
  const receipts = receiptsFromUserReceipts([entry.receipt]);
  return Object.keys(receipts).length > 0 ? { receipts } : {};
}

/** Merge two patches (order-independent); use it to fold a batch of events before writing. */
export function mergeStatusPatch(a: StatusPatch, b: StatusPatch): StatusPatch {
  const merged: StatusPatch = {};
  const status = a.status && b.status ? mergeStatus(a.status, b.status) : (a.status ?? b.status);
  if (status !== undefined) merged.status = status;
  if (a.receipts || b.receipts) merged.receipts = mergeReceipts(a.receipts, b.receipts);
  return merged;
}

/**
 * Apply a patch to a stored message: status and receipts merge forward; every other field,
 * `timestamp` included, is returned untouched (I3).
 */
export function applyStatusPatch<T extends { status: MessageStatus; receipts?: ReceiptMap }>(
  message: T,
  patch: StatusPatch,
): T {
  const updated: T = { ...message };
  if (patch.status !== undefined) updated.status = mergeStatus(message.status, patch.status);
  if (patch.receipts !== undefined) updated.receipts = mergeReceipts(message.receipts, patch.receipts);
  return updated;
}
