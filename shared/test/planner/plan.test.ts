import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lidPnPairDocId } from '../../src/ids.ts';
import { normalizeMessage } from '../../src/normalize/index.ts';
import type { NormalizedMessage } from '../../src/normalize/types.ts';
import { documentSize, type InMemoryStore, opCost, planWrites, SnapshotStore } from '../../src/planner/index.ts';
import type { Commit, PlannerEvent, WriteOp } from '../../src/planner/types.ts';
import { paths } from '../../src/schema.ts';
import { GROUP, liveMessage, NOW, OTHER, PEER, protoMessage, SELF, T0, T0_MS } from '../fixtures/wa-messages.ts';
import { ACCOUNT, newStore, storeText } from '../support/pipeline.ts';

const realtime = { source: 'realtime', receivedAt: NOW, self: SELF } as const;

function message(id: string, text: string, t = T0, from: string = PEER.lid): NormalizedMessage {
  const result = normalizeMessage(liveMessage({ from, id, t: String(t) }, { conversation: text }), realtime);
  assert.equal(result.kind, 'message');
  return result as NormalizedMessage;
}

function reaction(targetId: string, emoji: string, ms: number): PlannerEvent {
  const result = normalizeMessage(
    liveMessage(
      { from: PEER.lid, id: `R${ms}` },
      {
        reactionMessage: {
          key: { remoteJid: PEER.lid, fromMe: false, id: targetId },
          text: emoji,
          senderTimestampMs: ms,
        },
      },
    ),
    realtime,
  );
  assert.equal(result.kind, 'update');
  return result as PlannerEvent;
}

function plan(
  store: InMemoryStore,
  events: readonly PlannerEvent[],
  options: { maxWritesPerCommit?: number; maxBytesPerCommit?: number } = {},
) {
  return planWrites({ accountId: ACCOUNT, self: SELF, pairs: store.pairs(), store }, events, { now: NOW, ...options });
}

function apply(store: InMemoryStore, commits: Commit[]): void {
  for (const commit of commits) store.apply(commit);
}

const opsOf = (commits: Commit[]): WriteOp[] => commits.flatMap((c) => c.ops);

describe('planner/planWrites', () => {
  it('creates the message and its thread, then plans nothing for a replay', () => {
    const store = newStore();
    const first = plan(store, [message('A', 'hi')]);
    assert.deepEqual(
      opsOf(first.commits).map((op) => [op.type, op.kind]),
      [
        ['create', 'message'],
        ['create', 'thread'],
      ],
    );
    apply(store, first.commits);
    assert.deepEqual(plan(store, [message('A', 'hi')]).commits, []);
  });

  it('writes every document whole: JID-keyed maps are values, never field paths', () => {
    const store = newStore();
    apply(store, plan(store, [message('A', 'hi')]).commits);
    const ops = opsOf(plan(store, [reaction('A', '👍', T0_MS + 1)]).commits);
    assert.deepEqual(
      ops.map((op) => op.type),
      ['merge'],
    );
    const data = (ops[0] as Extract<WriteOp, { type: 'merge' }>).data;
    // A whole MessageDoc, with the reaction map as a nested value.
    assert.equal((data as { accountId: string }).accountId, ACCOUNT);
    assert.deepEqual((data as { reactions: unknown }).reactions, { [PEER.lid]: '👍' });
    for (const key of Object.keys(data)) assert.ok(!key.includes('.'), key);
  });

  it('keeps an update for a message not stored yet as pending, and joins it when the message arrives', () => {
    for (const order of ['update first', 'message first'] as const) {
      const store = newStore();
      const events = [message('A', 'hi'), reaction('A', '👍', T0_MS + 1)];
      for (const event of order === 'update first' ? [...events].reverse() : events)
        apply(store, plan(store, [event]).commits);
      assert.equal([...store.docs.keys()].filter((p) => p.includes('pendingUpdates')).length, 0, order);
      const doc = store.message(PEER.lid, 'peer~A');
      assert.deepEqual(doc?.reactions, { [PEER.lid]: '👍' }, order);
    }
  });

  it('chunks into commits of at most maxWritesPerCommit writes, a re-key counting two', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1, max: 60 }), (max, n) => {
        const store = newStore();
        const events = Array.from({ length: n }, (_, i) => message(`M${i}`, `text ${i}`, T0 + i));
        const { commits } = plan(store, events, { maxWritesPerCommit: max });
        for (const commit of commits) {
          assert.ok(commit.writes <= max);
          assert.equal(
            commit.writes,
            commit.ops.reduce((sum, op) => sum + opCost(op).writes, 0),
          );
        }
        assert.equal(opsOf(commits).length, n + 1);
      }),
      { numRuns: 200 },
    );
  });

  it('chunks by bytes too, with the default 500 writes and 9 MiB', () => {
    const store = newStore();
    const long = 'x'.repeat(200_000);
    const events = Array.from({ length: 60 }, (_, i) => message(`B${i}`, long, T0 + i));
    const { commits } = plan(store, events);
    assert.ok(commits.length >= 2);
    for (const commit of commits) {
      assert.ok(commit.bytes <= 9 * 1024 * 1024, String(commit.bytes));
      assert.ok(commit.writes <= 500);
    }
    const small = plan(
      newStore(),
      Array.from({ length: 600 }, (_, i) => message(`S${i}`, 's', T0 + i)),
    );
    assert.deepEqual(
      small.commits.map((c) => c.writes),
      [500, 101],
    );
  });

  it('writes each thread once per plan, after its messages', () => {
    const store = newStore();
    const events = [
      ...Array.from({ length: 30 }, (_, i) => message(`P${i}`, 'p', T0 + i)),
      ...Array.from({ length: 30 }, (_, i) => message(`O${i}`, 'o', T0 + i, OTHER.lid)),
    ];
    const { commits } = plan(store, events, { maxWritesPerCommit: 7 });
    const ops = opsOf(commits);
    const threadOps = ops.filter((op) => op.kind === 'thread');
    assert.equal(threadOps.length, 2);
    const lastMessage = ops.map((op) => op.kind).lastIndexOf('message');
    for (const op of threadOps) assert.ok(ops.indexOf(op) > lastMessage);
    for (const commit of commits) {
      const threads = commit.ops
        .filter((op) => op.kind === 'thread')
        .map((op) => (op.type === 'rekey' ? op.to : op.path));
      assert.equal(new Set(threads).size, threads.length);
    }
  });

  it('merges a LID thread into the phone-number thread when the mapping arrives, pairs written last', () => {
    const store = newStore();
    apply(store, plan(store, [message('A', 'under the LID')]).commits);
    const pnHistory = normalizeMessage(
      protoMessage({
        key: { remoteJid: PEER.pn, fromMe: false, id: 'B' },
        messageTimestamp: T0 + 1,
        message: { conversation: 'under the PN' },
      }),
      { ...realtime, source: 'history' },
    );
    apply(store, plan(store, [pnHistory as PlannerEvent]).commits);
    const merge = plan(store, [{ kind: 'aliases', receivedAt: NOW, pairs: [{ lid: PEER.lid, pn: PEER.pn }] }]);
    const ops = opsOf(merge.commits);
    assert.deepEqual(
      ops.map((op) => `${op.type} ${op.kind}`),
      ['rekey message', 'merge thread', 'delete thread', 'create lidPnPair'],
    );
    const last = ops.at(-1);
    assert.equal(
      last?.type === 'create' && last.path,
      paths.lidPnPair(ACCOUNT, lidPnPairDocId({ lid: PEER.lid, pn: PEER.pn })),
    );
    assert.deepEqual(
      merge.learned.map((p) => p.lid),
      [PEER.lid],
    );
    apply(store, merge.commits);
    assert.deepEqual([...store.docs.keys()].filter((p) => p.includes('/messages/')).sort(), [
      paths.message(ACCOUNT, PEER.pn, 'peer~A'),
      paths.message(ACCOUNT, PEER.pn, 'peer~B'),
    ]);
    assert.equal(store.thread(PEER.lid), undefined);
    assert.deepEqual(store.thread(PEER.pn)?.aliases, [PEER.lid]);
    assert.equal(store.message(PEER.pn, 'peer~A')?.sender, PEER.pn);
  });

  it('moves every message of a phone-number thread absorbed by a smaller number of the same LID', () => {
    // A number change: the LID first maps to the old number, later also to a new (smaller) one.
    const [oldPn, newPn] = ['4915199999999@s.whatsapp.net', '4915100000000@s.whatsapp.net'];
    const store = newStore();
    const aliases = (pn: string): PlannerEvent => ({
      kind: 'aliases',
      receivedAt: NOW,
      pairs: [{ lid: PEER.lid, pn }],
    });
    apply(store, plan(store, [aliases(oldPn), message('A', 'to the old number'), message('B', 'b', T0 + 1)]).commits);
    assert.equal(store.threadMessages(oldPn).length, 2);
    apply(store, plan(store, [aliases(newPn)]).commits);
    assert.deepEqual(store.threadMessages(oldPn), []);
    assert.equal(store.thread(oldPn), undefined);
    assert.deepEqual(
      store.threadMessages(newPn).map((m) => [m.docId, m.doc.sender]),
      [
        ['peer~A', newPn],
        ['peer~B', newPn],
      ],
    );
    assert.deepEqual(store.thread(newPn)?.aliases, [PEER.lid, oldPn]);
  });

  it('re-keys a group message when its sender’s LID gets a phone number, atomically', () => {
    const store = newStore();
    const group = normalizeMessage(
      liveMessage({ from: GROUP, participant: OTHER.lid, id: 'G' }, { conversation: 'g' }),
      realtime,
    );
    apply(store, plan(store, [group as PlannerEvent]).commits);
    assert.deepEqual(store.message(GROUP, `${OTHER.lid}~G`)?.unresolvedJids, [OTHER.lid]);
    const { commits } = plan(store, [{ kind: 'aliases', receivedAt: NOW, pairs: [{ lid: OTHER.lid, pn: OTHER.pn }] }], {
      maxWritesPerCommit: 2,
    });
    const rekey = commits.find((c) => c.ops.some((op) => op.type === 'rekey'));
    assert.deepEqual(
      rekey?.ops.map((op) => op.type),
      ['rekey'],
    );
    apply(store, commits);
    assert.equal(store.message(GROUP, `${OTHER.lid}~G`), undefined);
    assert.equal(store.message(GROUP, `${OTHER.pn}~G`)?.unresolvedJids, undefined);
  });

  it('stamps accountId on every message document', () => {
    const store = newStore();
    apply(store, plan(store, [message('A', 'hi'), message('B', 'ho')]).commits);
    for (const [path, doc] of store.docs)
      if (path.includes('/messages/')) assert.equal((doc as { accountId: string }).accountId, ACCOUNT);
  });

  it('asks a SnapshotStore for what it lacks, and plans the same as with the full store once given it', () => {
    const full = newStore();
    apply(full, plan(full, [message('A', 'hi'), reaction('Z', '👍', T0_MS)]).commits);
    const events = [message('Z', 'target of the pending reaction'), reaction('A', '🔥', T0_MS + 5)];
    const direct = plan(full, events);
    const snapshot = new SnapshotStore();
    const state = { accountId: ACCOUNT, self: SELF, pairs: full.pairs(), store: snapshot };
    let planned = planWrites(state, events, { now: NOW });
    let rounds = 1;
    while (planned.reads.length > 0) {
      assert.deepEqual(planned.commits, []);
      for (const read of planned.reads) {
        if (read.kind === 'message')
          snapshot.addMessage(read.threadId, read.docId, full.message(read.threadId, read.docId));
        if (read.kind === 'thread') snapshot.addThread(read.threadId, full.thread(read.threadId));
        if (read.kind === 'pending') snapshot.addPending(read.messageId, full.pending(read.messageId));
      }
      snapshot.clearMissing();
      planned = planWrites(state, events, { now: NOW });
      rounds += 1;
    }
    assert.ok(rounds <= 3, String(rounds));
    assert.deepEqual(planned.commits, direct.commits);
  });

  it('keeps every message once and the store equal whatever the commit size', () => {
    const events = [
      message('A', 'a'),
      message('B', 'b', T0 + 1),
      reaction('C', '👍', T0_MS),
      message('C', 'c', T0 + 2),
    ];
    const texts = [1, 2, 3, 500].map((max) => {
      const store = newStore();
      apply(store, plan(store, events, { maxWritesPerCommit: max }).commits);
      return storeText(store);
    });
    assert.equal(new Set(texts).size, 1);
  });

  it('estimates document sizes by Firestore’s rules', () => {
    // name: path bytes + segments + 16; "a" field: 2 + string 2; + 32.
    assert.equal(documentSize('accounts/x', { a: 'b' }), 10 + 2 + 16 + 2 + 2 + 32);
  });
});
