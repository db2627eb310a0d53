/**
 * One thread per conversation (I4) through the real consumer: a DM seen under the peer's phone
 * number in history and under its LID live (no alternate) is two threads until the mapping
 * arrives — then one, with every message, the LID an alias, and a group participant's LID-keyed
 * message re-keyed; replaying everything afterwards changes nothing and duplicates nothing.
 */
import assert from 'node:assert/strict';
import { paths, threadDocId } from '@wasync/shared';
import { proto } from '@whiskeysockets/baileys';
import { GROUP, OTHER, PEER } from '../../../../shared/test/fixtures/wa-messages.ts';
import { deliver, history, live, mapping } from '../../../../shared/test/support/baileys-feed.ts';
import { testDb } from '../../../../test/support/firestore.ts';
import { accountText } from '../../support/account-docs.ts';
import { feed, openSync } from '../../support/sync.ts';

const T = 1_700_000_000;
const NOW = (T + 3600) * 1000;

const historyChunk = history('recent', T + 5, () => ({
  syncType: proto.HistorySync.HistorySyncType.RECENT,
  conversations: [
    {
      id: PEER.pn,
      messages: [
        {
          message: {
            key: { remoteJid: PEER.pn, fromMe: false, id: 'H1' },
            messageTimestamp: T + 1,
            message: { conversation: 'from history' },
          },
        },
      ],
    },
  ],
}));
const liveDm = live(
  'live dm',
  { from: PEER.lid, addressing_mode: 'lid', id: 'L1', t: String(T + 10) },
  { conversation: 'live, by LID' },
);
const liveGroup = live(
  'live group',
  { from: GROUP, participant: OTHER.lid, addressing_mode: 'lid', id: 'G1', t: String(T + 11) },
  { conversation: 'in the group' },
);
const mappings = [mapping('peer', T + 20, PEER.lid, PEER.pn), mapping('other', T + 21, OTHER.lid, OTHER.pn)];

async function threadsOf(accountId: string) {
  const snap = await testDb().collection(paths.threads(accountId)).get();
  return snap.docs.map((d) => ({ id: d.id, jid: d.get('jid'), aliases: d.get('aliases') }));
}

describe('guarantee: LID and phone number are one conversation', function () {
  this.timeout(60_000);

  it('merges the threads when the mapping arrives late, loses nothing, and a replay duplicates nothing', async () => {
    const sync = await openSync({ now: NOW });
    const { accountId } = sync.writer;
    let seq = 1;
    const step = async (maps: Awaited<ReturnType<typeof deliver>>) => {
      await feed(sync, maps, NOW, seq);
      seq += maps.length;
      await sync.drain();
    };
    await step(await deliver([historyChunk, liveDm, liveGroup], false));
    assert.deepEqual(
      (await threadsOf(accountId)).map((t) => t.jid).sort(),
      [GROUP, PEER.lid, PEER.pn].sort(),
      'before the mapping: the DM is two threads',
    );
    await step(await deliver(mappings, false));
    const threads = await threadsOf(accountId);
    assert.deepEqual(threads.map((t) => t.jid).sort(), [GROUP, PEER.pn].sort());
    assert.deepEqual(threads.find((t) => t.jid === PEER.pn)?.aliases, [PEER.lid]);
    const dm = await testDb()
      .collection(paths.messages(accountId, threadDocId(PEER.pn)))
      .get();
    assert.deepEqual(dm.docs.map((d) => d.id).sort(), ['peer~H1', 'peer~L1']);
    const group = await testDb()
      .collection(paths.messages(accountId, threadDocId(GROUP)))
      .get();
    assert.deepEqual(
      group.docs.map((d) => d.id),
      [`${OTHER.pn}~G1`],
      're-keyed to the phone number',
    );
    const merged = await accountText(testDb(), accountId);

    // Everything again, the history and the LID-addressed message after the mapping.
    await step(await deliver([historyChunk, liveDm, liveGroup, ...mappings], false));
    await step(await deliver([liveDm, historyChunk], true));
    assert.equal(await accountText(testDb(), accountId), merged);
    await sync.close('test');
  });
});
