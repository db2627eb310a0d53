/**
 * Converters between the domain documents of `schema.ts` (times as `EpochMs`) and what Firestore
 * stores (times as `Timestamp`), one per document type of the data contract.
 *
 * Generic over the `Timestamp` class so that `shared/` stays free of Firestore SDKs:
 *
 * ```ts
 * import { Timestamp } from 'firebase-admin/firestore'; // or 'firebase/firestore' in apps
 * const docs = makeDocumentConverters(Timestamp);
 * await ref.set(docs.message.toFirestore(message));
 * const thread = docs.thread.fromFirestore(snapshot.data());
 * // as an SDK converter:
 * ref.withConverter({ toFirestore: docs.thread.toFirestore, fromFirestore: (s) => docs.thread.fromFirestore(s.data()) });
 * ```
 *
 * Only time fields are converted; everything else is copied as it is (without `undefined` values,
 * which Firestore rejects). A stored time that is not a `Timestamp` throws an `AppError`
 * (`internal`) naming the field: it means a writer broke the contract.
 */
import type {
  AccountDoc,
  CommandDoc,
  LidPnPairDoc,
  MediaInfo,
  MemberDoc,
  MessageDoc,
  NameDoc,
  NameSource,
  PairingDoc,
  PendingUpdatesDoc,
  ThreadDoc,
  UserReceipt,
} from '../schema.ts';
import {
  convertTimes,
  fromTimestamp,
  type TimePath,
  type TimestampFactory,
  type TimestampLike,
  toTimestamp,
} from './timestamps.ts';

/** Converts one document type both ways. */
export interface DocumentConverter<Domain, Stored> {
  /** The whole document as Firestore stores it. */
  toFirestore(doc: Domain): Stored;
  /** Some top-level fields, for `update()` or `set(…, { merge: true })`; absent fields stay absent. */
  patchToFirestore(patch: Partial<Domain>): Partial<Stored>;
  /** A stored document (`snapshot.data()`) as the domain type. */
  fromFirestore(data: unknown): Domain;
}

type AccountTimes = 'lastConnectedAt' | 'lastHistorySyncAt' | 'lastBackfillAt';

/** `accounts/{accountId}` as stored. */
export type FirestoreAccountDoc<T> = Omit<AccountDoc, AccountTimes | 'connection' | 'historySync' | 'backfill'> & {
  connection: Omit<AccountDoc['connection'], 'updatedAt'> & { updatedAt: T };
  lastConnectedAt?: T;
  lastHistorySyncAt?: T;
  lastBackfillAt?: T;
  historySync?: Omit<NonNullable<AccountDoc['historySync']>, 'updatedAt'> & { updatedAt: T };
  backfill?: Omit<NonNullable<AccountDoc['backfill']>, 'startedAt' | 'finishedAt'> & { startedAt?: T; finishedAt?: T };
};

/** `accounts/{accountId}/private/pairing` as stored (admins only). */
export type FirestorePairingDoc<T> = Omit<PairingDoc, 'qrExpiresAt' | 'updatedAt'> & { qrExpiresAt?: T; updatedAt: T };

/** `accounts/{accountId}/members/{uid}` as stored (no times). */
export type FirestoreMemberDoc = MemberDoc;

/** `accounts/{accountId}/threads/{threadId}` as stored. */
export type FirestoreThreadDoc<T> = Omit<ThreadDoc, 'nameFrom' | 'lastMessageAt' | 'oldestMessageAt' | 'updatedAt'> & {
  nameFrom?: { source: NameSource; at: T };
  lastMessageAt: T;
  oldestMessageAt?: T;
  updatedAt: T;
};

/** One recipient's receipt as stored. */
export type FirestoreUserReceipt<T> = { [K in keyof UserReceipt]: T };

/** A message's `media` as stored. */
export type FirestoreMediaInfo<T> = Omit<MediaInfo, 'storedAt'> & { storedAt?: T };

/** `accounts/{accountId}/threads/{threadId}/messages/{messageDocId}` as stored. */
export type FirestoreMessageDoc<T> = Omit<
  MessageDoc,
  'timestamp' | 'updatedAt' | 'edited' | 'receipts' | 'reactionTimes' | 'pollVoteTimes' | 'media'
> & {
  timestamp: T;
  updatedAt: T;
  media?: FirestoreMediaInfo<T>;
  edited?: { text: string | null; at: T };
  receipts?: Record<string, FirestoreUserReceipt<T>>;
  reactionTimes?: Record<string, T>;
  pollVoteTimes?: Record<string, T>;
};

/** `accounts/{accountId}/commands/{commandId}` as stored. */
export type FirestoreCommandDoc<T> = Omit<CommandDoc, 'createdAt' | 'updatedAt' | 'expiresAt' | 'purgeAt'> & {
  createdAt: T;
  updatedAt: T;
  expiresAt: T;
  purgeAt: T;
};

/** `accounts/{accountId}/lidPnPairs/{pairId}` as stored. */
export type FirestoreLidPnPairDoc<T> = Omit<LidPnPairDoc, 'learnedAt'> & { learnedAt: T };

/** A stored message fragment (inside pending updates). */
export type FirestoreMessageFragment<T> = Omit<
  PendingUpdatesDoc['entries'][number]['fragment'],
  'receipts' | 'reactionTimes' | 'pollVoteTimes' | 'edited'
> & {
  receipts?: Record<string, FirestoreUserReceipt<T>>;
  reactionTimes?: Record<string, T>;
  pollVoteTimes?: Record<string, T>;
  edited?: { text: string | null; at: T };
};

/** `accounts/{accountId}/names/{nameKey}` as stored (server only). */
export type FirestoreNameDoc<T> = Omit<NameDoc, 'names' | 'updatedAt'> & {
  names: Partial<Record<keyof NameDoc['names'], { name: string; at: T }>>;
  updatedAt: T;
};

/** `accounts/{accountId}/pendingUpdates/{messageKey}` as stored (server only). */
export type FirestorePendingUpdatesDoc<T> = Omit<PendingUpdatesDoc, 'entries' | 'updatedAt' | 'expiresAt'> & {
  entries: Array<{ target: PendingUpdatesDoc['entries'][number]['target']; fragment: FirestoreMessageFragment<T> }>;
  expiresAt?: T;
  updatedAt: T;
};

/** The time fields of every document type: the one table both directions read. */
export const DOCUMENT_TIME_PATHS = {
  account: [
    ['connection', 'updatedAt'],
    ['lastConnectedAt'],
    ['lastHistorySyncAt'],
    ['lastBackfillAt'],
    ['historySync', 'updatedAt'],
    ['backfill', 'startedAt'],
    ['backfill', 'finishedAt'],
  ],
  member: [],
  thread: [['nameFrom', 'at'], ['lastMessageAt'], ['oldestMessageAt'], ['updatedAt']],
  message: [
    ['timestamp'],
    ['updatedAt'],
    ['edited', 'at'],
    ['receipts', '*', 'deliveredAt'],
    ['receipts', '*', 'readAt'],
    ['receipts', '*', 'playedAt'],
    ['reactionTimes', '*'],
    ['media', 'storedAt'],
    ['pollVoteTimes', '*'],
  ],
  command: [['createdAt'], ['updatedAt'], ['expiresAt'], ['purgeAt']],
  lidPnPair: [['learnedAt']],
  pendingUpdates: [
    ['updatedAt'],
    ['expiresAt'],
    ['entries', '*', 'fragment', 'edited', 'at'],
    ['entries', '*', 'fragment', 'receipts', '*', 'deliveredAt'],
    ['entries', '*', 'fragment', 'receipts', '*', 'readAt'],
    ['entries', '*', 'fragment', 'receipts', '*', 'playedAt'],
    ['entries', '*', 'fragment', 'reactionTimes', '*'],
    ['entries', '*', 'fragment', 'pollVoteTimes', '*'],
  ],
  name: [['updatedAt'], ['names', '*', 'at']],
  pairing: [['qrExpiresAt'], ['updatedAt']],
} as const satisfies Record<string, readonly TimePath[]>;

export type DocumentKind = keyof typeof DOCUMENT_TIME_PATHS;

/** Every converter, for one `Timestamp` class. */
export interface DocumentConverters<T extends TimestampLike> {
  account: DocumentConverter<AccountDoc, FirestoreAccountDoc<T>>;
  member: DocumentConverter<MemberDoc, FirestoreMemberDoc>;
  thread: DocumentConverter<ThreadDoc, FirestoreThreadDoc<T>>;
  message: DocumentConverter<MessageDoc, FirestoreMessageDoc<T>>;
  command: DocumentConverter<CommandDoc, FirestoreCommandDoc<T>>;
  lidPnPair: DocumentConverter<LidPnPairDoc, FirestoreLidPnPairDoc<T>>;
  pendingUpdates: DocumentConverter<PendingUpdatesDoc, FirestorePendingUpdatesDoc<T>>;
  name: DocumentConverter<NameDoc, FirestoreNameDoc<T>>;
  pairing: DocumentConverter<PairingDoc, FirestorePairingDoc<T>>;
}

function converter<Domain, Stored, T extends TimestampLike>(
  kind: DocumentKind,
  Timestamp: TimestampFactory<T>,
): DocumentConverter<Domain, Stored> {
  const paths: readonly TimePath[] = DOCUMENT_TIME_PATHS[kind];
  const toStored = toTimestamp(Timestamp, kind);
  const toDomain = fromTimestamp(kind);
  // Arrow functions: the methods can be passed around unbound (e.g. to `withConverter`).
  return {
    toFirestore: (doc) => convertTimes(doc, paths, toStored, kind) as Stored,
    patchToFirestore: (patch) => convertTimes(patch, paths, toStored, kind) as Partial<Stored>,
    fromFirestore: (data) => convertTimes(data, paths, toDomain, kind) as Domain,
  };
}

/** Converters for every document type, producing and reading `Timestamp`s of the given class. */
export function makeDocumentConverters<T extends TimestampLike>(Timestamp: TimestampFactory<T>): DocumentConverters<T> {
  return {
    account: converter('account', Timestamp),
    member: converter('member', Timestamp),
    thread: converter('thread', Timestamp),
    message: converter('message', Timestamp),
    command: converter('command', Timestamp),
    lidPnPair: converter('lidPnPair', Timestamp),
    pendingUpdates: converter('pendingUpdates', Timestamp),
    name: converter('name', Timestamp),
    pairing: converter('pairing', Timestamp),
  };
}
