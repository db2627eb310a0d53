/**
 * Messages of an account, newest (or oldest) first, optionally filtered.
 *
 * With a `threadId` the query runs on that thread's `messages` subcollection. Without one it is a
 * collection-group query over every `messages` collection, scoped by the `accountId` field each
 * message document carries (the security rules let members run the same query). Both order by
 * `timestamp` then document id; the composite indexes they need are in firestore.indexes.json.
 */
import { AppError, COLLECTIONS, isValidDocId, type MessageType, paths, type SortDirection } from '@wasync/shared';
import {
  type ListMessagesResult,
  type listMessagesInput,
  type MessageItem,
  visibleMessage,
} from '@wasync/shared/client';
import { type Firestore, type Query, type QueryDocumentSnapshot, Timestamp } from 'firebase-admin/firestore';
import type { z } from 'zod';
import { authorize, type Caller } from '../access/authorize.js';
import { documents } from '../documents.js';
import { type PageRequest, readPage } from './page.js';

export interface MessageFilters {
  accountId: string;
  threadId?: string | undefined;
  fromMe?: boolean | undefined;
  type?: MessageType | undefined;
  /** Inclusive lower bound on `timestamp`, epoch ms. */
  since?: number | undefined;
  /** Exclusive upper bound on `timestamp`, epoch ms. */
  until?: number | undefined;
  order: SortDirection;
}

/**
 * Separates thread and message ids in cursors of account-wide listings. `safeDocId` escapes `|`,
 * so no stored thread id contains it and the first `|` always ends the thread id.
 */
const PATH_SEPARATOR = '|';

export async function listMessages(
  db: Firestore,
  filters: MessageFilters,
  page: PageRequest,
): Promise<ListMessagesResult> {
  const { accountId, threadId } = filters;
  let query: Query = threadId
    ? db.collection(paths.messages(accountId, threadId))
    : db.collectionGroup(COLLECTIONS.messages).where('accountId', '==', accountId);
  if (filters.fromMe !== undefined) query = query.where('fromMe', '==', filters.fromMe);
  if (filters.type !== undefined) query = query.where('type', '==', filters.type);
  if (filters.since !== undefined) query = query.where('timestamp', '>=', Timestamp.fromMillis(filters.since));
  if (filters.until !== undefined) query = query.where('timestamp', '<', Timestamp.fromMillis(filters.until));

  const { items, nextCursor } = await readPage(
    query,
    {
      scope: [
        'messages',
        accountId,
        threadId === undefined ? 'all-threads' : `thread:${threadId}`,
        String(filters.fromMe ?? ''),
        filters.type ?? '',
        String(filters.since ?? ''),
        String(filters.until ?? ''),
      ],
      dir: filters.order,
      timeField: 'timestamp',
      ...(threadId === undefined
        ? {
            cursorId: (doc) => accountWideCursorId(doc),
            startAfterKey: (id) => accountWideStartKey(accountId, id),
          }
        : {}),
      toItem: (doc): MessageItem => visibleMessage({ ...documents.message.fromFirestore(doc.data()), docId: doc.id }),
    },
    page,
  );
  return nextCursor === undefined ? { messages: items } : { messages: items, nextCursor };
}

/** `<threadId>|<messageDocId>`: where a collection-group page ended. */
function accountWideCursorId(doc: QueryDocumentSnapshot): string {
  const threadId = doc.ref.parent.parent?.id;
  if (threadId === undefined || threadId.includes(PATH_SEPARATOR)) {
    throw new AppError('internal', `${doc.ref.path} is not under accounts/{id}/threads/{id}`);
  }
  return `${threadId}${PATH_SEPARATOR}${doc.id}`;
}

/** The full document path a collection-group query starts after (its `documentId()` values are paths). */
function accountWideStartKey(accountId: string, cursorId: string): string {
  const at = cursorId.indexOf(PATH_SEPARATOR);
  // The cursor's checksum and scope already passed; a cursor without separator was not made here.
  if (at <= 0 || at === cursorId.length - 1) {
    throw new AppError('invalid_cursor', 'Invalid cursor: it belongs to a different listing', { reason: 'foreign' });
  }
  const threadId = cursorId.slice(0, at);
  const messageDocId = cursorId.slice(at + 1);
  // The whole id is a valid document id; its parts (`.`, `..`, `__x__`) need not be: forged.
  if (!isValidDocId(threadId) || !isValidDocId(messageDocId)) {
    throw new AppError('invalid_cursor', 'Invalid cursor: id is not a valid document path', {
      reason: 'invalid_value',
    });
  }
  return paths.message(accountId, threadId, messageDocId);
}

/** `listMessages` for a caller who must be a member (viewer or above) of the account. */
export async function listMessagesFor(
  db: Firestore,
  caller: Caller,
  input: z.output<typeof listMessagesInput>,
): Promise<ListMessagesResult> {
  await authorize(db, caller, input.accountId, 'viewer');
  return listMessages(db, input, input);
}
