/**
 * Media state against the pipeline's whole-document writes, as a sequence on one message of ours:
 * its history sighting lands, then the media state and the recipient's receipts land in either
 * order — with the writer's cache still holding the document from before the media write, so its
 * next commit is planned on a stale read — and a history replay comes last. Neither side may
 * overwrite the other: the end state has the furthest receipt status AND `stored` with its path.
 */
import assert from 'node:assert/strict';
import { type MessageDoc, mediaObjectPaths } from '@wasync/shared';
import { proto, type WAMessage } from '@whiskeysockets/baileys';
import { PEER } from '../../../shared/test/fixtures/wa-messages.ts';
import { type Delivery, deliver, dmReceipt, history } from '../../../shared/test/support/baileys-feed.ts';
import { pseudoRandomBytes } from '../../../test/support/bytes.ts';
import { testDb } from '../../../test/support/firestore.ts';
import { unfenced } from '../../src/accounts/fence.ts';
import { writeMediaState } from '../../src/media/media-state.ts';
import { SimulatedMediaServer } from '../../src/transport/simulated/media.ts';
import { recentHistoryOf } from '../support/history-gen.ts';
import { type MediaSync, messageId, openMediaSync } from '../support/media.ts';
import { feed } from '../support/sync.ts';

const { READ, DELIVERY_ACK } = proto.WebMessageInfo.Status;
const T = 1_700_000_000;

describe('media/state against the pipeline (sequences)', function () {
  this.timeout(60_000);
  let server: SimulatedMediaServer;
  let content: proto.IMessage;
  const open: MediaSync[] = [];

  before(async () => {
    server = await SimulatedMediaServer.start();
    content = await server.publish({ type: 'image', plaintext: pseudoRandomBytes(50_000, 'race') });
  });
  after(async () => server.close());
  afterEach(async () => {
    for (const m of open.splice(0)) await m.close();
  });

  /** Our image message as history (so nothing fetches it by itself). */
  function ourHistory(id: string): Delivery {
    return history(`h-${id}`, T + 100, () =>
      recentHistoryOf(PEER.pn, [
        {
          key: { remoteJid: PEER.pn, fromMe: true, id },
          messageTimestamp: T,
          status: proto.WebMessageInfo.Status.SERVER_ACK,
          message: content,
        } as WAMessage,
      ]),
    );
  }

  async function storedState(m: MediaSync, path: string) {
    const [, , , threadId, , messageDocId] = path.split('/');
    const objectPath = mediaObjectPaths({ accountId: m.accountId, threadId: threadId!, messageDocId: messageDocId! });
    return {
      state: 'stored' as const,
      path: objectPath.original,
      sha256: 'a'.repeat(64),
      storedAt: Date.now(),
    };
  }

  for (const order of ['media state first', 'receipts first'] as const) {
    it(`${order}: the end state keeps the receipts and \`stored\``, async () => {
      const m = await openMediaSync(server, { fetch: { prefetchNewest: 0 } });
      open.push(m);
      const id = messageId();
      await feed(m.sync, await deliver([ourHistory(id)], false), Date.now());
      await m.sync.drain();
      const { path } = await m.message(id);
      const before = m.sync.writer.counters.staleCommits;
      const receipts = await deliver(
        [dmReceipt('delivered', PEER.pn, id, DELIVERY_ACK, T + 5), dmReceipt('read', PEER.pn, id, READ, T + 9)],
        false,
      );
      // Written straight, as a host's fetch does, without telling the writer: its cache is stale now.
      const writeState = async () =>
        writeMediaState(testDb(), unfenced(testDb(), m.accountId), path, await storedState(m, path));
      if (order === 'media state first') {
        await writeState();
        await feed(m.sync, receipts, Date.now(), 10);
        await m.sync.drain();
        assert.ok(
          m.sync.writer.counters.staleCommits > before,
          'the receipt commit met the newer document and re-planned',
        );
      } else {
        await feed(m.sync, receipts, Date.now(), 10);
        await m.sync.drain();
        await writeState();
      }
      // A replay of the history sighting (no media state) changes nothing.
      await feed(m.sync, await deliver([ourHistory(id)], false), Date.now(), 20);
      await m.sync.drain();
      const doc = (await m.message(id)).doc as MessageDoc;
      assert.equal(doc.status, 'read');
      assert.equal(doc.media?.state, 'stored');
      assert.equal(doc.media?.path, (await storedState(m, path)).path);
      assert.equal(doc.media?.mimetype, 'image/jpeg');
    });
  }
});
