import assert from 'node:assert/strict';
import { processHistoryMessage, proto } from '@whiskeysockets/baileys';
import {
  checkLidPnPair,
  lidPnPairOf,
  pairsFromContacts,
  pairsFromHistoryChats,
  pairsFromLidMappings,
} from '../../src/identity/lid-pn-pairs.ts';

const LID = '123456789012345@lid';
const PN = '4915100000001@s.whatsapp.net';
const ME = { pn: '4915199999999:7@s.whatsapp.net', lid: '999999999999999:7@lid' };

/** A real `messaging-history.set` payload, through Baileys' own processing. */
function historySet() {
  const message = (remoteJid: string, id: string) => ({
    message: { key: { remoteJid, id, fromMe: false }, messageTimestamp: 1_700_000_000, message: { conversation: id } },
  });
  return processHistoryMessage(
    proto.HistorySync.fromObject({
      syncType: proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
      conversations: [
        { id: LID, pnJid: PN, messages: [message(LID, 'M1')] },
        { id: '4915100000002@s.whatsapp.net', lidJid: '222222222222222@lid', messages: [message('x', 'M2')] },
        { id: '4915100000003@s.whatsapp.net' },
        { id: '120363000000000001@g.us', pnJid: PN },
        { id: '333333333333333@lid', pnJid: '444444444444444@lid' },
      ],
    }),
  );
}

describe('identity/lid-pn-pairs', () => {
  describe('checkLidPnPair', () => {
    it('accepts a LID and a PN in either order and strips device suffixes', () => {
      assert.deepEqual(checkLidPnPair(LID, PN, ME), { ok: true, pair: { lid: LID, pn: PN } });
      assert.deepEqual(checkLidPnPair(PN, LID, ME), { ok: true, pair: { lid: LID, pn: PN } });
      assert.deepEqual(checkLidPnPair('123456789012345:3@lid', '4915100000001:0@s.whatsapp.net', ME), {
        ok: true,
        pair: { lid: LID, pn: PN },
      });
      assert.deepEqual(checkLidPnPair(LID, '4915100000001@c.us', ME), { ok: true, pair: { lid: LID, pn: PN } });
      assert.deepEqual(checkLidPnPair('1@hosted.lid', '2@hosted', ME), {
        ok: true,
        pair: { lid: '1@hosted.lid', pn: '2@hosted' },
      });
    });

    it('is lidPnPairOf plus reasons; lidPnPairOf can leave the hosted variants out', () => {
      assert.deepEqual(lidPnPairOf('123456789012345:3@lid', '4915100000001@c.us', false), { lid: LID, pn: PN });
      assert.deepEqual(lidPnPairOf('1@hosted.lid', '2@hosted'), { lid: '1@hosted.lid', pn: '2@hosted' });
      for (const [a, b] of [
        ['1@hosted.lid', '2@hosted'],
        ['1@hosted.lid', PN],
        [LID, '2@hosted'],
      ] as const) {
        assert.equal(lidPnPairOf(a, b, false), undefined, `${a} / ${b}`);
        assert.equal(checkLidPnPair(a, b, ME).ok, true, `${a} / ${b}`);
      }
    });

    it('rejects halves that are not one LID user and one PN user', () => {
      for (const [a, b] of [
        [LID, '222@lid'],
        [PN, '4915100000002@s.whatsapp.net'],
        ['120363000000000001@g.us', PN],
        [LID, 'status@broadcast'],
        [LID, null],
        [undefined, PN],
        ['', PN],
      ] as const) {
        assert.equal(checkLidPnPair(a, b, ME).ok, false, `${a} / ${b}`);
      }
    });

    it('rejects a pair linking our own JID to someone else, but keeps our own PN ↔ LID', () => {
      assert.deepEqual(checkLidPnPair('999999999999999@lid', PN, ME), {
        ok: false,
        reason: 'links our own JID to another user',
      });
      assert.equal(checkLidPnPair(LID, '4915199999999@s.whatsapp.net', ME).ok, false);
      assert.equal(checkLidPnPair('999999999999999@lid', '4915199999999@s.whatsapp.net', ME).ok, true);
      assert.equal(checkLidPnPair(LID, PN, ME).ok, true);
    });

    it('cannot judge our own PN when our LID is unknown, so accepts it', () => {
      assert.equal(checkLidPnPair(LID, '4915199999999@s.whatsapp.net', { pn: ME.pn, lid: null }).ok, true);
    });
  });

  describe('history', () => {
    it('reads the pairs of history chats that Baileys processed', () => {
      assert.deepEqual(pairsFromHistoryChats(historySet().chats, ME), [
        { lid: LID, pn: PN },
        { lid: '222222222222222@lid', pn: '4915100000002@s.whatsapp.net' },
      ]);
    });

    it('recovers the mappings the event buffer drops from lidPnMappings, minus the invalid ones', () => {
      const history = historySet();
      // Baileys computes lidPnMappings, but consolidateEvents never copies them (research brief §1).
      // It also does not check that pnJid is a PN: the LID chat with a LID "pnJid" yields a bogus pair.
      const bogus = { lid: '333333333333333@lid', pn: '444444444444444@lid' };
      assert.deepEqual(history.lidPnMappings.at(-1), bogus);
      assert.deepEqual(pairsFromHistoryChats(history.chats, ME), history.lidPnMappings.slice(0, -1));
    });

    it('reads the same pairs from the contacts Baileys derives from history chats', () => {
      assert.deepEqual(pairsFromContacts(historySet().contacts, ME), pairsFromHistoryChats(historySet().chats, ME));
    });

    it('uses pnJid and lidJid together when the chat id is neither', () => {
      assert.deepEqual(pairsFromHistoryChats([{ id: 'x@g.us', pnJid: PN, lidJid: LID }], ME), [{ lid: LID, pn: PN }]);
    });
  });

  describe('contacts and lid-mapping.update', () => {
    it('reads app-state contacts carrying lid and phoneNumber', () => {
      const contacts = [
        { id: LID, phoneNumber: PN, notify: 'Ana' },
        { id: '4915100000002@s.whatsapp.net', lid: '222222222222222@lid' },
        { id: 'x', lid: '333333333333333@lid', phoneNumber: '4915100000003@s.whatsapp.net' },
        { id: '4915100000004@s.whatsapp.net' },
      ];
      assert.deepEqual(pairsFromContacts(contacts, ME), [
        { lid: LID, pn: PN },
        { lid: '222222222222222@lid', pn: '4915100000002@s.whatsapp.net' },
        { lid: '333333333333333@lid', pn: '4915100000003@s.whatsapp.net' },
      ]);
    });

    it('drops a contact whose lid is our own account LID', () => {
      assert.deepEqual(pairsFromContacts([{ id: PN, lid: '999999999999999@lid' }], ME), []);
    });

    it('reads lid-mapping.update payloads, one or many, normalising getPNForLID-style device suffixes', () => {
      assert.deepEqual(pairsFromLidMappings({ lid: LID, pn: '4915100000001:0@s.whatsapp.net' }, ME), [
        { lid: LID, pn: PN },
      ]);
      assert.deepEqual(
        pairsFromLidMappings(
          [
            { lid: LID, pn: PN },
            { lid: 'bad', pn: PN },
          ],
          ME,
        ),
        [{ lid: LID, pn: PN }],
      );
    });
  });
});
