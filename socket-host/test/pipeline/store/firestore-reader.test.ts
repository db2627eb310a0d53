/**
 * The planner's reads from Firestore: what lists a JID as unresolved (the lookup a new LID ↔ PN
 * pair starts) is asked for all the JIDs of a read round together, in `array-contains-any`
 * queries of 30 JIDs — one pair of queries per 30 JIDs, not per JID — and each JID still gets
 * exactly the documents that list it.
 */
import assert from 'node:assert/strict';
import { paths, SnapshotStore } from '@wasync/shared';
import type { WAMessage } from '@whiskeysockets/baileys';
import fc from 'fast-check';
import { testDb } from '../../../../test/support/firestore.ts';
import { type QueryShape, recordQueries } from '../../../../test/support/index-coverage.ts';
import { FirestoreReader } from '../../../src/pipeline/store/firestore-reader.ts';
import { DocCache, type Versions } from '../../../src/pipeline/store/versioned.ts';
import { openSync } from '../../support/sync.ts';

const T_S = 1_735_689_600;
/** More JIDs than one `array-contains-any` takes. */
const LIDS = Array.from({ length: 35 }, (_, i) => `${900_000_000_000 + i}@lid`);

function fromLid(lid: string, i: number): WAMessage {
  return {
    key: { remoteJid: lid, fromMe: false, id: `REF${String(i).padStart(4, '0')}` },
    messageTimestamp: T_S + i,
    message: { conversation: `from ${lid}` },
  };
}

const GROUP = '120363000000000001@g.us';

/** A group message from `lid`, and (for some) another LID's reaction to it: documents listing one or two LIDs. */
function groupMessages(): WAMessage[] {
  const messages: WAMessage[] = [];
  for (const [i, lid] of LIDS.entries()) {
    const key = { remoteJid: GROUP, fromMe: false, id: `GRP${String(i).padStart(4, '0')}`, participant: lid };
    messages.push({ key, messageTimestamp: T_S + i, message: { conversation: `from ${lid}` } });
    if (i % 3 !== 0) continue;
    const reactor = LIDS[(i + 7) % LIDS.length]!;
    messages.push({
      key: { remoteJid: GROUP, fromMe: false, id: `RCT${String(i).padStart(4, '0')}`, participant: reactor },
      messageTimestamp: T_S + i + 1,
      message: { reactionMessage: { key, text: '👍', senderTimestampMs: (T_S + i + 1) * 1000 } },
    });
  }
  return messages;
}

function readerOf(accountId: string): FirestoreReader {
  return new FirestoreReader({
    db: testDb(),
    accountId,
    cache: new DocCache(1_000),
    pendingIds: new Set(),
    counter: { reads: 0 },
    retry: (read) => read(),
  });
}

describe('Firestore reader', function () {
  this.timeout(60_000);

  it('answers any set of JIDs, in any order and number, as a lookup per JID would (property)', async () => {
    const sync = await openSync();
    const accountId = sync.writer.accountId;
    await sync.writeMessages(groupMessages(), 'realtime');
    await sync.close('test');
    const stored = (await testDb().collectionGroup('messages').where('accountId', '==', accountId).get()).docs;
    const listing = (jid: string) =>
      stored
        .filter((d) => (d.get('unresolvedJids') as string[] | undefined)?.includes(jid))
        .map((d) => d.ref.path)
        .sort();
    assert.ok(
      stored.some((d) => (d.get('unresolvedJids') as string[] | undefined)?.length === 2),
      'some documents list two LIDs',
    );
    const jid = fc.oneof(fc.constantFrom(...LIDS), fc.constant('nobody@lid'));
    await fc.assert(
      fc.asyncProperty(fc.array(jid, { maxLength: 80 }), async (jids) => {
        const snapshot = new SnapshotStore();
        const shapes: QueryShape[] = [];
        const stop = recordQueries(shapes);
        try {
          await readerOf(accountId).read(
            jids.map((j) => ({ kind: 'referencing', jid: j })),
            snapshot,
            new Map(),
          );
        } finally {
          stop();
        }
        const distinct = new Set(jids);
        assert.equal(shapes.length, 2 * Math.ceil(distinct.size / 30));
        for (const j of distinct) {
          const found = snapshot.referencing(j).messages.map((m) => paths.message(accountId, m.threadId, m.docId));
          assert.deepEqual(found.sort(), listing(j), j);
        }
      }),
      { numRuns: 12 },
    );
  });

  it('looks up what lists each of many JIDs in one query pair per 30 JIDs, each JID getting its own documents', async () => {
    const sync = await openSync();
    const accountId = sync.writer.accountId;
    // One message from each LID chat (none with a known phone number: each lists its LID as unresolved),
    // two from the first.
    await sync.writeMessages([...LIDS.map(fromLid), fromLid(LIDS[0]!, LIDS.length)], 'realtime');
    await sync.close('test');
    const reader = readerOf(accountId);
    const snapshot = new SnapshotStore();
    const versions: Versions = new Map();
    const shapes: QueryShape[] = [];
    const stop = recordQueries(shapes);
    try {
      await reader.read(
        [...LIDS, 'nobody@lid'].map((jid) => ({ kind: 'referencing', jid })),
        snapshot,
        versions,
      );
    } finally {
      stop();
    }
    assert.equal(shapes.length, 4, 'two batches of JIDs, each a messages and a pending-updates query');
    for (const [i, lid] of LIDS.entries()) {
      const found = snapshot.referencing(lid);
      const ids = found.messages.map((m) => m.doc.id).sort();
      const expected =
        i === 0 ? ['REF0000', `REF${String(LIDS.length).padStart(4, '0')}`] : [`REF${String(i).padStart(4, '0')}`];
      assert.deepEqual(ids, expected, lid);
      assert.ok(found.messages.every((m) => m.doc.unresolvedJids?.includes(lid)));
      assert.deepEqual(found.pending, []);
    }
    assert.deepEqual(snapshot.referencing('nobody@lid'), { messages: [], pending: [] });
    assert.deepEqual(snapshot.missing(), [], 'every JID answered');
    // Every document found is a read the commit can name as a precondition.
    const messagePaths = [...versions.keys()].filter((path) => path.startsWith(paths.account(accountId)));
    assert.equal(messagePaths.length, LIDS.length + 1);
  });
});
