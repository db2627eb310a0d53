import assert from 'node:assert/strict';
import { proto } from '@whiskeysockets/baileys';
import { DEFAULT_MAX_FUTURE_SKEW_MS, normalizeMessage } from '../../src/normalize/index.ts';
import { messageStatus } from '../../src/normalize/message-status.ts';
import { MESSAGE_SOURCES } from '../../src/schema.ts';
import { epochMsFromSeconds, integerValue } from '../../src/time.ts';
import {
  historyMessage,
  isLong,
  liveDm,
  liveOwnDm,
  NOW,
  PEER,
  protoMessage,
  SELF,
  T0,
  T0_MS,
  uint64,
} from '../fixtures/wa-messages.ts';
import { asMessage, asSkip } from './helpers.ts';

const realtime = { source: 'realtime', receivedAt: NOW, self: SELF } as const;
const text = { conversation: 'hi' };

describe('normalizeMessage: timestamps', () => {
  it('reads the number decodeMessageNode puts on live messages', () => {
    const msg = liveDm(text);
    assert.equal(typeof msg.messageTimestamp, 'number');
    assert.equal(asMessage(normalizeMessage(msg, realtime)).doc.timestamp, T0_MS);
  });

  it('reads the protobufjs Long of history messages', () => {
    const msg = historyMessage({
      key: { remoteJid: PEER.lid, fromMe: false, id: 'L1' },
      messageTimestamp: T0,
      message: text,
    });
    assert.ok(isLong(msg.messageTimestamp), 'fixture: history timestamps are Longs');
    assert.equal(
      asMessage(normalizeMessage(msg, { source: 'history', receivedAt: NOW, self: SELF })).doc.timestamp,
      T0_MS,
    );
  });

  it('reads the string toJSON makes of a Long, and enum names for status', () => {
    const msg = historyMessage({
      key: { remoteJid: PEER.lid, fromMe: true, id: 'S1' },
      messageTimestamp: T0,
      status: proto.WebMessageInfo.Status.READ,
      message: { imageMessage: { fileLength: 99, mimetype: 'image/png' } },
    });
    const json = JSON.parse(JSON.stringify(msg));
    assert.equal(json.messageTimestamp, String(T0), 'fixture: toJSON turns Longs into strings');
    assert.equal(json.status, 'READ', 'fixture: toJSON turns enums into names');
    const doc = asMessage(normalizeMessage(json, { source: 'import', receivedAt: NOW, self: SELF })).doc;
    assert.deepEqual([doc.timestamp, doc.status, doc.media?.fileLength], [T0_MS, 'read', 99]);
  });

  it('clamps a timestamp beyond now + maxFutureSkewMs to now, with a flag', () => {
    const msg = liveDm(text);
    msg.messageTimestamp = (NOW + DEFAULT_MAX_FUTURE_SKEW_MS) / 1000 + 1;
    const result = asMessage(normalizeMessage(msg, realtime));
    assert.equal(result.doc.timestamp, NOW);
    assert.deepEqual(result.flags, ['future_timestamp_clamped']);
  });

  it('leaves a timestamp within the skew alone and unflagged', () => {
    const msg = liveDm(text);
    msg.messageTimestamp = (NOW + DEFAULT_MAX_FUTURE_SKEW_MS) / 1000;
    const result = asMessage(normalizeMessage(msg, realtime));
    assert.equal(result.doc.timestamp, NOW + DEFAULT_MAX_FUTURE_SKEW_MS);
    assert.equal('flags' in result, false);
  });

  it('honours a custom maxFutureSkewMs', () => {
    const msg = liveDm(text);
    msg.messageTimestamp = NOW / 1000 + 10;
    assert.equal(asMessage(normalizeMessage(msg, { ...realtime, maxFutureSkewMs: 5_000 })).doc.timestamp, NOW);
  });

  it('clamps a decades-ahead history timestamp given as a Long', () => {
    const msg = historyMessage({
      key: { remoteJid: PEER.lid, fromMe: false, id: 'F1' },
      messageTimestamp: uint64(4_000_000_000),
      message: text,
    });
    const result = asMessage(normalizeMessage(msg, { source: 'history', receivedAt: NOW, self: SELF }));
    assert.deepEqual([result.doc.timestamp, result.flags], [NOW, ['future_timestamp_clamped']]);
  });

  it('clamps reaction and edit times too', () => {
    const msg = liveDm({
      reactionMessage: { key: { remoteJid: PEER.lid, fromMe: true, id: 'X' }, text: '👍', senderTimestampMs: NOW * 10 },
    });
    const result = normalizeMessage(msg, realtime);
    assert.equal(result.kind, 'update');
    assert.deepEqual(result.kind === 'update' && [result.fragment, result.flags], [
      { reactions: { [PEER.lid]: '👍' }, reactionTimes: { [PEER.lid]: NOW } },
      ['future_timestamp_clamped'],
    ]);
  });

  for (const [name, value] of Object.entries({
    missing: undefined,
    null: null,
    zero: 0,
    negative: -5,
    text: 'soon',
    NaN: Number.NaN,
  })) {
    it(`skips a message whose timestamp is ${name} as malformed`, () => {
      const msg = protoMessage({ key: { remoteJid: PEER.lid, fromMe: false, id: 'T1' }, message: text });
      (msg as { messageTimestamp: unknown }).messageTimestamp = value;
      const result = asSkip(normalizeMessage(msg, realtime));
      assert.deepEqual([result.reason, result.detail], ['malformed', 'missing or invalid messageTimestamp']);
    });
  }

  it('converts numbers, Longs, bigints and strings alike', () => {
    for (const value of [T0, uint64(T0), BigInt(T0), String(T0)]) {
      assert.equal(epochMsFromSeconds(value), T0_MS);
    }
    assert.ok(Number.isNaN(integerValue({ low: 1 })), 'an object without toNumber is not a number');
  });
});

describe('normalizeMessage: status', () => {
  const statuses = ['error', 'pending', 'server_ack', 'delivered', 'read', 'played'] as const;
  statuses.forEach((expected, protoStatus) => {
    it(`maps proto status ${protoStatus} (${proto.WebMessageInfo.Status[protoStatus]}) to ${expected}`, () => {
      const msg = liveOwnDm(text);
      msg.status = protoStatus;
      assert.equal(asMessage(normalizeMessage(msg, realtime)).doc.status, expected);
    });
  });

  it('defaults our own messages to server_ack from WhatsApp and pending when we send', () => {
    const msg = protoMessage({
      key: { remoteJid: PEER.lid, fromMe: true, id: 'O1' },
      messageTimestamp: T0,
      message: text,
    });
    for (const source of MESSAGE_SOURCES) {
      const expected = source === 'send' ? 'pending' : 'server_ack';
      assert.equal(
        asMessage(normalizeMessage(msg, { source, receivedAt: NOW, self: SELF })).doc.status,
        expected,
        source,
      );
    }
  });

  it('defaults received messages to delivered', () => {
    assert.equal(asMessage(normalizeMessage(liveDm(text), realtime)).doc.status, 'delivered');
  });

  it('ignores unknown status values', () => {
    for (const value of [6, -1, 2.5, 'toString', 'SEEN', {}]) {
      assert.equal(messageStatus(value, false, 'history'), 'delivered', String(value));
    }
  });

  it('records a receipt the buffer merged into our upsert as the earliest per kind, beside an embedded one', () => {
    // Baileys' buffer merged a READ (status, time) into our own DM upsert, which already carried
    // the peer's earlier read in `userReceipt`: the earliest read time is the one kept, as in any join.
    const msg = liveOwnDm(text);
    msg.status = proto.WebMessageInfo.Status.READ;
    msg.messageTimestamp = T0 + 3600;
    msg.userReceipt = [{ userJid: PEER.lid, readTimestamp: T0 + 60 }];
    const result = asMessage(normalizeMessage(msg, realtime));
    assert.deepEqual(result.flags, ['buffered_receipt']);
    assert.deepEqual(result.doc.receipts, { [PEER.lid]: { readAt: (T0 + 60) * 1000 } });
  });

  it('stores the source it was given', () => {
    assert.equal(
      asMessage(normalizeMessage(liveDm(text), { source: 'backfill', receivedAt: NOW, self: SELF })).doc.source,
      'backfill',
    );
  });
});
