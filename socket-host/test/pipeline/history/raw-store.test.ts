/**
 * Raw history: what is stored decodes to a payload that normalises to exactly the same planner
 * events as the one Baileys handed over (protobuf Long times, buffer-merged payloads, looked-up
 * pairs), and payloads beyond one document's size are split into parts and read back whole.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { normalizeBaileysEvents } from '@wasync/shared/normalize';
import { proto } from '@whiskeysockets/baileys';
import { PEER } from '../../../../shared/test/fixtures/wa-messages.ts';
import { deliver, dmReceipt, history, SELF } from '../../../../shared/test/support/baileys-feed.ts';
import { anchors, deliveries, T } from '../../../../shared/test/support/world.ts';
import { testDb } from '../../../../test/support/firestore.ts';
import { unfenced } from '../../../src/accounts/fence.ts';
import { decodeRawHistory, encodeRawHistory, type HistorySet } from '../../../src/pipeline/history/raw-codec.ts';
import { MAX_PART_BYTES, RawHistoryStore } from '../../../src/pipeline/history/raw-store.ts';
import { accountText } from '../../support/account-docs.ts';
import { largeHistorySet } from '../../support/history-gen.ts';
import { feed, openSync } from '../../support/sync.ts';

const NOW = (T + 3600) * 1000;
const events = (set: HistorySet) =>
  normalizeBaileysEvents({ 'messaging-history.set': set }, { self: SELF, receivedAt: NOW });

describe('raw history', function () {
  this.timeout(30_000);

  it('decodes to a payload that normalises exactly like the original (also merged by the event buffer)', async () => {
    const merged = (await deliver(deliveries(), true)).flatMap((m) => m['messaging-history.set'] ?? []);
    const sets = [...anchors().map((m) => m['messaging-history.set']!), ...merged];
    assert.ok(sets.length >= 3);
    for (const set of sets) {
      const pairs = [{ lid: '1@lid', pn: '2@s.whatsapp.net' }];
      const decoded = await decodeRawHistory(await encodeRawHistory({ set, pairs }));
      assert.deepEqual(decoded.pairs, pairs);
      assert.deepEqual(events(decoded.set), events(set));
      assert.equal(decoded.set.syncType, set.syncType);
      assert.equal(decoded.set.progress, set.progress);
    }
  });

  it('keeps the mark of a receipt the buffer merged into a history message (imported from memory or from the store alike)', async () => {
    // Our message in a history chunk and its read receipt in one buffer window: Baileys'
    // Object.assign leaves the receipt's status and plain-number time on the history message
    // (event-buffer.js, messages.update). A plain number among protobuf Longs is how
    // normalisation tells that merge apart; the stored payload must keep it.
    const id = '3EB0AB0000000000000001';
    const chunk = history('recent', T + 5, () => ({
      syncType: proto.HistorySync.HistorySyncType.RECENT,
      conversations: [
        {
          id: PEER.pn,
          messages: [
            {
              message: {
                key: { remoteJid: PEER.pn, fromMe: true, id },
                messageTimestamp: T + 2,
                status: proto.WebMessageInfo.Status.SERVER_ACK,
                message: { conversation: 'hello' },
              },
            },
          ],
        },
      ],
    }));
    const read = dmReceipt('read', PEER.pn, id, proto.WebMessageInfo.Status.READ, T + 6);
    const maps = await deliver([chunk, read], true);
    const set = maps.find((m) => m['messaging-history.set'])?.['messaging-history.set'];
    assert.equal(typeof set?.messages[0]?.messageTimestamp, 'number', 'the buffer merged the receipt');
    assert.deepEqual(
      events((await decodeRawHistory(await encodeRawHistory({ set: set!, pairs: [] }))).set),
      events(set!),
    );
    // Through the pipeline: a chunk queued behind others is imported from the raw store.
    const texts: string[] = [];
    for (const historyChunksInMemory of [2, 0]) {
      const sync = await openSync({ now: NOW, options: { historyChunksInMemory } });
      await feed(sync, await deliver([chunk, read], true), NOW);
      await sync.drain();
      await sync.close('test');
      texts.push(await accountText(testDb(), sync.writer.accountId));
    }
    assert.ok(texts[0]!.includes('"read"'), texts[0]);
    assert.equal(texts[1], texts[0]);
  });

  it('splits a payload larger than a document into parts and reads it back whole', async () => {
    const db = testDb();
    const accountId = `raw-${randomUUID()}`;
    const fence = unfenced(db, accountId);
    const store = new RawHistoryStore(db, accountId, fence, 86_400_000);
    const set = largeHistorySet(T);
    const ref = await store.put({ set, pairs: [] }, { receivedAt: NOW, seq: 7 });
    assert.ok(ref.parts >= 2 && ref.bytes > MAX_PART_BYTES, JSON.stringify(ref));
    assert.deepEqual(
      (await store.pending()).map((c) => c.id),
      [ref.id],
    );
    const loaded = await store.load(ref);
    assert.deepEqual(events(loaded.set), events(set));
    await fence.run((tx) => store.markDoneIn(tx, ref));
    assert.deepEqual(await store.pending(), []);
    assert.equal((await store.all()).length, 1);
  });
});
