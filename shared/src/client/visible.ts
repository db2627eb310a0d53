/**
 * What apps see of each document: an explicit allow-list of the documented fields (the README's
 * data contract), applied to everything the callables and the HTTPS API return and to what the
 * client converters hand over. A field the writers add later stays server-side until it is added
 * here on purpose: bookkeeping (`reactionTimes`, `pollVoteTimes`, `unresolvedJids`, `pairingGeneration`) and key
 * material never leave the server by accident.
 *
 * Pure: browser-safe, like the rest of `@wasync/shared/client`.
 */
import type { AccountDoc, MessageDoc, ThreadDoc } from '../schema.ts';

/**
 * Which fields of an object to keep: `true` keeps a value as it is, a nested shape keeps those
 * fields of an object value, `{ '*': shape }` applies `shape` to every value of a map (JID-keyed
 * receipts and reactions).
 */
export type FieldShape = { readonly [field: string]: true | FieldShape };

const RECEIPT = { deliveredAt: true, readAt: true, playedAt: true } as const;

/** Fields of a message apps see (no `reactionTimes`, `pollVoteTimes`, `unresolvedJids`). */
export const MESSAGE_FIELDS = {
  docId: true,
  accountId: true,
  id: true,
  threadId: true,
  fromMe: true,
  sender: true,
  timestamp: true,
  type: true,
  text: true,
  media: {
    mimetype: true,
    fileLength: true,
    fileName: true,
    seconds: true,
    width: true,
    height: true,
    state: true,
    path: true,
    sha256: true,
    storedAt: true,
    thumbnailPath: true,
    error: { code: true, message: true },
  },
  quotedId: true,
  status: true,
  receipts: { '*': RECEIPT },
  reactions: { '*': true },
  edited: { text: true, at: true },
  deleted: true,
  pollOptions: true,
  pollVotes: { '*': true },
  source: true,
  updatedAt: true,
} as const satisfies FieldShape;

/** Fields of a thread apps see. */
export const THREAD_FIELDS = {
  threadId: true,
  jid: true,
  aliases: true,
  kind: true,
  name: true,
  lastMessageAt: true,
  lastMessage: { id: true, text: true, fromMe: true, type: true, status: true },
  unreadCount: true,
  oldestMessageAt: true,
  updatedAt: true,
} as const satisfies FieldShape;

const CONNECTION = { state: true, lastError: true, updatedAt: true } as const;

/**
 * Fields of an account every member sees. The pairing secrets (`pairing`: `qr`, `qrExpiresAt`,
 * `pairingCode` from `accounts/{id}/private/pairing` — whoever reads them can link a phone to the
 * account) are added for admins and operators only (`ACCOUNT_FIELDS_FOR_ADMINS`).
 */
export const ACCOUNT_FIELDS = {
  accountId: true,
  role: true,
  displayName: true,
  phone: true,
  me: { id: true, lid: true, name: true },
  connection: CONNECTION,
  lastConnectedAt: true,
  lastHistorySyncAt: true,
  lastBackfillAt: true,
  historySync: { syncType: true, progress: true, chunks: true, messages: true, isLatest: true, updatedAt: true },
  backfill: {
    state: true,
    threads: true,
    requested: true,
    received: true,
    unanswered: true,
    startedAt: true,
    finishedAt: true,
  },
} as const satisfies FieldShape;

export const ACCOUNT_FIELDS_FOR_ADMINS = {
  ...ACCOUNT_FIELDS,
  pairing: { qr: true, qrExpiresAt: true, pairingCode: true, updatedAt: true },
} as const satisfies FieldShape;

/** Message fields that are server bookkeeping or key material: never in what apps get. */
export type HiddenMessageField = 'reactionTimes' | 'pollVoteTimes' | 'unresolvedJids';

/** `value` reduced to the fields `shape` allows; values of other types pass unchanged. */
export function pickFields<T>(value: T, shape: FieldShape): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [field, fieldValue] of Object.entries(value as Record<string, unknown>)) {
    // Own properties only: a stored field named `constructor` or `toString` is no rule.
    const key = Object.hasOwn(shape, '*') ? '*' : field;
    if (!Object.hasOwn(shape, key) || fieldValue === undefined) continue;
    const rule = shape[key]!;
    // defineProperty: a map key `__proto__` (receipts, reactions) is data, never the prototype.
    Object.defineProperty(out, field, {
      value: rule === true ? fieldValue : pickFields(fieldValue, rule),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out as T;
}

export function visibleMessage<M extends Partial<MessageDoc>>(message: M): Omit<M, HiddenMessageField> {
  return pickFields(message, MESSAGE_FIELDS);
}

export function visibleThread<T extends Partial<ThreadDoc>>(thread: T): T {
  return pickFields(thread, THREAD_FIELDS);
}

/** An account as a caller with `role` sees it (pairing secrets for admins and operators only). */
export function visibleAccount<A extends Partial<AccountDoc> & { pairing?: unknown }>(account: A, role: string): A {
  return pickFields(account, role === 'admin' || role === 'operator' ? ACCOUNT_FIELDS_FOR_ADMINS : ACCOUNT_FIELDS);
}
