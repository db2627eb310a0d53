/**
 * The callable functions' contract: zod schemas of every callable's input (the functions validate
 * with exactly these) and the TypeScript types of their results. The HTTPS API takes the same
 * inputs (query strings are parsed into these shapes first), so both behave the same.
 *
 * Pure: zod and types only, no Node built-ins, so apps can bundle it for the browser.
 */
import { z } from 'zod';
import { BACKFILL_LIMITS, CLIENT_MESSAGE_ID_PATTERN, MAX_TEXT_LENGTH, PAIRING_PHONE_PATTERN } from '../commands.ts';
import {
  type AccountDoc,
  type EpochMs,
  MEMBER_ROLES,
  MESSAGE_TYPES,
  type MemberRole,
  type MessageDoc,
  type PairingDoc,
  type ThreadDoc,
} from '../schema.ts';
import type { CALLABLE_NAMES } from './callable-names.ts';
import type { HiddenMessageField } from './visible.ts';

/** Page sizes: 1–200, default 50. Outside the range is an error, never clamped. */
export const PAGE_LIMITS = { min: 1, max: 200, default: 50 } as const;

/** The longest cursor string accepted at the edge (the cursor module validates the rest). */
const MAX_CURSOR_CHARS = 4096;

/**
 * Account ids: covers what `createAccount` writes (lowercase letters, digits and dashes, or
 * Firestore's 20-character auto ids) and any other plain id an operator may have chosen, while
 * keeping ids URL-safe and unambiguous in paths and logs.
 */
export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/**
 * Thread and message document ids as `safeDocId` writes them: readable JID characters plus the
 * escapes `%XX`, `%u`, `%#`, `%empty` and the part separator `~`. Anything else cannot name a
 * stored document, so it is rejected before any read.
 */
export const DOC_ID_PATTERN = /^[A-Za-z0-9@._:+=,~%#-]{1,1500}$/;

/**
 * Firebase Auth uids: 1–128 characters, no `/`. They name member documents, so the ids Firestore
 * reserves (`.`, `..`, `__x__`) are refused too (`notReservedDocId`).
 */
export const UID_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/;

/** False for the ids Firestore refuses even when every character is allowed: `.`, `..`, `__x__`. */
export function notReservedDocId(id: string): boolean {
  return id !== '.' && id !== '..' && !/^__.*__$/.test(id);
}

const accountId = z.string().regex(ACCOUNT_ID_PATTERN, 'expected an account id');
const docId = (what: string) =>
  z.string().regex(DOC_ID_PATTERN, `expected a ${what} id`).refine(notReservedDocId, `expected a ${what} id`);
const threadId = docId('thread');
const uid = z
  .string()
  .regex(UID_PATTERN, 'expected a Firebase Auth uid')
  .refine(notReservedDocId, 'expected a Firebase Auth uid');
const limit = z.number().int().min(PAGE_LIMITS.min).max(PAGE_LIMITS.max).default(PAGE_LIMITS.default);
const cursor = z.string().min(1).max(MAX_CURSOR_CHARS);
/**
 * The last instant a Firestore Timestamp holds (9999-12-31T23:59:59.999Z): filters compare
 * against stored Timestamps, so a later bound could not even be sent to Firestore.
 */
const MAX_FIRESTORE_MS = 253_402_300_799_999;
/** An instant as epoch milliseconds (integer) — what every time in the contract is. */
const epochMs = z.number().int().min(0).max(MAX_FIRESTORE_MS, 'beyond the last date Firestore can store');
/** An optional idempotency key: the same key yields the same command, once. */
const requestId = z.string().regex(CLIENT_MESSAGE_ID_PATTERN, 'expected 1–128 of A-Z a-z 0-9 . _ : -');

export const listAccountsInput = z.object({ limit, cursor: cursor.optional() }).strict();

export const listThreadsInput = z.object({ accountId, limit, cursor: cursor.optional() }).strict();

/** Sort direction of message listings: newest first (default) or oldest first. */
export const MESSAGE_ORDERS = ['desc', 'asc'] as const;

export const listMessagesInput = z
  .object({
    accountId,
    /** One thread; without it, messages of every thread of the account. */
    threadId: threadId.optional(),
    fromMe: z.boolean().optional(),
    type: z.enum(MESSAGE_TYPES).optional(),
    /** Messages at or after this time (epoch ms). */
    since: epochMs.optional(),
    /** Messages before this time (epoch ms). */
    until: epochMs.optional(),
    order: z.enum(MESSAGE_ORDERS).default('desc'),
    limit,
    cursor: cursor.optional(),
  })
  .strict()
  .refine((q) => q.since === undefined || q.until === undefined || q.since < q.until, {
    message: 'since must be before until',
    path: ['until'],
  });

export const sendMessageInput = z
  .object({
    accountId,
    /** A JID (`4915112345678@s.whatsapp.net`, `…@g.us`) or a phone number in international form. */
    to: z.string().min(1).max(320).optional(),
    /** An existing thread to reply in (instead of `to`). */
    threadId: threadId.optional(),
    text: z.string().min(1).max(MAX_TEXT_LENGTH),
    /** The idempotency key: resending with the same key returns the same ids and sends once. */
    clientMessageId: requestId,
    /** WhatsApp id of a message in the same chat to quote. */
    quotedId: z
      .string()
      .regex(/^[A-Za-z0-9]{1,128}$/, 'expected a WhatsApp message id')
      .optional(),
  })
  .strict()
  .refine((s) => (s.to === undefined) !== (s.threadId === undefined), {
    message: 'give exactly one of to and threadId',
    path: ['to'],
  });

export const requestBackfillInput = z
  .object({
    accountId,
    threads: z.number().int().min(BACKFILL_LIMITS.threads.min).max(BACKFILL_LIMITS.threads.max).optional(),
    count: z.number().int().min(BACKFILL_LIMITS.count.min).max(BACKFILL_LIMITS.count.max).optional(),
    threadIds: z.array(threadId).min(1).max(BACKFILL_LIMITS.threadIds).optional(),
    requestId: requestId.optional(),
  })
  .strict();

export const getMediaUrlInput = z
  .object({
    accountId,
    threadId,
    /** The message document id (`docId` of a listed message). */
    messageId: docId('message'),
    variant: z.enum(['original', 'thumbnail']).default('original'),
  })
  .strict();

export const createAccountInput = z
  .object({
    accountId: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{2,62}$/, 'lowercase letters, digits and dashes, 3–63 characters')
      .optional(),
    displayName: z.string().trim().min(1).max(100),
  })
  .strict();

export const startPairingInput = z.discriminatedUnion('method', [
  z.object({ accountId, method: z.literal('qr'), requestId: requestId.optional() }).strict(),
  z
    .object({
      accountId,
      method: z.literal('code'),
      /** Digits only, country code first, no `+`. */
      phoneNumber: z.string().regex(PAIRING_PHONE_PATTERN, 'expected 7–15 digits, country code first, no +'),
      requestId: requestId.optional(),
    })
    .strict(),
]);

export const logoutAccountInput = z.object({ accountId, requestId: requestId.optional() }).strict();

export const addMemberInput = z
  .object({
    accountId,
    /** The user, by uid or by the email they signed up with. */
    uid: uid.optional(),
    email: z.email().max(320).optional(),
    role: z.enum(MEMBER_ROLES),
  })
  .strict()
  .refine((m) => (m.uid === undefined) !== (m.email === undefined), {
    message: 'give exactly one of uid and email',
    path: ['uid'],
  });

export const removeMemberInput = z.object({ accountId, uid }).strict();

// ---- results -----------------------------------------------------------------------------------

/** One page of a listing; `nextCursor` is absent on the last page. */
export interface Page {
  nextCursor?: string;
}

/** An account the caller may see, with the caller's role (`operator` for operators). */
export type AccountItem = Omit<AccountDoc, 'pairingGeneration'> & {
  accountId: string;
  role: MemberRole | 'operator';
  /** Admins and operators only, while the account pairs: `accounts/{id}/private/pairing`. */
  pairing?: Omit<PairingDoc, 'updatedAt'> & { updatedAt?: EpochMs };
};
/** A thread and its document id (what `threadId` parameters take). */
export type ThreadItem = ThreadDoc & { threadId: string };
/**
 * A message and its document id (WhatsApp ids are unique per sender only, doc ids are unique),
 * without server bookkeeping (visible.ts).
 */
export type MessageItem = Omit<MessageDoc, HiddenMessageField> & { docId: string };

export interface ListAccountsResult extends Page {
  accounts: AccountItem[];
}
export interface ListThreadsResult extends Page {
  threads: ThreadItem[];
}
export interface ListMessagesResult extends Page {
  messages: MessageItem[];
}
/** A written command; the socket host executes it (watch `accounts/{id}` for its effects). */
export interface CommandAccepted {
  commandId: string;
}
/** A written send command and the WhatsApp id the message will have. */
export interface SendAccepted extends CommandAccepted {
  messageId: string;
}
export interface CreateAccountResult {
  accountId: string;
  displayName: string;
  connection: { state: 'idle' };
}
export interface MemberResult {
  accountId: string;
  uid: string;
  role: MemberRole;
}
export interface RemoveMemberResult {
  accountId: string;
  uid: string;
  /** False when the user was not a member (removing is idempotent). */
  removed: boolean;
}

/**
 * Where to read a message's media: a short-lived signed Cloud Storage URL where the deployment can
 * sign (`signed: true`, valid until `expiresAt`), else the HTTPS API's media route (`signed: false`:
 * send it with the ID token as `Authorization: Bearer`). Media not stored yet: `fetching`, ask
 * again after `retryAfterSeconds` (the socket host was asked to fetch it).
 */
export type MediaUrlResult =
  | { kind: 'url'; url: string; signed: boolean; expiresAt?: number; contentType: string }
  | { kind: 'fetching'; commandId: string; retryAfterSeconds: number };

/** Every callable: its input (before defaults) and result. */
export interface Callables {
  listAccounts: { input: z.input<typeof listAccountsInput>; result: ListAccountsResult };
  listThreads: { input: z.input<typeof listThreadsInput>; result: ListThreadsResult };
  listMessages: { input: z.input<typeof listMessagesInput>; result: ListMessagesResult };
  sendMessage: { input: z.input<typeof sendMessageInput>; result: SendAccepted };
  requestBackfill: { input: z.input<typeof requestBackfillInput>; result: CommandAccepted };
  createAccount: { input: z.input<typeof createAccountInput>; result: CreateAccountResult };
  startPairing: { input: z.input<typeof startPairingInput>; result: CommandAccepted };
  logoutAccount: { input: z.input<typeof logoutAccountInput>; result: CommandAccepted };
  addMember: { input: z.input<typeof addMemberInput>; result: MemberResult };
  removeMember: { input: z.input<typeof removeMemberInput>; result: RemoveMemberResult };
  getMediaUrl: { input: z.input<typeof getMediaUrlInput>; result: MediaUrlResult };
}

export type CallableName = keyof Callables;

// Names of every callable: callable-names.ts (free of zod, for code that only calls them).
export { CALLABLE_NAMES } from './callable-names.ts';

/** Compile-time check that CALLABLE_NAMES lists every callable of `Callables`. */
type UnlistedCallable = Exclude<CallableName, (typeof CALLABLE_NAMES)[number]>;
const _everyCallableListed: [UnlistedCallable] extends [never] ? true : never = true;
void _everyCallableListed;
