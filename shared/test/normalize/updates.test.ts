import assert from 'node:assert/strict';
import { proto } from '@whiskeysockets/baileys';
import { normalizeMessage } from '../../src/normalize/index.ts';
import type { MessageRef } from '../../src/normalize/types.ts';
import {
  GROUP,
  historyMessage,
  liveDm,
  liveGroup,
  liveOwnDm,
  ME,
  NOW,
  OTHER,
  PEER,
  SELF,
  T0,
  T0_MS,
} from '../fixtures/wa-messages.ts';
import { asMessage, asSkip, asUpdate } from './helpers.ts';

const realtime = { source: 'realtime', receivedAt: NOW, self: SELF } as const;
const { REVOKE, MESSAGE_EDIT } = proto.Message.ProtocolMessage.Type;

const dm = (id: string, fromMe: boolean): MessageRef => ({
  chatJid: PEER.lid,
  threadKind: 'dm',
  id,
  fromMe,
  sender: fromMe ? null : PEER.lid,
});
const inGroup = (id: string, sender: string | null): MessageRef => ({
  chatJid: GROUP,
  threadKind: 'group',
  id,
  fromMe: sender === null,
  sender,
});

describe('normalizeMessage: updates (fragments of another message)', () => {
  describe('reactions', () => {
    it('turns a peer’s reaction to our message into a reaction keyed by the reactor, with its time', () => {
      // Keys of reactions are in our perspective (Baileys cleanMessage): our message is fromMe.
      const msg = liveDm({
        reactionMessage: {
          key: { remoteJid: PEER.lid, fromMe: true, id: 'OURS1' },
          text: '👍',
          senderTimestampMs: T0_MS + 5,
        },
      });
      const result = asUpdate(normalizeMessage(msg, realtime));
      assert.deepEqual(result.target, dm('OURS1', true));
      assert.deepEqual(result.fragment, { reactions: { [PEER.lid]: '👍' }, reactionTimes: { [PEER.lid]: T0_MS + 5 } });
      assert.deepEqual(result.aliases, [{ lid: PEER.lid, pn: PEER.pn }]);
      assert.equal(result.receivedAt, NOW);
    });

    it('keeps a removed reaction (empty text) as its time alone', () => {
      const msg = liveDm({ reactionMessage: { key: { remoteJid: PEER.lid, fromMe: true, id: 'OURS1' }, text: '' } });
      assert.deepEqual(asUpdate(normalizeMessage(msg, realtime)).fragment, { reactionTimes: { [PEER.lid]: T0_MS } });
    });

    it('targets another participant’s message in a group by its participant', () => {
      const msg = liveGroup({
        reactionMessage: { key: { remoteJid: GROUP, fromMe: false, id: 'THEIRS', participant: OTHER.lid }, text: '❤️' },
      });
      const result = asUpdate(normalizeMessage(msg, realtime));
      assert.deepEqual(result.target, inGroup('THEIRS', OTHER.lid));
      assert.deepEqual(result.fragment.reactions, { [PEER.lid]: '❤️' });
    });

    it('keys our own reactions by our own JID, as the contract says', () => {
      const msg = liveOwnDm({
        reactionMessage: { key: { remoteJid: PEER.lid, fromMe: false, id: 'THEIRS' }, text: '😂' },
      });
      const result = asUpdate(normalizeMessage(msg, realtime));
      assert.deepEqual(result.target, dm('THEIRS', false));
      assert.deepEqual(result.fragment.reactions, { [ME.pn]: '😂' });
    });

    it('recognises a group target naming one of our JIDs as ours', () => {
      const msg = liveGroup({
        reactionMessage: { key: { remoteJid: GROUP, fromMe: false, id: 'MINE', participant: ME.lid }, text: '🎉' },
      });
      assert.deepEqual(asUpdate(normalizeMessage(msg, realtime)).target, inGroup('MINE', null));
    });

    it('skips a reaction without a target id', () => {
      const msg = liveDm({ reactionMessage: { key: { remoteJid: PEER.lid }, text: '👍' } });
      assert.equal(asSkip(normalizeMessage(msg, realtime)).reason, 'invalid_key');
    });

    it('skips a group reaction whose target has no participant', () => {
      const msg = liveGroup({ reactionMessage: { key: { remoteJid: GROUP, fromMe: false, id: 'X' }, text: '👍' } });
      assert.equal(asSkip(normalizeMessage(msg, realtime)).reason, 'invalid_key');
    });
  });

  describe('edits', () => {
    it('reads the real-world form: editedMessage → protocolMessage MESSAGE_EDIT', () => {
      const msg = liveDm({
        editedMessage: {
          message: {
            protocolMessage: {
              type: MESSAGE_EDIT,
              key: { remoteJid: PEER.lid, fromMe: true, id: 'ORIG1' },
              editedMessage: { conversation: 'fixed typo' },
              timestampMs: T0_MS + 30_000,
            },
          },
        },
      });
      const result = asUpdate(normalizeMessage(msg, realtime));
      // Only the author edits: the target is the peer's own message, whatever the key says.
      assert.deepEqual(result.target, dm('ORIG1', false));
      assert.deepEqual(result.fragment, { edited: { text: 'fixed typo', at: T0_MS + 30_000 } });
    });

    it('reads a bare MESSAGE_EDIT protocol message from our phone, falling back to the message time', () => {
      const msg = liveOwnDm({
        protocolMessage: {
          type: MESSAGE_EDIT,
          key: { remoteJid: PEER.lid, fromMe: true, id: 'ORIG2' },
          editedMessage: { extendedTextMessage: { text: 'better' } },
        },
      });
      const result = asUpdate(normalizeMessage(msg, realtime));
      assert.deepEqual(result.target, dm('ORIG2', true));
      assert.deepEqual(result.fragment, { edited: { text: 'better', at: T0_MS } });
    });

    it('reads a caption edit', () => {
      const msg = liveGroup({
        protocolMessage: {
          type: MESSAGE_EDIT,
          key: { remoteJid: GROUP, fromMe: true, id: 'PIC' },
          editedMessage: { imageMessage: { caption: 'new caption' } },
          timestampMs: T0_MS + 1,
        },
      });
      const result = asUpdate(normalizeMessage(msg, realtime));
      assert.deepEqual(result.target, inGroup('PIC', PEER.lid));
      assert.deepEqual(result.fragment, { edited: { text: 'new caption', at: T0_MS + 1 } });
    });

    it('skips an edit without a target id as invalid_key', () => {
      const msg = liveDm({ protocolMessage: { type: MESSAGE_EDIT, editedMessage: { conversation: 'x' } } });
      assert.deepEqual(normalizeMessage(msg, realtime), {
        kind: 'skip',
        reason: 'invalid_key',
        detail: 'MESSAGE_EDIT without target id',
      });
    });

    it('skips an edit with no usable time at all', () => {
      const msg = liveDm({
        protocolMessage: { type: MESSAGE_EDIT, key: { id: 'ORIG3' }, editedMessage: { conversation: 'x' } },
      });
      msg.messageTimestamp = 0;
      assert.equal(asSkip(normalizeMessage(msg, realtime)).reason, 'malformed');
    });
  });

  describe('revokes', () => {
    it('tombstones our own message when we delete it for everyone', () => {
      const msg = liveOwnDm({
        protocolMessage: { type: REVOKE, key: { remoteJid: PEER.lid, fromMe: true, id: 'GONE1' } },
      });
      const result = asUpdate(normalizeMessage(msg, realtime));
      assert.deepEqual(result.target, dm('GONE1', true));
      assert.deepEqual(result.fragment, { deleted: true });
    });

    it('tombstones the peer’s message when the peer deletes it', () => {
      const msg = liveDm({
        protocolMessage: { type: REVOKE, key: { remoteJid: PEER.lid, fromMe: true, id: 'GONE2' } },
      });
      assert.deepEqual(asUpdate(normalizeMessage(msg, realtime)).target, dm('GONE2', false));
    });

    it('targets the named participant when a group admin deletes someone else’s message', () => {
      const msg = liveGroup({
        protocolMessage: {
          type: REVOKE,
          key: { remoteJid: GROUP, fromMe: false, id: 'GONE3', participant: OTHER.lid },
        },
      });
      assert.deepEqual(asUpdate(normalizeMessage(msg, realtime)).target, inGroup('GONE3', OTHER.lid));
    });

    it('recognises an admin deleting our message', () => {
      const msg = liveGroup({
        protocolMessage: { type: REVOKE, key: { remoteJid: GROUP, fromMe: false, id: 'GONE4', participant: ME.pn } },
      });
      assert.deepEqual(asUpdate(normalizeMessage(msg, realtime)).target, inGroup('GONE4', null));
    });

    it('skips a revoke without a target id', () => {
      const msg = liveDm({ protocolMessage: { type: REVOKE, key: { remoteJid: PEER.lid } } });
      assert.equal(asSkip(normalizeMessage(msg, realtime)).reason, 'invalid_key');
    });

    it('turns history’s REVOKE stub into the tombstone document itself', () => {
      const msg = historyMessage({
        key: { remoteJid: PEER.lid, fromMe: false, id: 'GONE5' },
        messageTimestamp: T0,
        messageStubType: proto.WebMessageInfo.StubType.REVOKE,
      });
      const result = asMessage(normalizeMessage(msg, { source: 'history', receivedAt: NOW, self: SELF }));
      assert.deepEqual(result.ref, dm('GONE5', false));
      assert.equal(result.doc.deleted, true);
      assert.deepEqual([result.doc.type, result.doc.text, result.doc.timestamp], ['other', null, T0_MS]);
    });
  });
});
