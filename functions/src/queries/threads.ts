/** Threads of one account, most recently active first. */
import { paths } from '@wasync/shared';
import { type ListThreadsResult, type listThreadsInput, type ThreadItem, visibleThread } from '@wasync/shared/client';
import type { Firestore } from 'firebase-admin/firestore';
import type { z } from 'zod';
import { authorize, type Caller } from '../access/authorize.js';
import { documents } from '../documents.js';
import { type PageRequest, readPage } from './page.js';

export async function listThreads(db: Firestore, accountId: string, page: PageRequest): Promise<ListThreadsResult> {
  const { items, nextCursor } = await readPage(
    db.collection(paths.threads(accountId)),
    {
      scope: ['threads', accountId],
      dir: 'desc',
      timeField: 'lastMessageAt',
      toItem: (doc): ThreadItem => visibleThread({ ...documents.thread.fromFirestore(doc.data()), threadId: doc.id }),
    },
    page,
  );
  return nextCursor === undefined ? { threads: items } : { threads: items, nextCursor };
}

/** `listThreads` for a caller who must be a member (viewer or above) of the account. */
export async function listThreadsFor(
  db: Firestore,
  caller: Caller,
  input: z.output<typeof listThreadsInput>,
): Promise<ListThreadsResult> {
  await authorize(db, caller, input.accountId, 'viewer');
  return listThreads(db, input.accountId, input);
}
