/**
 * Firestore converters for the documents apps read directly (under the security rules), for the
 * `firebase` client SDK's `withConverter`. They are the domain core's document converters
 * (`documents/`, times `EpochMs` ↔ `Timestamp`) plus the document id, which apps need to address
 * threads and messages, reduced to the documented fields (visible.ts) — the same item shapes the
 * callables and the HTTPS API return.
 *
 * ```ts
 * import { collection, doc, getDocs, limit, orderBy, query, Timestamp } from 'firebase/firestore';
 * import { firestoreConverters } from '@wasync/shared/client';
 * const convert = firestoreConverters(Timestamp);
 * const threads = collection(db, 'accounts', accountId, 'threads').withConverter(convert.thread);
 * const page = await getDocs(query(threads, orderBy('lastMessageAt', 'desc'), limit(20)));
 * page.docs.map((d) => d.data()); // ThreadItem[] with threadId and EpochMs times
 * ```
 *
 * Clients never write (the rules deny it); `toFirestore` exists because `withConverter` requires
 * it and drops the id field the reading side added.
 */
import { makeDocumentConverters } from '../documents/converters.ts';
import type { TimestampFactory, TimestampLike } from '../documents/timestamps.ts';
import type { AccountDoc, MemberDoc } from '../schema.ts';
import type { MessageItem, ThreadItem } from './contract.ts';
import { visibleAccount, visibleMessage, visibleThread } from './visible.ts';

/** The part of the SDK's `QueryDocumentSnapshot` a converter reads. */
export interface SnapshotLike {
  readonly id: string;
  data(options?: unknown): unknown;
}

/** Structurally a `FirestoreDataConverter<Item>` of the `firebase` SDK. */
export interface ItemConverter<Item> {
  toFirestore(item: Item): Record<string, unknown>;
  fromFirestore(snapshot: SnapshotLike, options?: unknown): Item;
}

/** An account document read directly (the API's `AccountItem` also has the caller's role). */
export type AccountDocItem = Omit<AccountDoc, 'pairingGeneration'> & { accountId: string };
/** A membership document read directly. */
export type MemberDocItem = MemberDoc;

export interface FirestoreConverters {
  account: ItemConverter<AccountDocItem>;
  member: ItemConverter<MemberDocItem>;
  thread: ItemConverter<ThreadItem>;
  message: ItemConverter<MessageItem>;
}

function withId<Domain extends object, Item extends object, K extends keyof Item & string>(
  convert: { toFirestore(doc: Domain): unknown; fromFirestore(data: unknown): Domain },
  idField: K,
  visible: (item: Item) => Item,
): ItemConverter<Item> {
  return {
    toFirestore(item) {
      const { [idField]: _id, ...doc } = item;
      return convert.toFirestore(doc as unknown as Domain) as Record<string, unknown>;
    },
    fromFirestore(snapshot, options) {
      return visible({ ...convert.fromFirestore(snapshot.data(options)), [idField]: snapshot.id } as unknown as Item);
    },
  };
}

/** Converters for the `Timestamp` class of the app's SDK (`import { Timestamp } from 'firebase/firestore'`). */
export function firestoreConverters<T extends TimestampLike>(Timestamp: TimestampFactory<T>): FirestoreConverters {
  const docs = makeDocumentConverters(Timestamp);
  return {
    // The rules decide who reads an account document (members: all of it); this only drops
    // fields the contract does not document.
    account: withId<AccountDoc, AccountDocItem, 'accountId'>(docs.account, 'accountId', (a) =>
      visibleAccount(a, 'admin'),
    ),
    member: {
      toFirestore: (member) => docs.member.toFirestore(member) as unknown as Record<string, unknown>,
      fromFirestore: (snapshot, options) => docs.member.fromFirestore(snapshot.data(options)),
    },
    thread: withId(docs.thread, 'threadId', visibleThread),
    message: withId(docs.message, 'docId', visibleMessage),
  };
}
