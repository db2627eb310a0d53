import assert from 'node:assert/strict';
import { proto } from '@whiskeysockets/baileys';
import { messageDocId } from '../../src/ids.ts';
import { applyMessageUpdate, type MessageDocDraft, normalizeMessage } from '../../src/normalize/index.ts';
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
  T0,
  T0_MS,
} from '../fixtures/wa-messages.ts';
import { asMessage, asSkip, asUpdate } from './helpers.ts';

const realtime = { source: 'realtime', now: NOW } as const;
const { REVOKE, MESSAGE_EDIT } = proto.Message.ProtocolMessage.Type;

describe('normalizeMessage: updates', () => {
  describe('reactions', () => {
    it('turns a peer’s reaction to our message into a reaction entry keyed by the reactor', () => {
      // Keys of reactions are in our perspective (Baileys cleanMessage): our message is fromMe.
      const msg = liveDm({
        reactionMessage: {
          key: { remoteJid: PEER.lid, fromMe: true, id: 'OURS1' },
          text: '👍',
          senderTimestampMs: T0_MS + 5,
        },
      });
      const result = asUpdate(normalizeMessage(msg, realtime));
      assert.equal(result.threadId, PEER.lid);
      assert.deepEqual(result.target, { id: 'OURS1', fromMe: true, sender: null });
      assert.equal(result.targetDocId, 'me~OURS1');
      assert.deepEqual(result.update, { op: 'reaction', reactor: PEER.lid, emoji: '👍', at: T0_MS + 5 });
      assert.deepEqual(result.aliases, [{ lid: PEER.lid, pn: PEER.pn }]);
    });

    it('represents a removed reaction (empty text) as emoji null', () => {
      const msg = liveDm({ reactionMessage: { key: { remoteJid: PEER.lid, fromMe: true, id: 'OURS1' }, text: '' } });
      const result = asUpdate(normalizeMessage(msg, realtime));
      assert.equal(result.update.op, 'reaction');
      assert.deepEqual(result.update, { op: 'reaction', reactor: PEER.lid, emoji: null, at: T0_MS });
    });

    it('targets another participant’s message in a group by its participant', () => {
      const msg = liveGroup({
        reactionMessage: { key: { remoteJid: GROUP, fromMe: false, id: 'THEIRS', participant: OTHER.lid }, text: '❤️' },
      });
      const result = asUpdate(normalizeMessage(msg, realtime));
      assert.deepEqual(result.target, { id: 'THEIRS', fromMe: false, sender: OTHER.lid });
      assert.equal(result.targetDocId, messageDocId(OTHER.lid, false, 'THEIRS'));
      assert.equal(result.update.op === 'reaction' && result.update.reactor, PEER.lid);
    });

    it('keys our own reactions as "me"', () => {
      const msg = liveOwnDm({
        reactionMessage: { key: { remoteJid: PEER.lid, fromMe: false, id: 'THEIRS' }, text: '😂' },
      });
      const result = asUpdate(normalizeMessage(msg, realtime));
      assert.deepEqual(result.target, { id: 'THEIRS', fromMe: false, sender: PEER.lid });
      assert.equal(result.update.op === 'reaction' && result.update.reactor, 'me');
    });

    it('recognises a group target naming one of ownJids as ours', () => {
      const msg = liveGroup({
        reactionMessage: { key: { remoteJid: GROUP, fromMe: false, id: 'MINE', participant: ME.lid }, text: '🎉' },
      });
      const result = asUpdate(normalizeMessage(msg, { ...realtime, ownJids: [ME.pn, ME.lid] }));
      assert.equal(result.targetDocId, 'me~MINE');
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
      assert.deepEqual(result.target, { id: 'ORIG1', fromMe: false, sender: PEER.lid });
      assert.equal(result.targetDocId, messageDocId(PEER.lid, false, 'ORIG1'));
      assert.deepEqual(result.update, { op: 'edit', edited: { text: 'fixed typo', at: T0_MS + 30_000 } });
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
      assert.equal(result.targetDocId, 'me~ORIG2');
      assert.deepEqual(result.update, { op: 'edit', edited: { text: 'better', at: T0_MS } });
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
      assert.equal(result.targetDocId, messageDocId(PEER.lid, false, 'PIC'));
      assert.deepEqual(result.update, { op: 'edit', edited: { text: 'new caption', at: T0_MS + 1 } });
    });

    it('reads Baileys’ messages.update shape: editedMessage with plain content edits the message itself', () => {
      const msg = liveDm({ editedMessage: { message: { conversation: 'v2' } } });
      const result = asUpdate(normalizeMessage(msg, realtime));
      assert.deepEqual(result.target, { id: msg.key.id, fromMe: false, sender: PEER.lid });
      assert.deepEqual(result.update, { op: 'edit', edited: { text: 'v2', at: T0_MS } });
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
      assert.equal(result.targetDocId, 'me~GONE1');
      assert.deepEqual(result.update, { op: 'revoke', deleted: true, at: T0_MS });
    });

    it('tombstones the peer’s message when the peer deletes it', () => {
      const msg = liveDm({
        protocolMessage: { type: REVOKE, key: { remoteJid: PEER.lid, fromMe: true, id: 'GONE2' } },
      });
      const result = asUpdate(normalizeMessage(msg, realtime));
      assert.deepEqual(result.target, { id: 'GONE2', fromMe: false, sender: PEER.lid });
    });

    it('targets the named participant when a group admin deletes someone else’s message', () => {
      const msg = liveGroup({
        protocolMessage: {
          type: REVOKE,
          key: { remoteJid: GROUP, fromMe: false, id: 'GONE3', participant: OTHER.lid },
        },
      });
      const result = asUpdate(normalizeMessage(msg, realtime));
      assert.deepEqual(result.target, { id: 'GONE3', fromMe: false, sender: OTHER.lid });
    });

    it('recognises an admin deleting our message when ownJids are known', () => {
      const msg = liveGroup({
        protocolMessage: { type: REVOKE, key: { remoteJid: GROUP, fromMe: false, id: 'GONE4', participant: ME.pn } },
      });
      assert.equal(asUpdate(normalizeMessage(msg, { ...realtime, ownJids: [ME.lid, ME.pn] })).targetDocId, 'me~GONE4');
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
      const result = asMessage(normalizeMessage(msg, { source: 'history', now: NOW }));
      assert.equal(result.docId, messageDocId(PEER.lid, false, 'GONE5'));
      assert.equal(result.doc.deleted, true);
      assert.deepEqual([result.doc.type, result.doc.text, result.doc.timestamp], ['other', null, T0_MS]);
    });
  });

  describe('applyMessageUpdate', () => {
    const base: MessageDocDraft = {
      id: 'M1',
      threadId: PEER.lid,
      fromMe: false,
      sender: PEER.lid,
      timestamp: T0_MS,
      type: 'image',
      text: 'caption',
      media: { mimetype: 'image/jpeg', fileLength: 10 },
      quotedId: 'Q',
      status: 'read',
      reactions: { [OTHER.lid]: '👍' },
      source: 'realtime',
    };

    it('adds, replaces and removes reactions, dropping an emptied map', () => {
      const added = applyMessageUpdate(base, { op: 'reaction', reactor: 'me', emoji: '🔥', at: null });
      assert.deepEqual(added.reactions, { [OTHER.lid]: '👍', me: '🔥' });
      const replaced = applyMessageUpdate(added, { op: 'reaction', reactor: 'me', emoji: '😢', at: null });
      assert.equal(replaced.reactions?.me, '😢');
      const removed = applyMessageUpdate(replaced, { op: 'reaction', reactor: 'me', emoji: null, at: null });
      assert.deepEqual(removed.reactions, { [OTHER.lid]: '👍' });
      const empty = applyMessageUpdate(removed, { op: 'reaction', reactor: OTHER.lid, emoji: null, at: null });
      assert.equal('reactions' in empty, false);
    });

    it('records an edit next to the original text', () => {
      const edited = applyMessageUpdate(base, { op: 'edit', edited: { text: 'new', at: T0_MS + 1 } });
      assert.deepEqual([edited.text, edited.edited], ['caption', { text: 'new', at: T0_MS + 1 }]);
    });

    it('makes a tombstone that keeps identity, status and reactions but no content', () => {
      const withEdit = applyMessageUpdate(base, { op: 'edit', edited: { text: 'new', at: T0_MS + 1 } });
      const gone = applyMessageUpdate(withEdit, { op: 'revoke', deleted: true, at: T0_MS + 2 });
      assert.deepEqual(gone, {
        id: 'M1',
        threadId: PEER.lid,
        fromMe: false,
        sender: PEER.lid,
        timestamp: T0_MS,
        type: 'image',
        text: null,
        status: 'read',
        reactions: { [OTHER.lid]: '👍' },
        source: 'realtime',
        deleted: true,
      });
    });

    it('ignores an edit that arrives after the revoke', () => {
      const gone = applyMessageUpdate(base, { op: 'revoke', deleted: true, at: null });
      assert.deepEqual(applyMessageUpdate(gone, { op: 'edit', edited: { text: 'late', at: T0_MS } }), gone);
    });

    it('never mutates its input', () => {
      const snapshot = structuredClone(base);
      applyMessageUpdate(base, { op: 'reaction', reactor: OTHER.lid, emoji: null, at: null });
      applyMessageUpdate(base, { op: 'revoke', deleted: true, at: null });
      applyMessageUpdate(base, { op: 'edit', edited: { text: 'x', at: 1 } });
      assert.deepEqual(base, snapshot);
    });
  });
});
