import assert from 'node:assert/strict';
import { messageDocId } from '../../src/ids.ts';
import { normalizeMessage } from '../../src/normalize/index.ts';
import {
  BROADCAST_LIST,
  GROUP,
  historyMessage,
  liveDm,
  liveGroup,
  liveMessage,
  liveOwnDm,
  ME,
  NEWSLETTER,
  NOW,
  nextId,
  OTHER,
  PEER,
  protoMessage,
  SELF,
  STATUS,
  T0,
} from '../fixtures/wa-messages.ts';
import { asMessage, asSkip } from './helpers.ts';

const text = { conversation: 'hi' };
const realtime = { source: 'realtime', receivedAt: NOW, self: SELF } as const;

describe('normalizeMessage: chats, senders, aliases (as seen; resolving them is the planner’s)', () => {
  describe('DMs', () => {
    it('uses the peer as chat and sender and learns LID ↔ PN from remoteJidAlt', () => {
      const msg = liveDm(text);
      assert.equal(msg.key.remoteJidAlt, PEER.pn, 'fixture: decodeMessageNode sets remoteJidAlt from sender_pn');
      const result = asMessage(normalizeMessage(msg, realtime));
      assert.deepEqual(result.ref, {
        chatJid: PEER.lid,
        threadKind: 'dm',
        id: msg.key.id,
        fromMe: false,
        sender: PEER.lid,
      });
      assert.equal(result.doc.sender, PEER.lid);
      assert.equal(result.doc.fromMe, false);
      assert.equal(messageDocId(result.ref), `peer~${msg.key.id}`);
      assert.deepEqual(result.aliases, [{ lid: PEER.lid, pn: PEER.pn }]);
    });

    it('learns the pair from a PN-addressed DM too (sender_lid)', () => {
      const msg = liveMessage({ from: PEER.pn, addressing_mode: 'pn', sender_lid: PEER.lid }, text);
      const result = asMessage(normalizeMessage(msg, realtime));
      assert.equal(result.ref.chatJid, PEER.pn);
      assert.deepEqual(result.aliases, [{ lid: PEER.lid, pn: PEER.pn }]);
    });

    it('has no aliases when the stanza carries no alternate', () => {
      const msg = liveMessage({ from: PEER.lid }, text);
      assert.deepEqual(asMessage(normalizeMessage(msg, realtime)).aliases, []);
    });

    it('marks our own DMs fromMe with null sender and the "me" doc id', () => {
      const msg = liveOwnDm(text);
      assert.equal(msg.key.fromMe, true, 'fixture: decodeMessageNode recognises our device');
      const result = asMessage(normalizeMessage(msg, realtime));
      assert.equal(result.ref.chatJid, PEER.lid);
      assert.equal(result.doc.sender, null);
      assert.equal(messageDocId(result.ref), `me~${msg.key.id}`);
      assert.equal(result.doc.status, 'server_ack');
    });

    it('learns the peer’s pair from the alternate of an own DM, which `self` proves is not ours', () => {
      const msg = liveOwnDm(text);
      assert.equal(msg.key.remoteJidAlt, PEER.pn);
      assert.deepEqual(asMessage(normalizeMessage(msg, realtime)).aliases, [{ lid: PEER.lid, pn: PEER.pn }]);
    });

    it('refuses to run without `self` or `receivedAt` (leaving them out used to split threads silently)', () => {
      const msg = liveOwnDm(text);
      // biome-ignore lint/suspicious/noExplicitAny: the missing option is the point
      assert.throws(() => normalizeMessage(msg, { source: 'realtime', receivedAt: NOW } as any), /options\.self/);
      // biome-ignore lint/suspicious/noExplicitAny: the missing option is the point
      assert.throws(() => normalizeMessage(msg, { source: 'realtime', self: SELF } as any), /options\.receivedAt/);
    });

    it('never pairs the peer with our own number', () => {
      // A stanza whose sender alternate is ours: `extractAddressingContext` prefers sender_pn.
      const msg = liveOwnDm(text, { sender_pn: ME.pn });
      assert.equal(msg.key.remoteJidAlt, ME.pn);
      const result = asMessage(normalizeMessage(msg, realtime));
      assert.deepEqual(result.aliases, []);
    });

    it('strips device suffixes from chat and sender', () => {
      const msg = protoMessage({
        key: { remoteJid: '4915112345678:12@s.whatsapp.net', fromMe: false, id: 'D1' },
        messageTimestamp: T0,
        message: text,
      });
      const result = asMessage(normalizeMessage(msg, realtime));
      assert.deepEqual([result.ref.chatJid, result.doc.sender], [PEER.pn, PEER.pn]);
    });

    it('gives the same id from different senders different doc ids', () => {
      const id = nextId();
      const a = asMessage(normalizeMessage(liveDm(text, { id }), realtime));
      const b = asMessage(normalizeMessage(liveMessage({ from: OTHER.lid, id }, text), realtime));
      const mine = asMessage(normalizeMessage(liveOwnDm(text, { id }), realtime));
      // Two peers in two DMs: the chat tells them apart; ours is `me`.
      const where = (r: typeof a) => `${r.ref.chatJid} ${messageDocId(r.ref)}`;
      assert.equal(new Set([where(a), where(b), where(mine)]).size, 3);
    });
  });

  describe('groups', () => {
    it('uses key.participant as sender and learns its pair from participantAlt', () => {
      const msg = liveGroup(text, { participant: `${PEER.lid.replace('@', ':3@')}` });
      assert.equal(msg.key.participantAlt, PEER.pn, 'fixture: participant_pn becomes participantAlt');
      const result = asMessage(normalizeMessage(msg, realtime));
      assert.equal(result.ref.chatJid, GROUP);
      assert.equal(result.ref.threadKind, 'group');
      assert.equal(result.doc.sender, PEER.lid);
      assert.equal(messageDocId(result.ref), `${PEER.lid}~${msg.key.id}`);
      assert.deepEqual(result.aliases, [{ lid: PEER.lid, pn: PEER.pn }]);
    });

    it('handles our own group messages', () => {
      const msg = liveGroup(text, { participant: ME.lidDevice, participant_pn: ME.pn });
      assert.equal(msg.key.fromMe, true);
      const result = asMessage(normalizeMessage(msg, realtime));
      assert.equal(result.doc.sender, null);
      assert.equal(messageDocId(result.ref), `me~${msg.key.id}`);
      assert.deepEqual(result.aliases, [{ lid: ME.lid, pn: ME.pn }], 'our own pair is a true mapping');
    });

    it('falls back to WebMessageInfo.participant (history)', () => {
      const msg = historyMessage({
        key: { remoteJid: GROUP, fromMe: false, id: 'H1' },
        participant: OTHER.pn,
        messageTimestamp: T0,
        message: text,
      });
      assert.equal(
        asMessage(normalizeMessage(msg, { source: 'history', receivedAt: NOW, self: SELF })).doc.sender,
        OTHER.pn,
      );
    });

    it('skips a received group message without any participant', () => {
      const msg = protoMessage({
        key: { remoteJid: GROUP, fromMe: false, id: 'G0' },
        messageTimestamp: T0,
        message: text,
      });
      assert.equal(asSkip(normalizeMessage(msg, realtime)).reason, 'invalid_key');
    });
  });

  describe('broadcasts, status and newsletters', () => {
    it('skips status@broadcast by default', () => {
      const msg = liveMessage({ from: STATUS, participant: PEER.lid }, text);
      assert.deepEqual(normalizeMessage(msg, realtime), { kind: 'skip', reason: 'status_broadcast', detail: STATUS });
    });

    it('keeps status posts as one broadcast thread when opted in', () => {
      const msg = liveMessage({ from: STATUS, participant: PEER.lid, sender_pn: PEER.pn }, text);
      const result = asMessage(normalizeMessage(msg, { ...realtime, includeStatusBroadcast: true }));
      assert.deepEqual([result.ref.chatJid, result.ref.threadKind, result.doc.sender], [STATUS, 'broadcast', PEER.lid]);
      assert.deepEqual(result.aliases, [{ lid: PEER.lid, pn: PEER.pn }]);
    });

    it('files a received broadcast-list message under the sender’s DM (Baileys getChatId)', () => {
      const msg = liveMessage({ from: BROADCAST_LIST, participant: PEER.lid }, text);
      const result = asMessage(normalizeMessage(msg, realtime));
      assert.deepEqual([result.ref.chatJid, result.ref.threadKind, result.doc.sender], [PEER.lid, 'dm', PEER.lid]);
    });

    it('keeps our own broadcast-list sends in the list’s thread', () => {
      const msg = protoMessage({
        key: { remoteJid: BROADCAST_LIST, fromMe: true, id: 'B1' },
        messageTimestamp: T0,
        message: text,
      });
      const result = asMessage(normalizeMessage(msg, realtime));
      assert.deepEqual(
        [result.ref.chatJid, result.ref.threadKind, result.doc.sender],
        [BROADCAST_LIST, 'broadcast', null],
      );
    });

    it('keeps newsletters as newsletter threads with the channel as sender', () => {
      const msg = liveMessage({ from: NEWSLETTER, server_id: '42' }, text);
      const result = asMessage(normalizeMessage(msg, realtime));
      assert.deepEqual(
        [result.ref.chatJid, result.ref.threadKind, result.doc.sender],
        [NEWSLETTER, 'newsletter', NEWSLETTER],
      );
    });
  });

  describe('invalid keys', () => {
    const cases: Record<string, unknown> = {
      'no key': { message: text, messageTimestamp: T0 },
      'no id': { key: { remoteJid: PEER.lid, fromMe: false }, message: text, messageTimestamp: T0 },
      'empty id': { key: { remoteJid: PEER.lid, id: '' }, message: text, messageTimestamp: T0 },
      'no remoteJid': { key: { id: 'X' }, message: text, messageTimestamp: T0 },
      'numeric remoteJid': { key: { id: 'X', remoteJid: 12 }, message: text, messageTimestamp: T0 },
      'unknown server': { key: { id: 'X', remoteJid: '123@call' }, message: text, messageTimestamp: T0 },
      'no user part': { key: { id: 'X', remoteJid: '@s.whatsapp.net' }, message: text, messageTimestamp: T0 },
      'broadcast without participant': {
        key: { id: 'X', remoteJid: BROADCAST_LIST },
        message: text,
        messageTimestamp: T0,
      },
    };
    for (const [name, msg] of Object.entries(cases)) {
      it(`skips ${name} as invalid_key`, () => {
        // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed input
        assert.equal(asSkip(normalizeMessage(msg as any, realtime)).reason, 'invalid_key');
      });
    }
  });
});
