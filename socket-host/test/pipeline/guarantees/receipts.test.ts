/**
 * Monotonic status (I3) through the real consumer: our DM and our group message, their receipts
 * (delivered, read, played; per reader in the group) in any order — before the message arrived,
 * after it, several at once in Baileys' buffer — end with the furthest status, every recipient's
 * receipt times, and the message's own time, never a receipt's (a `messages.update` time is the
 * receipt's).
 */
import assert from 'node:assert/strict';
import { paths, threadDocId } from '@wasync/shared';
import { proto } from '@whiskeysockets/baileys';
import fc from 'fast-check';
import { GROUP, OTHER, PEER } from '../../../../shared/test/fixtures/wa-messages.ts';
import { type Delivery, deliver, dmReceipt, groupReceipt, live } from '../../../../shared/test/support/baileys-feed.ts';
import { testDb } from '../../../../test/support/firestore.ts';
import { feed, openSync } from '../../support/sync.ts';

const T = 1_700_000_000;
const NOW = (T + 3600) * 1000;
const { DELIVERY_ACK, READ, PLAYED } = proto.WebMessageInfo.Status;
const DM_ID = '3EB0AC0000000000000001';
const GROUP_ID = '3EB0AC0000000000000002';
const THIRD = '4917600000099@s.whatsapp.net';

const messages: Delivery[] = [
  live(
    'dm',
    { from: '491700000001:0@s.whatsapp.net', recipient: PEER.pn, id: DM_ID, t: String(T + 10) },
    { audioMessage: { mimetype: 'audio/ogg', seconds: 3, ptt: true } },
  ),
  live(
    'group',
    { from: GROUP, participant: '491700000001:0@s.whatsapp.net', id: GROUP_ID, t: String(T + 20) },
    { conversation: 'hello all' },
  ),
];
const receipts: Delivery[] = [
  dmReceipt('dm delivered', PEER.pn, DM_ID, DELIVERY_ACK, T + 11),
  dmReceipt('dm read', PEER.pn, DM_ID, READ, T + 12),
  dmReceipt('dm played', PEER.pn, DM_ID, PLAYED, T + 13),
  groupReceipt('other delivered', GROUP, GROUP_ID, OTHER.pn, T + 21, false),
  groupReceipt('other read', GROUP, GROUP_ID, OTHER.pn, T + 22, true),
  groupReceipt('third delivered', GROUP, GROUP_ID, THIRD, T + 23, false),
];

describe('guarantee: receipts in any order', function () {
  this.timeout(120_000);

  it('leave the furthest status, every recipient’s receipts and the message’s own time', async () => {
    const items = [...messages, ...receipts];
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(items, { minLength: items.length, maxLength: items.length }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        async (order, cuts, buffered) => {
          const sync = await openSync({ now: NOW });
          let seq = 1;
          for (let start = 0, k = 0; start < order.length; k++) {
            const size = cuts[k % cuts.length]!;
            const window = order.slice(start, start + size);
            // Baileys' buffer merges a receipt into its message's upsert by overwriting the
            // message's time (event-buffer.js): no writer can get that time back until another
            // sighting brings it (shared convergence tests). Receipts alone are buffered here.
            const alone = window.every((d) => !messages.includes(d));
            const maps = await deliver(window, alone && buffered[k % buffered.length]!);
            await feed(sync, maps, NOW, seq);
            seq += maps.length;
            start += size;
            await sync.drain();
          }
          await sync.close('test');
          const db = testDb();
          const { accountId } = sync.writer;
          const dm = (await db.doc(paths.message(accountId, threadDocId(PEER.pn), `me~${DM_ID}`)).get()).data();
          assert.equal(dm?.status, 'played');
          assert.equal(dm?.timestamp.toMillis(), (T + 10) * 1000, 'the message time, never a receipt’s');
          assert.deepEqual(
            Object.fromEntries(
              Object.entries(dm?.receipts[PEER.pn] ?? {}).map(([k, v]) => [
                k,
                (v as { toMillis(): number }).toMillis(),
              ]),
            ),
            { deliveredAt: (T + 11) * 1000, readAt: (T + 12) * 1000, playedAt: (T + 13) * 1000 },
          );
          const group = (await db.doc(paths.message(accountId, threadDocId(GROUP), `me~${GROUP_ID}`)).get()).data();
          assert.equal(group?.timestamp.toMillis(), (T + 20) * 1000);
          const times = (r: Record<string, { toMillis(): number }>) =>
            Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.toMillis()]));
          assert.deepEqual(times(group?.receipts[OTHER.pn]), { deliveredAt: (T + 21) * 1000, readAt: (T + 22) * 1000 });
          assert.deepEqual(times(group?.receipts[THIRD]), { deliveredAt: (T + 23) * 1000 });
          const pending = await db.collection(`${paths.account(accountId)}/pendingUpdates`).get();
          assert.equal(pending.size, 0, 'no receipt left waiting');
        },
      ),
      { numRuns: 8 },
    );
  });
});
