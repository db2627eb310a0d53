import assert from 'node:assert/strict';
import { NO_MESSAGE_FOUND_ERROR_TEXT, proto } from '@whiskeysockets/baileys';
import { normalizeMessage } from '../../src/normalize/index.ts';
import {
  GROUP,
  historyMessage,
  liveDm,
  liveGroup,
  liveMessage,
  liveOwnDm,
  ME,
  NOW,
  PEER,
  SELF,
  T0,
} from '../fixtures/wa-messages.ts';
import { asMessage, asSkip } from './helpers.ts';

const realtime = { source: 'realtime', receivedAt: NOW, self: SELF } as const;
const { Type } = proto.Message.ProtocolMessage;
const { StubType } = proto.WebMessageInfo;

describe('normalizeMessage: skips', () => {
  describe('protocol messages are never chat messages', () => {
    const protocolMessages: Record<string, proto.Message.IProtocolMessage> = {
      HISTORY_SYNC_NOTIFICATION: {
        type: Type.HISTORY_SYNC_NOTIFICATION,
        historySyncNotification: { syncType: proto.HistorySync.HistorySyncType.RECENT, chunkOrder: 1 },
      },
      APP_STATE_SYNC_KEY_SHARE: { type: Type.APP_STATE_SYNC_KEY_SHARE, appStateSyncKeyShare: { keys: [] } },
      EPHEMERAL_SETTING: { type: Type.EPHEMERAL_SETTING, ephemeralExpiration: 86_400 },
      PEER_DATA_OPERATION_REQUEST_RESPONSE_MESSAGE: {
        type: Type.PEER_DATA_OPERATION_REQUEST_RESPONSE_MESSAGE,
        peerDataOperationRequestResponseMessage: { stanzaId: 'REQ' },
      },
      LID_MIGRATION_MAPPING_SYNC: {
        type: Type.LID_MIGRATION_MAPPING_SYNC,
        lidMigrationMappingSyncMessage: { encodedMappingPayload: new Uint8Array([1]) },
      },
    };
    for (const [name, protocolMessage] of Object.entries(protocolMessages)) {
      it(`skips ${name}`, () => {
        // Our phone sends these to our own JID (peer-routed self stanza).
        const msg = liveMessage({ from: `${ME.pn.replace('@', ':0@')}`, category: 'peer' }, { protocolMessage });
        assert.deepEqual(normalizeMessage(msg, realtime), { kind: 'skip', reason: 'protocol', detail: name });
      });
    }

    it('skips a protocol message without a type', () => {
      const result = asSkip(normalizeMessage(liveDm({ protocolMessage: {} }), realtime));
      assert.deepEqual([result.reason, result.detail], ['protocol', 'unknown']);
    });
  });

  describe('ciphertext placeholders', () => {
    it('skips the CIPHERTEXT stub Baileys emits when a stanza had nothing to decrypt', () => {
      const msg = liveDm();
      // What decryptMessageNode sets when there were no decryptable nodes.
      msg.messageStubType = StubType.CIPHERTEXT;
      msg.messageStubParameters = [NO_MESSAGE_FOUND_ERROR_TEXT];
      const result = asSkip(normalizeMessage(msg, realtime));
      assert.equal(result.reason, 'ciphertext_placeholder');
      assert.match(result.detail ?? '', /Message absent from node/);
    });

    it('skips a CIPHERTEXT stub even if some content is attached', () => {
      const msg = liveGroup({ conversation: 'partial' });
      msg.messageStubType = StubType.CIPHERTEXT;
      assert.equal(asSkip(normalizeMessage(msg, realtime)).reason, 'ciphertext_placeholder');
    });
  });

  describe('stubs', () => {
    for (const stub of [
      'GROUP_PARTICIPANT_ADD',
      'GROUP_CHANGE_SUBJECT',
      'GROUP_CREATE',
      'COMMUNITY_LINK_SUB_GROUP',
    ] as const) {
      it(`skips ${stub} as group_stub`, () => {
        const msg = historyMessage({
          key: { remoteJid: GROUP, fromMe: false, id: `S-${stub}`, participant: PEER.lid },
          messageTimestamp: T0,
          messageStubType: StubType[stub],
          messageStubParameters: [PEER.lid],
        });
        assert.deepEqual(normalizeMessage(msg, { source: 'history', receivedAt: NOW, self: SELF }), {
          kind: 'skip',
          reason: 'group_stub',
          detail: `${stub}: ${PEER.lid}`,
        });
      });
    }

    it('skips other content-less stubs (missed call) as stub', () => {
      const msg = historyMessage({
        key: { remoteJid: PEER.lid, fromMe: false, id: 'CALL1' },
        messageTimestamp: T0,
        messageStubType: StubType.CALL_MISSED_VOICE,
      });
      const result = asSkip(normalizeMessage(msg, { source: 'history', receivedAt: NOW, self: SELF }));
      assert.deepEqual([result.reason, result.detail], ['stub', 'CALL_MISSED_VOICE']);
    });
  });

  describe('content that is not a message', () => {
    it('skips a message with only a senderKeyDistributionMessage', () => {
      const msg = liveGroup({
        senderKeyDistributionMessage: { groupId: GROUP, axolotlSenderKeyDistributionMessage: new Uint8Array([1, 2]) },
      });
      assert.equal(asSkip(normalizeMessage(msg, realtime)).reason, 'sender_key_only');
    });

    it('skips encrypted poll votes', () => {
      const msg = liveGroup({
        pollUpdateMessage: { pollCreationMessageKey: { id: 'POLL', remoteJid: GROUP, fromMe: true }, vote: {} },
      });
      assert.equal(asSkip(normalizeMessage(msg, realtime)).reason, 'poll_vote');
    });

    it('skips control messages the contract does not model', () => {
      const pin = liveDm({ pinInChatMessage: { key: { id: 'X', remoteJid: PEER.lid }, type: 1 } });
      assert.deepEqual(normalizeMessage(pin, realtime), {
        kind: 'skip',
        reason: 'control',
        detail: 'pinInChatMessage',
      });
      const keep = liveDm({ keepInChatMessage: { key: { id: 'X', remoteJid: PEER.lid } } });
      assert.equal(asSkip(normalizeMessage(keep, realtime)).reason, 'control');
    });

    it('skips a message without content or stub', () => {
      const msg = liveOwnDm();
      assert.deepEqual(normalizeMessage(msg, realtime), { kind: 'skip', reason: 'no_content' });
      const empty = liveDm({});
      assert.equal(asSkip(normalizeMessage(empty, realtime)).reason, 'no_content');
    });

    it('keeps a view-once message whose media never reaches linked devices, flagged', () => {
      const msg = liveDm();
      msg.key.isViewOnce = true; // decryptMessageNode: <unavailable type="view_once"/>
      const result = asMessage(normalizeMessage(msg, realtime));
      assert.deepEqual([result.doc.type, result.doc.text], ['other', null]);
      assert.deepEqual(result.flags, ['view_once_unavailable']);
    });
  });

  describe('malformed input', () => {
    for (const input of [null, undefined, 42, 'message', true, [], () => 1]) {
      it(`skips ${Array.isArray(input) ? '[]' : typeof input === 'function' ? 'a function' : String(input)} without throwing`, () => {
        // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
        const result = asSkip(normalizeMessage(input as any, realtime));
        assert.ok(result.reason === 'malformed' || result.reason === 'invalid_key', result.reason);
      });
    }

    it('survives a getter that throws', () => {
      const msg = liveDm({ conversation: 'x' });
      Object.defineProperty(msg, 'message', {
        get() {
          throw new RangeError('boom');
        },
      });
      assert.deepEqual(normalizeMessage(msg, realtime), {
        kind: 'skip',
        reason: 'malformed',
        detail: 'RangeError: boom',
      });
    });

    it('refuses missing options with a TypeError (a programming error, unlike any message)', () => {
      // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
      assert.throws(() => normalizeMessage(liveDm({ conversation: 'x' }), null as any), TypeError);
    });
  });
});
