/**
 * The document converters of `@wasync/shared` against a real Firestore (the test backend) with the
 * real firebase-admin SDK: what a writer stores reads back as the same domain document, including
 * JID-keyed maps written whole (the backend drops such keys only in field-path merges).
 */
import assert from 'node:assert/strict';
import { type MessageDoc, makeDocumentConverters, paths, type ThreadDoc } from '@wasync/shared';
import { Timestamp } from 'firebase-admin/firestore';
import { clearFirestore, testDb } from '../support/firestore.ts';

const docs = makeDocumentConverters(Timestamp);
const T = 1_700_000_000_123;

describe('shared document converters with firebase-admin', () => {
  beforeEach(clearFirestore);

  it('round-trips a message and a thread document', async () => {
    const db = testDb();
    const message: MessageDoc = {
      accountId: 'acc1',
      id: '3EB0AAAA',
      threadId: 't1',
      fromMe: true,
      sender: null,
      timestamp: T,
      type: 'text',
      text: 'hi',
      status: 'read',
      receipts: { '111@lid': { deliveredAt: T + 1, readAt: T + 2 }, 'a-b': { deliveredAt: T + 3 } },
      reactions: { '111@lid': '👍' },
      reactionTimes: { '111@lid': T + 4, '222@lid': T + 5 },
      edited: { text: 'hey', at: T + 6 },
      source: 'realtime',
      updatedAt: T + 7,
    };
    const thread: ThreadDoc = {
      jid: '4915112345678@s.whatsapp.net',
      aliases: ['111@lid'],
      kind: 'dm',
      lastMessageAt: T,
      lastMessage: { id: '3EB0AAAA', text: 'hi', fromMe: true, type: 'text', status: 'read' },
      updatedAt: T + 7,
    };
    const messagePath = paths.message('acc1', 't1', 'me~3EB0AAAA');
    await db.doc(messagePath).set(docs.message.toFirestore(message));
    await db.doc(paths.thread('acc1', 't1')).set(docs.thread.toFirestore(thread));
    const stored = (await db.doc(messagePath).get()).data();
    assert.ok(stored?.timestamp instanceof Timestamp);
    assert.deepEqual(docs.message.fromFirestore(stored), message);
    assert.deepEqual(docs.thread.fromFirestore((await db.doc(paths.thread('acc1', 't1')).get()).data()), thread);
  });
});
