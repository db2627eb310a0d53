/**
 * Every query the sync pipeline runs, recorded while it works (history with late mappings and
 * thread merges, buffered receipts that make a thread look for its newest message again, a replay
 * of stored raw history, an account opened again), and each checked against
 * firestore.indexes.json: the emulators accept any query, production refuses one without its
 * index (the late-mapping lookup is a collection-group array-contains query scoped by account,
 * which needs a composite index).
 */
import assert from 'node:assert/strict';
import { proto } from '@whiskeysockets/baileys';
import { ME } from '../../../shared/test/fixtures/wa-messages.ts';
import { deliver, dmReceipt, history, live } from '../../../shared/test/support/baileys-feed.ts';
import { anchors, deliveries, T } from '../../../shared/test/support/world.ts';
import {
  type CompositeIndex,
  missingIndex,
  type QueryShape,
  recordQueries,
} from '../../../test/support/index-coverage.ts';
import { largeHistorySet } from '../support/history-gen.ts';
import { feed, openSync } from '../support/sync.ts';

const NOW = (T + 3600) * 1000;
const THIRD = '4917600000003@s.whatsapp.net';

/** A readable name for a shape, to say which query paths ran. */
function label(shape: QueryShape): string {
  const parts = [
    shape.scope === 'COLLECTION_GROUP' ? `group:${shape.collection}` : shape.collection,
    ...shape.equalities.map((f) => `${f}==`),
    ...shape.inequalities.map((f) => `${f}<>`),
    ...shape.arrayContains.map((f) => `${f} contains`),
    ...shape.orders.map(([f, d]) => `by ${f} ${d === 'ASCENDING' ? 'asc' : 'desc'}`),
  ];
  return parts.join(' ');
}

describe('sync pipeline: every query it runs has its index', function () {
  this.timeout(60_000);

  it('is served by firestore.indexes.json', async () => {
    const shapes: QueryShape[] = [];
    const stop = recordQueries(shapes);
    try {
      const first = await openSync({ now: NOW, options: { writer: { maxWritesPerCommit: 3 } } });
      const world = deliveries();
      // Buffered first (receipts merged into upserts give messages a receipt's time), then the
      // rest live, then the late mappings (thread merges, re-keys), then history's own times.
      const windows = [
        await deliver(world.slice(0, 9), true),
        await deliver(world.slice(9, -2), false),
        await deliver(world.slice(-2), false),
        anchors(),
        // Our message to a third person, its read receipt merged into the upsert by the buffer
        // (the thread's last message time is the receipt's), then its own time from history:
        // the thread looks for its newest message again.
        await deliver(
          [
            live('z1', { from: ME.device, recipient: THIRD, id: 'Z1', t: String(T + 100) }, { conversation: 'z' }),
            dmReceipt('z1 read', THIRD, 'Z1', proto.WebMessageInfo.Status.READ, T + 200),
          ],
          true,
        ),
        await deliver(
          [
            history('z history', T + 300, () => ({
              syncType: proto.HistorySync.HistorySyncType.RECENT,
              conversations: [
                {
                  id: THIRD,
                  messages: [
                    {
                      message: {
                        key: { remoteJid: THIRD, fromMe: true, id: 'Z1' },
                        messageTimestamp: T + 100,
                        message: { conversation: 'z' },
                      },
                    },
                  ],
                },
              ],
            })),
          ],
          false,
        ),
      ];
      // The first owner stores one history chunk and stops; the next one replays it.
      await first.close('handing over');
      await first.acceptHistory(anchors()[0]!['messaging-history.set']!, { seq: 1, receivedAt: NOW });
      const sync = await openSync({ accountId: first.writer.accountId, now: NOW });
      let seq = 2;
      for (const maps of windows) {
        await feed(sync, maps, NOW, seq);
        seq += maps.length;
        await sync.drain(); // each window its own plans
      }
      await sync.raw.all();
      // A payload over one document's size is read back from its parts.
      const big = await sync.raw.put({ set: largeHistorySet(T), pairs: [] }, { receivedAt: NOW, seq: 1 });
      assert.ok(big.parts > 1);
      await sync.raw.load(big);
      await sync.close('test');
    } finally {
      stop();
    }
    const seen = new Set(shapes.map(label));
    for (const expected of [
      'lidPnPairs',
      'pendingUpdates',
      'chunks state==',
      'chunks',
      'group:messages accountId== unresolvedJids contains',
      'pendingUpdates unresolvedJids contains',
      'messages by timestamp desc',
      'messages',
      'chunkParts by __name__ asc',
    ]) {
      assert.ok(seen.has(expected), `the run issued "${expected}" (issued: ${[...seen].join('; ')})`);
    }
    const used = new Set<CompositeIndex>();
    const problems = shapes.map((shape) => missingIndex(shape, used)).filter((p) => p !== undefined);
    assert.deepEqual([...new Set(problems)], []);
    assert.ok(
      [...used].some((index) => index.fields.some((f) => f.fieldPath === 'unresolvedJids')),
      'the late-mapping lookup uses its composite index',
    );
  });
});
