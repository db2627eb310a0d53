/**
 * The commit executor's contract on the test Firestore: each `WriteOp` kind lands as the planner
 * means it, every write carries its precondition (a stale one fails the whole commit, nothing
 * lands), and the outcome carries the update times the next preconditions need.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Commit, MessageDoc, ThreadDoc, WriteOp } from '@wasync/shared';
import { paths } from '@wasync/shared';
import { testDb } from '../../../../test/support/firestore.ts';
import { unfenced } from '../../../src/accounts/fence.ts';
import { CommitExecutor, StaleWriteError } from '../../../src/pipeline/store/commit-executor.ts';
import { documents } from '../../../src/pipeline/store/documents.ts';
import type { Versions } from '../../../src/pipeline/store/versioned.ts';

const T = 1_700_000_000_000;

function message(id: string, extra: Partial<MessageDoc> = {}): MessageDoc {
  return {
    accountId: 'a',
    id,
    threadId: 't',
    fromMe: true,
    sender: null,
    timestamp: T,
    type: 'text',
    text: 'hi',
    status: 'server_ack',
    source: 'realtime',
    updatedAt: T,
    ...extra,
  };
}

const commit = (...ops: WriteOp[]): Commit => ({ ops, writes: ops.length, bytes: 0 });

describe('commit executor', () => {
  let db: ReturnType<typeof testDb>;
  let executor: CommitExecutor;
  let accountId: string;
  const at = (id: string) => paths.message(accountId, 't', id);
  beforeEach(() => {
    db = testDb();
    executor = new CommitExecutor(db);
    accountId = `ce-${randomUUID()}`;
  });

  async function read(path: string): Promise<Versions> {
    const snap = await db.doc(path).get();
    const data = snap.exists ? documents.message.fromFirestore(snap.data()) : undefined;
    return new Map([[path, { data, version: snap.updateTime ?? null }]]);
  }

  it('creates, replaces whole (dropping fields the new document lacks) and reports update times', async () => {
    const fence = unfenced(db, accountId);
    const withMedia = message('m1', {
      media: { mimetype: 'image/jpeg', fileLength: 3 },
      receipts: { '1@lid': { readAt: T } },
    });
    const created = await executor.run(
      commit({ type: 'create', kind: 'message', path: at('m1'), data: withMedia }),
      new Map(),
      fence,
    );
    const snap = await db.doc(at('m1')).get();
    assert.ok(created.get(at('m1'))?.version?.isEqual(snap.updateTime!), 'outcome carries the update time');
    const tombstone = message('m1', { type: 'other', text: null, deleted: true, receipts: { '2@lid': { readAt: T } } });
    await executor.run(commit({ type: 'merge', kind: 'message', path: at('m1'), data: tombstone }), created, fence);
    assert.deepEqual(documents.message.fromFirestore((await db.doc(at('m1')).get()).data()), tombstone);
  });

  it('fails the whole commit on a stale precondition: create over an existing document, update or delete of a newer one', async () => {
    const fence = unfenced(db, accountId);
    await db.doc(at('m1')).set(documents.message.toFirestore(message('m1')));
    const stale = await read(at('m1'));
    await db.doc(at('m1')).update({ status: 'read' });
    const cases: WriteOp[] = [
      { type: 'create', kind: 'message', path: at('m1'), data: message('m1') },
      { type: 'merge', kind: 'message', path: at('m1'), data: message('m1', { status: 'delivered' }) },
      { type: 'delete', kind: 'message', path: at('m1') },
      { type: 'rekey', kind: 'message', from: at('m1'), to: at('m2'), data: message('m2'), toExists: false },
    ];
    for (const op of cases) {
      const other: WriteOp = { type: 'create', kind: 'message', path: at(`x-${op.type}`), data: message('x') };
      await assert.rejects(executor.run(commit(other, op), stale, fence), StaleWriteError, op.type);
      assert.equal((await db.doc(at(`x-${op.type}`)).get()).exists, false, `nothing of the ${op.type} commit landed`);
    }
    assert.equal((await db.doc(at('m1')).get()).get('status'), 'read');
    assert.equal((await db.doc(at('m2')).get()).exists, false);
  });

  it('moves a document atomically with rekey', async () => {
    const fence = unfenced(db, accountId);
    const thread: ThreadDoc = {
      jid: 'x@s.whatsapp.net',
      aliases: [],
      kind: 'dm',
      lastMessageAt: T,
      lastMessage: { id: 'm1', text: 'hi', fromMe: true, type: 'text', status: 'read' },
      updatedAt: T,
    };
    await executor.run(
      commit(
        { type: 'create', kind: 'message', path: at('m1'), data: message('m1') },
        { type: 'create', kind: 'thread', path: paths.thread(accountId, 't'), data: thread },
      ),
      new Map(),
      fence,
    );
    const moved = message('m1', { threadId: 'u' });
    const to = paths.message(accountId, 'u', 'm1');
    const outcome = await executor.run(
      commit({ type: 'rekey', kind: 'message', from: at('m1'), to, data: moved, toExists: false }),
      await read(at('m1')),
      fence,
    );
    assert.equal((await db.doc(at('m1')).get()).exists, false);
    assert.deepEqual(documents.message.fromFirestore((await db.doc(to).get()).data()), moved);
    assert.equal(outcome.get(at('m1'))?.version, null);
    assert.ok(outcome.get(to)?.version);
  });
});
