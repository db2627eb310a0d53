import assert from 'node:assert/strict';
import { proto } from '@whiskeysockets/baileys';
import { type NormalizeResult, normalizeMessage } from '../../src/normalize/index.ts';
import {
  GROUP,
  historyMessage,
  historyMessages,
  ME,
  NOW,
  OTHER,
  PEER,
  SELF,
  T0,
  T0_MS,
} from '../fixtures/wa-messages.ts';
import { asMessage, firstNonPlain } from './helpers.ts';

const history = { source: 'history', receivedAt: NOW, self: SELF } as const;

/** A RECENT chunk with two chats, newest first as WhatsApp sends them. */
function recentChunk() {
  return historyMessages([
    {
      id: PEER.lid,
      pnJid: PEER.pn,
      messages: [
        {
          key: { remoteJid: PEER.lid, fromMe: true, id: 'H3' },
          messageTimestamp: T0 + 30,
          status: proto.WebMessageInfo.Status.READ,
          message: { extendedTextMessage: { text: 'see you', contextInfo: { stanzaId: 'H2' } } },
          userReceipt: [{ userJid: PEER.lid, receiptTimestamp: T0 + 31, readTimestamp: T0 + 40 }],
          reactions: [
            { key: { remoteJid: PEER.lid, fromMe: false, id: 'R1' }, text: '👍', senderTimestampMs: T0_MS + 50_000 },
          ],
        },
        {
          key: { remoteJid: PEER.lid, fromMe: false, id: 'H2' },
          messageTimestamp: T0 + 20,
          message: { ephemeralMessage: { message: { audioMessage: { ptt: true, seconds: 3, fileLength: 900 } } } },
        },
        {
          key: { remoteJid: PEER.lid, fromMe: false, id: 'H1' },
          messageTimestamp: T0 + 10,
          messageStubType: proto.WebMessageInfo.StubType.E2E_ENCRYPTED,
        },
      ],
    },
    {
      id: GROUP,
      messages: [
        {
          key: { remoteJid: GROUP, fromMe: false, id: 'G2', participant: OTHER.lid },
          messageTimestamp: T0 + 5,
          message: {
            imageMessage: { caption: 'team', mimetype: 'image/jpeg', fileLength: 1_000_000, width: 4, height: 3 },
          },
          reactions: [
            { key: { remoteJid: GROUP, fromMe: true, id: 'R2' }, text: '🎉', senderTimestampMs: T0_MS + 6_000 },
            {
              key: { remoteJid: GROUP, participant: PEER.lid, id: 'R3' },
              text: '😮',
              senderTimestampMs: T0_MS + 7_000,
            },
            {
              key: { remoteJid: GROUP, participant: PEER.lid, id: 'R4' },
              text: '😂',
              senderTimestampMs: T0_MS + 6_500,
            },
            { key: { remoteJid: GROUP, participant: OTHER.lid, id: 'R5' }, text: '' },
          ],
          userReceipt: [
            { userJid: PEER.lid, receiptTimestamp: T0 + 6 },
            { userJid: `${ME.pn}`, playedTimestamp: T0 + 9 },
            { userJid: OTHER.lid },
          ],
        },
        {
          key: { remoteJid: GROUP, fromMe: false, id: 'G1', participant: PEER.lid },
          messageTimestamp: T0,
          messageStubType: proto.WebMessageInfo.StubType.GROUP_PARTICIPANT_ADD,
          messageStubParameters: [PEER.lid],
        },
      ],
    },
  ]);
}

function kinds(results: NormalizeResult[]): string[] {
  return results.map((r) =>
    r.kind === 'skip' ? `skip:${r.reason}` : `${r.kind}:${r.kind === 'message' ? r.doc.id : ''}`,
  );
}

describe('normalizeMessage: history sync', () => {
  it('normalises a whole RECENT chunk from processHistoryMessage', () => {
    const results = recentChunk().map((m) => normalizeMessage(m, history));
    assert.deepEqual(kinds(results), ['message:H3', 'message:H2', 'skip:stub', 'message:G2', 'skip:group_stub']);
    for (const result of results) {
      if (result.kind === 'message') assert.equal(firstNonPlain(result), null, JSON.stringify(result));
    }
  });

  it('keeps status, quotes and the embedded receipts and reactions of a DM message', () => {
    const [h3] = recentChunk();
    const { doc } = asMessage(normalizeMessage(h3!, history));
    assert.deepEqual(doc, {
      id: 'H3',
      fromMe: true,
      sender: null,
      timestamp: (T0 + 30) * 1000,
      type: 'text',
      text: 'see you',
      quotedId: 'H2',
      status: 'read',
      receipts: { [PEER.lid]: { deliveredAt: (T0 + 31) * 1000, readAt: (T0 + 40) * 1000 } },
      reactions: { [PEER.lid]: '👍' },
      reactionTimes: { [PEER.lid]: T0_MS + 50_000 },
      source: 'history',
    });
  });

  it('keys embedded group reactions by reactor (ours by our JID), latest by time wins', () => {
    const g2 = recentChunk()[3]!;
    const { doc } = asMessage(normalizeMessage(g2, history));
    assert.deepEqual(doc.reactions, { [ME.pn]: '🎉', [PEER.lid]: '😮' });
    // A removal without a time says nothing (it is the oldest possible event) and leaves no trace.
    assert.deepEqual(doc.reactionTimes, { [ME.pn]: T0_MS + 6_000, [PEER.lid]: T0_MS + 7_000 });
    assert.deepEqual(doc.receipts, {
      [PEER.lid]: { deliveredAt: (T0 + 6) * 1000 },
      [ME.pn]: { playedAt: (T0 + 9) * 1000 },
    });
  });

  it('merges embedded receipts of one recipient, earliest time per field, in any order', () => {
    const receipts = [
      { userJid: `${PEER.pn.replace('@', ':3@')}`, receiptTimestamp: T0 + 5, readTimestamp: T0 + 20 },
      { userJid: PEER.pn, receiptTimestamp: T0 + 8, readTimestamp: T0 + 10 },
    ];
    for (const userReceipt of [receipts, [...receipts].reverse()]) {
      const msg = historyMessage({
        key: { remoteJid: GROUP, fromMe: true, id: 'M1' },
        messageTimestamp: T0,
        message: { conversation: 'hi' },
        userReceipt,
      });
      const { doc } = asMessage(normalizeMessage(msg, history));
      assert.deepEqual(doc.receipts, { [PEER.pn]: { deliveredAt: (T0 + 5) * 1000, readAt: (T0 + 10) * 1000 } });
    }
  });

  it('is deterministic and leaves its input untouched (replays change nothing)', () => {
    const [a, b] = [recentChunk(), recentChunk()];
    const before = JSON.stringify(a);
    const first = a.map((m) => normalizeMessage(m, history));
    const second = b.map((m) => normalizeMessage(m, history));
    assert.deepEqual(first, second);
    assert.deepEqual(
      a.map((m) => normalizeMessage(m, history)),
      first,
    );
    assert.equal(JSON.stringify(a), before);
  });
});
