/**
 * firestore.indexes.json against the queries the functions really issue. Every listing and filter
 * combination is run against the test Firestore while firebase-admin's query execution is recorded
 * (`test/support/index-coverage.ts`); each shape must be servable by the declared indexes.
 */
import assert from 'node:assert/strict';
import { MESSAGE_TYPES, threadDocId } from '@wasync/shared';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import {
  type CompositeIndex,
  INDEXES,
  missingIndex,
  type QueryShape,
  recordQueries,
} from '../../../test/support/index-coverage.ts';
import { removeMember } from '../../src/accounts/members.ts';
import { listAccounts } from '../../src/queries/accounts.ts';
import { listMessages } from '../../src/queries/messages.ts';
import { listThreads } from '../../src/queries/threads.ts';
import { seedAccount, seedThread } from '../support/fixtures.ts';

describe('firestore.indexes.json', () => {
  it('serves every query the listings and member management issue', async () => {
    const db = testDb();
    await clearFirestore();
    await seedAccount(db, 'acct-i', { admin1: 'admin', admin2: 'admin' });
    await seedThread(db, { accountId: 'acct-i', jid: '4915100000123@s.whatsapp.net', count: 3 });
    const threadId = threadDocId('4915100000123@s.whatsapp.net');
    const shapes: QueryShape[] = [];
    const stop = recordQueries(shapes);
    try {
      const page = { limit: 2 };
      await listThreads(db, 'acct-i', page);
      await listAccounts(db, { uid: 'op', operator: true }, page);
      await listAccounts(db, { uid: 'admin1', operator: false }, page);
      await removeMember(db, { uid: 'admin1', operator: false }, { accountId: 'acct-i', uid: 'admin2' });
      for (const thread of [threadId, undefined]) {
        for (const fromMe of [undefined, true]) {
          for (const type of [undefined, MESSAGE_TYPES[0]]) {
            for (const range of [{}, { since: 1 }, { since: 1, until: 2e12 }]) {
              for (const order of ['asc', 'desc'] as const) {
                await listMessages(db, { accountId: 'acct-i', threadId: thread, fromMe, type, order, ...range }, page);
              }
            }
          }
        }
      }
    } finally {
      stop();
    }
    assert.ok(shapes.length >= 52, `recorded ${shapes.length} queries`);
    const used = new Set<CompositeIndex>();
    const problems = shapes.map((shape) => missingIndex(shape, used)).filter((p) => p !== undefined);
    assert.deepEqual([...new Set(problems)], []);
    // Every composite index costs index writes on every document it covers: each must be used.
    // The exceptions serve the socket host: its command executor (pending commands) and the sync
    // pipeline's late-mapping lookup (array-contains on unresolvedJids), checked in
    // socket-host/test/pipeline/indexes.test.ts.
    const forTheHost = (index: CompositeIndex) =>
      index.collectionGroup === 'commands' || index.fields.some((f) => f.arrayConfig === 'CONTAINS');
    const unused = INDEXES.indexes.filter((index) => !used.has(index) && !forTheHost(index));
    assert.deepEqual(unused, []);
  });

  it('deletes finished commands, orphaned pending updates and old raw history by TTL policies on fields no index carries', () => {
    const ttl = (
      INDEXES.fieldOverrides as { collectionGroup: string; fieldPath: string; ttl?: boolean; indexes: unknown[] }[]
    ).filter((o) => o.ttl);
    assert.deepEqual(
      ttl.map((o) => [o.collectionGroup, o.fieldPath, o.indexes]),
      [
        ['commands', 'purgeAt', []],
        ['pendingUpdates', 'expiresAt', []],
        ['chunks', 'expiresAt', []],
        ['chunkParts', 'expiresAt', []],
      ],
    );
  });
});
