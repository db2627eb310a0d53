import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AliasResolver, type CanonicalJid, type ThreadMergePlan } from '../../src/identity/alias-resolver.ts';
import { mergeThreadDocs, rekeyMessage } from '../../src/identity/thread-merge.ts';
import { messageDocId, threadDocId } from '../../src/ids.ts';
import { mergeMessageDoc } from '../../src/message-doc/merge.ts';
import { type LidPnPair, MESSAGE_STATUSES, type MessageDoc, type ThreadDoc } from '../../src/schema.ts';
import { summarizeMessages } from '../../src/thread-summary.ts';
import { permutedChunks } from './arbitraries.ts';

const LID = '111111111111111@lid';
const PN = '4915100000001@s.whatsapp.net';
const ME = '4915199999999@s.whatsapp.net';
const SELF = { pn: ME, lid: '99999999999@lid' };
const dmId = (fromMe: boolean, id: string) => messageDocId({ threadKind: 'dm', fromMe, sender: null, id });
const intoSurvivor = { threadId: threadDocId(PN), kind: 'dm' as const };

const plan: ThreadMergePlan = {
  survivor: { threadId: threadDocId(PN), jid: PN },
  absorbed: { threadId: threadDocId(LID), jid: LID },
  aliases: [LID],
};
const canonical: CanonicalJid = new AliasResolver({ self: SELF, pairs: [{ lid: LID, pn: PN }] }).canonical;

function threadDoc(jid: string, extra: Partial<ThreadDoc>): ThreadDoc {
  return {
    jid,
    aliases: [],
    kind: 'dm',
    lastMessageAt: 1_000,
    lastMessage: { id: 'A', text: 'a', fromMe: false, type: 'text', status: 'delivered' },
    oldestMessageAt: 1_000,
    updatedAt: 1,
    ...extra,
  };
}

/** A message whose content follows from its id, so the same id seen twice is the same message. */
function messageDoc(thread: string, id: string, fromMe: boolean, status: MessageDoc['status']): MessageDoc {
  const n = Number.parseInt(id.slice(1), 10);
  return {
    accountId: 'acc1',
    id,
    threadId: threadDocId(thread),
    fromMe,
    sender: fromMe ? null : thread,
    timestamp: 1_000 * (n % 4),
    type: 'text',
    text: `text ${id}`,
    status,
    source: 'history',
    updatedAt: n,
  };
}

describe('identity/thread-merge', () => {
  describe('mergeThreadDocs', () => {
    it('builds the survivor doc from both threads', () => {
      const survivor = threadDoc(PN, { lastMessageAt: 5_000, oldestMessageAt: 4_000, unreadCount: 2, updatedAt: 10 });
      const absorbed = threadDoc(LID, { name: 'Ana', unreadCount: 1, updatedAt: 20, aliases: ['x@lid'] });
      assert.deepEqual(mergeThreadDocs(survivor, absorbed, plan), {
        jid: PN,
        aliases: [LID, 'x@lid'],
        kind: 'dm',
        name: 'Ana',
        lastMessageAt: 5_000,
        lastMessage: survivor.lastMessage,
        oldestMessageAt: 1_000,
        unreadCount: 3,
        updatedAt: 20,
      });
    });

    it('moves a thread whose survivor does not exist yet', () => {
      const absorbed = threadDoc(LID, {});
      assert.deepEqual(mergeThreadDocs(undefined, absorbed, plan), { ...absorbed, jid: PN, aliases: [LID] });
    });

    it('keeps one of two differing names whichever thread survives', () => {
      const a = threadDoc(PN, { name: 'Ana B.' });
      const b = threadDoc(LID, { name: 'Ana' });
      assert.equal(mergeThreadDocs(a, b, plan).name, 'Ana');
      assert.equal(mergeThreadDocs(b, a, plan).name, 'Ana');
    });
  });

  describe('rekeyMessage', () => {
    it('moves an incoming DM message to the PN thread, its sender to the PN, its id unchanged', () => {
      const message = {
        ...messageDoc(LID, 'M1', false, 'read'),
        receipts: { '111111111111111:3@lid': { readAt: 5 } },
      };
      const { docId, message: moved } = rekeyMessage(message, canonical, intoSurvivor);
      assert.equal(docId, 'peer~M1');
      assert.equal(moved.sender, PN);
      assert.equal(moved.threadId, threadDocId(PN));
      assert.deepEqual(moved.receipts, { [PN]: { readAt: 5 } });
      assert.equal(moved.timestamp, message.timestamp);
    });

    it('keeps the doc id of our own messages and only moves them', () => {
      const { docId, message: moved } = rekeyMessage(messageDoc(LID, 'M2', true, 'read'), canonical, intoSurvivor);
      assert.equal(docId, dmId(true, 'M2'));
      assert.equal(moved.sender, null);
      assert.equal(moved.threadId, threadDocId(PN));
    });

    it('keeps the later reaction when a person reacted under both JIDs', () => {
      const message = {
        ...messageDoc(LID, 'M3', true, 'read'),
        reactions: { [LID]: '👍', [PN]: '❤️', [ME]: '😂' },
        reactionTimes: { [LID]: 20, [PN]: 10 },
      };
      const moved = rekeyMessage(message, canonical, intoSurvivor).message;
      assert.deepEqual([moved.reactions, moved.reactionTimes], [{ [PN]: '👍', [ME]: '😂' }, { [PN]: 20 }]);
      const onlyLid = { ...message, reactions: { [LID]: '👍' }, reactionTimes: {} };
      assert.deepEqual(rekeyMessage(onlyLid, canonical, intoSurvivor).message.reactions, { [PN]: '👍' });
    });

    it('re-keys a group message whose sender got a phone number, in place', () => {
      const group = '120363000000000001@g.us';
      const message = { ...messageDoc(group, 'M4', false, 'delivered'), sender: LID };
      const { docId, message: moved } = rekeyMessage(message, canonical, {
        threadId: threadDocId(group),
        kind: 'group',
      });
      assert.equal(docId, messageDocId({ threadKind: 'group', fromMe: false, sender: PN, id: 'M4' }));
      assert.equal(moved.threadId, threadDocId(group));
    });
  });

  describe('late mappings converge (I1, I4)', () => {
    const lids = ['1@lid', '2@lid', '3@lid'];
    const pns = ['10@s.whatsapp.net', '20@s.whatsapp.net', '30@s.whatsapp.net'];

    interface StoredThread {
      doc: ThreadDoc;
      messages: Map<string, MessageDoc>;
    }
    type Store = Map<string, StoredThread>;

    function applyPlan(store: Store, merge: ThreadMergePlan, resolve: CanonicalJid): void {
      const absorbed = store.get(merge.absorbed.jid);
      assert.ok(absorbed, `absorbed thread ${merge.absorbed.jid} must exist`);
      const survivor = store.get(merge.survivor.jid);
      const messages = new Map(survivor?.messages);
      for (const message of absorbed.messages.values()) {
        const moved = rekeyMessage(message, resolve, { threadId: merge.survivor.threadId, kind: 'dm' });
        // The same message stored twice (under both JIDs) is joined as any re-delivery is.
        messages.set(moved.docId, mergeMessageDoc(messages.get(moved.docId), moved.message));
      }
      store.delete(merge.absorbed.jid);
      store.set(merge.survivor.jid, { doc: mergeThreadDocs(survivor?.doc, absorbed.doc, merge), messages });
    }

    /** Feed the pairs chunk by chunk, applying every plan and alias update as a writer would. */
    function run(initial: Store, chunks: LidPnPair[][]): Store {
      const store: Store = new Map(
        [...initial].map(([jid, t]) => [jid, { doc: t.doc, messages: new Map(t.messages) }]),
      );
      const resolver = new AliasResolver({ self: SELF });
      for (const chunk of chunks) {
        const change = resolver.add(chunk, (jid) => store.has(jid));
        for (const merge of change.merges) applyPlan(store, merge, resolver.canonical);
        for (const update of change.aliasUpdates) {
          const thread = store.get(update.thread.jid);
          assert.ok(thread, 'alias updates name existing threads');
          thread.doc = { ...thread.doc, aliases: update.aliases };
        }
      }
      return store;
    }

    const snapshot = (store: Store) =>
      [...store].sort(([a], [b]) => (a < b ? -1 : 1)).map(([jid, t]) => [jid, t.doc, [...t.messages].sort()]);

    const messageArb = fc.record({
      id: fc.integer({ min: 0, max: 7 }).map((n) => `M${n}`),
      fromMe: fc.boolean(),
      status: fc.constantFrom(...MESSAGE_STATUSES),
    });
    const threadArb = (jid: string) =>
      fc
        .record({
          messages: fc.array(messageArb, { minLength: 1, maxLength: 4 }),
          name: fc.option(fc.constantFrom('Ana', 'Bo'), { nil: undefined }),
          unreadCount: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
          updatedAt: fc.integer({ min: 1, max: 100 }),
        })
        .map(({ messages, name, unreadCount, updatedAt }): [string, StoredThread] => {
          const stored = new Map<string, MessageDoc>();
          for (const m of messages) {
            const doc = messageDoc(jid, m.id, m.fromMe, m.status);
            stored.set(dmId(doc.fromMe, doc.id), doc);
          }
          const summary = summarizeMessages(stored.values())!;
          const doc: ThreadDoc = { jid, aliases: [], kind: 'dm', ...summary, updatedAt };
          if (name !== undefined) doc.name = name;
          if (unreadCount !== undefined) doc.unreadCount = unreadCount;
          return [jid, { doc, messages: stored }];
        });
    const storeArb: fc.Arbitrary<Store> = fc
      .subarray([...lids, ...pns], { minLength: 1 })
      .chain((jids) => fc.tuple(...jids.map(threadArb)))
      .map((threads) => new Map(threads));
    const pairArb: fc.Arbitrary<LidPnPair> = fc.record({ lid: fc.constantFrom(...lids), pn: fc.constantFrom(...pns) });
    const scenarioArb = fc.tuple(
      storeArb,
      fc.array(pairArb, { maxLength: 6 }).chain((pairs) => fc.tuple(fc.constant(pairs), permutedChunks(pairs))),
    );

    it('ends in the same threads and messages for any order and chunking of the mappings', () => {
      fc.assert(
        fc.property(scenarioArb, ([initial, [pairs, chunks]]) => {
          assert.deepEqual(snapshot(run(initial, chunks)), snapshot(run(initial, [pairs])));
        }),
        { numRuns: 3_000 },
      );
    });

    it('ends with one thread per person, keyed and aliased canonically, its summary matching its messages', () => {
      fc.assert(
        fc.property(scenarioArb, ([initial, [pairs, chunks]]) => {
          const final = run(initial, chunks);
          const resolver = new AliasResolver({ self: SELF, pairs });
          const expectedJids = new Set([...initial.keys()].map(resolver.canonical));
          assert.deepEqual([...final.keys()].sort(), [...expectedJids].sort());
          for (const [jid, thread] of final) {
            assert.equal(thread.doc.jid, jid);
            assert.deepEqual(thread.doc.aliases, resolver.aliasesOf(jid));
            assert.deepEqual(
              { ...summarizeMessages(thread.messages.values()) },
              {
                lastMessageAt: thread.doc.lastMessageAt,
                lastMessage: thread.doc.lastMessage,
                oldestMessageAt: thread.doc.oldestMessageAt,
              },
            );
            for (const [docId, message] of thread.messages) {
              assert.equal(message.threadId, threadDocId(jid));
              assert.equal(docId, dmId(message.fromMe, message.id));
              if (!message.fromMe) assert.equal(message.sender, jid);
            }
          }
        }),
        { numRuns: 3_000 },
      );
    });
  });
});
