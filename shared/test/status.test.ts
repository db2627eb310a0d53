import assert from 'node:assert/strict';
import {
  getStatusFromReceiptType,
  type MessageUserReceiptUpdate,
  makeEventBuffer,
  proto,
  type WAMessageUpdate,
} from '@whiskeysockets/baileys';
import fc from 'fast-check';
import { MESSAGE_STATUSES, type MessageDoc, type MessageStatus, type UserReceipt } from '../src/schema.ts';
import {
  applyStatusPatch,
  canonicalizeReceipts,
  groupStatusFromReceipts,
  mergeReceipts,
  mergeStatus,
  mergeStatusPatch,
  mergeUserReceipt,
  patchFromMessageUpdate,
  patchFromReceiptUpdate,
  type ReceiptMap,
  receiptsFromUserReceipts,
  type StatusPatch,
  statusFromProto,
  statusFromReceiptType,
  statusPrecedence,
  statusRank,
} from '../src/status.ts';
import { epochMsFromSeconds } from '../src/time.ts';
import { permutedChunks } from './identity/arbitraries.ts';
import { silentLogger } from './support/baileys-feed.ts';

const RUNS = { numRuns: 10_000 };
const PEER = '4915100000001@s.whatsapp.net';
const GROUP = '120363000000000001@g.us';

const statusArb = fc.constantFrom(...MESSAGE_STATUSES);
const timeArb = fc.integer({ min: 1, max: 2_000_000_000_000 });
const receiptArb: fc.Arbitrary<UserReceipt> = fc.record(
  { deliveredAt: timeArb, readAt: timeArb, playedAt: timeArb },
  { requiredKeys: [], noNullPrototype: true },
);
const userArb = fc.constantFrom(PEER, '4915100000002@s.whatsapp.net', '123456789@lid');
const receiptMapArb: fc.Arbitrary<ReceiptMap> = fc.dictionary(userArb, receiptArb, { noNullPrototype: true });

/** A stored message, as the ingest pipeline would have written it. */
function storedMessage(status: MessageStatus, receipts?: ReceiptMap): MessageDoc {
  return {
    accountId: 'acc1',
    id: '3EB0AAAAAAAAAAAAAAAAAA',
    threadId: PEER,
    fromMe: true,
    sender: null,
    timestamp: 1_700_000_000_000,
    type: 'text',
    text: 'hello',
    status,
    ...(receipts ? { receipts } : {}),
    source: 'send',
    updatedAt: 1_700_000_000_000,
  };
}

/** The `messages.update` entry Baileys' handleReceipt emits for a 1:1 receipt. */
function oneToOneReceipt(status: number, receiptSeconds: number, fromMe = true): WAMessageUpdate {
  return {
    key: { remoteJid: PEER, id: '3EB0AAAAAAAAAAAAAAAAAA', fromMe },
    update: { status, messageTimestamp: receiptSeconds },
  };
}

/** The `message-receipt.update` entry handleReceipt emits for a group receipt. */
function groupReceipt(userJid: string, field: 'receiptTimestamp' | 'readTimestamp', seconds: number) {
  return {
    key: { remoteJid: GROUP, id: '3EB0AAAAAAAAAAAAAAAAAA', fromMe: true },
    receipt: { userJid, [field]: seconds },
  } satisfies MessageUserReceiptUpdate;
}

describe('status', () => {
  describe('statusRank / statusPrecedence', () => {
    it('ranks in the contract order error < pending < server_ack < delivered < read < played', () => {
      assert.deepEqual(
        [...MESSAGE_STATUSES].sort((a, b) => statusRank(a) - statusRank(b)),
        ['error', 'pending', 'server_ack', 'delivered', 'read', 'played'],
      );
    });

    it('merges in the order pending < server_ack < error < delivered < read < played', () => {
      assert.deepEqual(
        [...MESSAGE_STATUSES].sort((a, b) => statusPrecedence(a) - statusPrecedence(b)),
        ['pending', 'server_ack', 'error', 'delivered', 'read', 'played'],
      );
    });
  });

  describe('statusFromProto / statusFromReceiptType', () => {
    it("maps every WAMessageStatus by Baileys' own enum", () => {
      const S = proto.WebMessageInfo.Status;
      assert.equal(statusFromProto(S.ERROR), 'error');
      assert.equal(statusFromProto(S.PENDING), 'pending');
      assert.equal(statusFromProto(S.SERVER_ACK), 'server_ack');
      assert.equal(statusFromProto(S.DELIVERY_ACK), 'delivered');
      assert.equal(statusFromProto(S.READ), 'read');
      assert.equal(statusFromProto(S.PLAYED), 'played');
    });

    it('gives undefined for unknown or missing numbers', () => {
      for (const value of [6, -1, 1.5, Number.NaN, null, undefined]) assert.equal(statusFromProto(value), undefined);
    });

    it("agrees with Baileys' getStatusFromReceiptType for every receipt type", () => {
      const types = [undefined, 'sender', 'read', 'read-self', 'played', 'retry', 'inactive', 'hist_sync', 'peer_msg'];
      for (const type of types) {
        const baileys = getStatusFromReceiptType(type);
        assert.equal(statusFromReceiptType(type), baileys === undefined ? undefined : statusFromProto(baileys), type);
      }
      assert.equal(statusFromReceiptType(undefined), 'delivered');
      assert.equal(statusFromReceiptType('sender'), 'server_ack');
      assert.equal(statusFromReceiptType('read-self'), 'read');
      assert.equal(statusFromReceiptType('played'), 'played');
      assert.equal(statusFromReceiptType('toString'), undefined);
    });
  });

  describe('mergeStatus', () => {
    it('only moves forward', () => {
      assert.equal(mergeStatus('read', 'delivered'), 'read');
      assert.equal(mergeStatus('delivered', 'read'), 'read');
      assert.equal(mergeStatus('played', 'pending'), 'played');
    });

    it('lets error replace pending and server_ack (a failed send), never delivered/read/played', () => {
      assert.equal(mergeStatus('pending', 'error'), 'error');
      assert.equal(mergeStatus('server_ack', 'error'), 'error');
      assert.equal(mergeStatus('error', 'pending'), 'error');
      assert.equal(mergeStatus('delivered', 'error'), 'delivered');
      assert.equal(mergeStatus('read', 'error'), 'read');
      assert.equal(mergeStatus('played', 'error'), 'played');
    });

    it('lets a delivery receipt beat an earlier error', () => {
      assert.equal(mergeStatus('error', 'delivered'), 'delivered');
    });

    it('is commutative, associative and idempotent', () => {
      fc.assert(
        fc.property(statusArb, statusArb, statusArb, (a, b, c) => {
          assert.equal(mergeStatus(a, b), mergeStatus(b, a));
          assert.equal(mergeStatus(mergeStatus(a, b), c), mergeStatus(a, mergeStatus(b, c)));
          assert.equal(mergeStatus(a, a), a);
        }),
        RUNS,
      );
    });

    it('is monotonic: the rank never drops, except error replacing pending/server_ack', () => {
      fc.assert(
        fc.property(statusArb, statusArb, (a, b) => {
          const merged = mergeStatus(a, b);
          assert.ok(merged === a || merged === b);
          const errorRule = merged === 'error' && [a, b].every((s) => s === 'error' || statusRank(s) <= 2);
          if (!errorRule) assert.ok(statusRank(merged) >= Math.max(statusRank(a), statusRank(b)), `${a} ⊔ ${b}`);
          assert.ok(statusPrecedence(merged) >= Math.max(statusPrecedence(a), statusPrecedence(b)));
        }),
        RUNS,
      );
    });
  });

  describe('receipts', () => {
    it('keeps the earliest time per field', () => {
      assert.deepEqual(mergeUserReceipt({ deliveredAt: 5, readAt: 9 }, { deliveredAt: 3, playedAt: 12 }), {
        deliveredAt: 3,
        readAt: 9,
        playedAt: 12,
      });
    });

    it('merges maps per user and never stores undefined fields', () => {
      const merged = mergeReceipts({ [PEER]: { deliveredAt: 5, readAt: undefined } }, { 'x@lid': { readAt: 7 } });
      assert.deepEqual(merged, { [PEER]: { deliveredAt: 5 }, 'x@lid': { readAt: 7 } });
      assert.ok(!Object.hasOwn(merged[PEER] as object, 'readAt'));
    });

    it('keeps a `__proto__` key as data', () => {
      const hostile = JSON.parse('{"__proto__": {"readAt": 1}}') as ReceiptMap;
      const merged = mergeReceipts(hostile, {});
      assert.deepEqual(Object.keys(merged), ['__proto__']);
      assert.equal(Object.getPrototypeOf(merged), Object.prototype);
    });

    it('mergeUserReceipt is commutative, associative and idempotent', () => {
      fc.assert(
        fc.property(receiptArb, receiptArb, receiptArb, (a, b, c) => {
          assert.deepEqual(mergeUserReceipt(a, b), mergeUserReceipt(b, a));
          assert.deepEqual(mergeUserReceipt(mergeUserReceipt(a, b), c), mergeUserReceipt(a, mergeUserReceipt(b, c)));
          assert.deepEqual(mergeUserReceipt(a, a), a);
        }),
        RUNS,
      );
    });

    it('mergeReceipts is commutative, associative and idempotent', () => {
      fc.assert(
        fc.property(receiptMapArb, receiptMapArb, receiptMapArb, (a, b, c) => {
          assert.deepEqual(mergeReceipts(a, b), mergeReceipts(b, a));
          assert.deepEqual(mergeReceipts(mergeReceipts(a, b), c), mergeReceipts(a, mergeReceipts(b, c)));
          assert.deepEqual(mergeReceipts(a, a), a);
        }),
        RUNS,
      );
    });

    it('canonicalizeReceipts merges entries that name the same user', () => {
      const canonical = (jid: string) => (jid === '111@lid' ? PEER : jid);
      assert.deepEqual(
        canonicalizeReceipts({ '111@lid': { deliveredAt: 4, readAt: 8 }, [PEER]: { deliveredAt: 6 } }, canonical),
        { [PEER]: { deliveredAt: 4, readAt: 8 } },
      );
    });

    it('reads history userReceipt entries with Long timestamps in seconds', () => {
      const encoded = proto.WebMessageInfo.encode(
        proto.WebMessageInfo.fromObject({
          key: { remoteJid: GROUP, id: 'H1', fromMe: true },
          messageTimestamp: 1_700_000_000,
          userReceipt: [
            {
              userJid: '4915100000002:3@s.whatsapp.net',
              receiptTimestamp: 1_700_000_010,
              readTimestamp: 1_700_000_020,
            },
            { userJid: '123456789@lid', playedTimestamp: 1_700_000_030 },
            { userJid: 'not-a-jid', readTimestamp: 1_700_000_040 },
            { userJid: PEER },
          ],
        }),
      ).finish();
      const message = proto.WebMessageInfo.decode(encoded);
      assert.equal(typeof message.userReceipt[0]?.receiptTimestamp, 'object', 'decoded int64 should be a Long');
      assert.deepEqual(receiptsFromUserReceipts(message.userReceipt), {
        '4915100000002@s.whatsapp.net': { deliveredAt: 1_700_000_010_000, readAt: 1_700_000_020_000 },
        '123456789@lid': { playedAt: 1_700_000_030_000 },
      });
    });

    it('converts seconds to epoch ms and rejects zero or garbage', () => {
      assert.equal(epochMsFromSeconds(1_700_000_000), 1_700_000_000_000);
      assert.equal(epochMsFromSeconds('1700000000'), 1_700_000_000_000);
      for (const value of [0, -5, 'x', null, undefined]) assert.equal(epochMsFromSeconds(value), undefined);
    });

    it('derives a group status only once every recipient has a receipt', () => {
      const a = '4915100000002@s.whatsapp.net';
      const b = '4915100000003@s.whatsapp.net';
      assert.equal(groupStatusFromReceipts({ [a]: { readAt: 5 } }, [a, b]), undefined);
      assert.equal(groupStatusFromReceipts({ [a]: { readAt: 5 }, [b]: { deliveredAt: 4 } }, [a, b]), 'delivered');
      assert.equal(groupStatusFromReceipts({ [a]: { readAt: 5 }, [b]: { playedAt: 6 } }, [a, b]), 'read');
      assert.equal(groupStatusFromReceipts({ [a]: {} }, [a]), undefined);
      assert.equal(groupStatusFromReceipts({}, []), undefined);
    });
  });

  describe('patches from Baileys events', () => {
    it("turns a 1:1 receipt's messageTimestamp into the peer's receipt time, never the message time (I3)", () => {
      const patch = patchFromMessageUpdate(oneToOneReceipt(proto.WebMessageInfo.Status.READ, 1_700_000_500));
      assert.deepEqual(patch, { status: 'read', receipts: { [PEER]: { readAt: 1_700_000_500_000 } } });
      const updated = applyStatusPatch(storedMessage('server_ack'), patch);
      assert.equal(updated.timestamp, 1_700_000_000_000);
      assert.equal(updated.status, 'read');
      assert.deepEqual(updated.receipts, { [PEER]: { readAt: 1_700_000_500_000 } });
    });

    it('keeps only the status of read-self receipts on incoming messages', () => {
      const patch = patchFromMessageUpdate(oneToOneReceipt(proto.WebMessageInfo.Status.READ, 1_700_000_500, false));
      assert.deepEqual(patch, { status: 'read' });
    });

    it('maps a failed send (handleBadAck) to error, which beats pending but not delivered', () => {
      const badAck: WAMessageUpdate = {
        key: { remoteJid: PEER, fromMe: true, id: '3EB0AAAAAAAAAAAAAAAAAA' },
        update: { status: proto.WebMessageInfo.Status.ERROR, messageStubParameters: ['479'] },
      };
      const patch = patchFromMessageUpdate(badAck);
      assert.deepEqual(patch, { status: 'error' });
      assert.equal(applyStatusPatch(storedMessage('pending'), patch).status, 'error');
      assert.equal(applyStatusPatch(storedMessage('delivered'), patch).status, 'delivered');
    });

    it('ignores edits: their messageTimestamp is the edit time and they carry no status', () => {
      const edit: WAMessageUpdate = {
        key: { remoteJid: PEER, fromMe: true, id: '3EB0AAAAAAAAAAAAAAAAAA' },
        update: { message: { conversation: 'edited' }, messageTimestamp: 1_700_000_900 },
      };
      assert.deepEqual(patchFromMessageUpdate(edit), {});
      const editMergedWithReceipt: WAMessageUpdate = { ...edit, update: { ...edit.update, status: 3 } };
      assert.deepEqual(patchFromMessageUpdate(editMergedWithReceipt), { status: 'delivered' });
    });

    it('turns group receipts into per-recipient times without a status', () => {
      assert.deepEqual(patchFromReceiptUpdate(groupReceipt('4915100000002@s.whatsapp.net', 'receiptTimestamp', 10)), {
        receipts: { '4915100000002@s.whatsapp.net': { deliveredAt: 10_000 } },
      });
      assert.deepEqual(patchFromReceiptUpdate(groupReceipt('123456789@lid', 'readTimestamp', 20)), {
        receipts: { '123456789@lid': { readAt: 20_000 } },
      });
      assert.deepEqual(patchFromReceiptUpdate(groupReceipt('garbage', 'readTimestamp', 20)), {});
    });

    it("does not let Baileys' buffer regress a READ to the DELIVERY_ACK that followed it", async () => {
      const ev = makeEventBuffer(silentLogger as never);
      const seen: WAMessageUpdate[] = [];
      ev.on('messages.update', (updates) => seen.push(...updates));
      ev.buffer();
      ev.emit('messages.update', [oneToOneReceipt(proto.WebMessageInfo.Status.READ, 1_700_000_200)]);
      ev.emit('messages.update', [oneToOneReceipt(proto.WebMessageInfo.Status.DELIVERY_ACK, 1_700_000_100)]);
      await ev.flush();
      // Baileys consolidated both with Object.assign: the later DELIVERY_ACK overwrote READ.
      assert.equal(seen.length, 1);
      assert.equal(seen[0]?.update.status, proto.WebMessageInfo.Status.DELIVERY_ACK);
      const stored = applyStatusPatch(storedMessage('read'), patchFromMessageUpdate(seen[0] as WAMessageUpdate));
      assert.equal(stored.status, 'read');
      assert.equal(stored.timestamp, 1_700_000_000_000);
    });
  });

  describe('order independence of event batches', () => {
    const messageUpdateArb = fc
      .tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 2_000_000_000 }), fc.boolean())
      .map(([status, seconds, fromMe]) => patchFromMessageUpdate(oneToOneReceipt(status, seconds, fromMe)));
    const receiptUpdateArb = fc
      .tuple(userArb, fc.constantFrom('receiptTimestamp' as const, 'readTimestamp' as const), fc.integer({ min: 1 }))
      .map(([user, field, seconds]) => patchFromReceiptUpdate(groupReceipt(user, field, seconds)));
    const patchesArb = fc.array(fc.oneof(messageUpdateArb, receiptUpdateArb), { maxLength: 25 });

    const fold = (patches: StatusPatch[]) => patches.reduce(mergeStatusPatch, {});

    it('gives the same patch for any permutation and chunking', () => {
      fc.assert(
        fc.property(
          patchesArb.chain((patches) => fc.tuple(fc.constant(patches), permutedChunks(patches))),
          ([patches, chunks]) => {
            assert.deepEqual(fold(chunks.map(fold)), fold(patches));
          },
        ),
        RUNS,
      );
    });

    it('gives the same stored message whether events are applied one by one or folded first', () => {
      fc.assert(
        fc.property(
          statusArb,
          patchesArb.chain((patches) => fc.tuple(fc.constant(patches), permutedChunks(patches))),
          (initial, [patches, chunks]) => {
            const oneByOne = chunks.flat().reduce(applyStatusPatch, storedMessage(initial));
            const folded = applyStatusPatch(storedMessage(initial), fold(patches));
            assert.deepEqual(oneByOne, folded);
            assert.equal(folded.timestamp, storedMessage(initial).timestamp);
          },
        ),
        RUNS,
      );
    });

    it('mergeStatusPatch is commutative, associative and idempotent', () => {
      const patchArb = fc.oneof(messageUpdateArb, receiptUpdateArb);
      fc.assert(
        fc.property(patchArb, patchArb, patchArb, (a, b, c) => {
          assert.deepEqual(mergeStatusPatch(a, b), mergeStatusPatch(b, a));
          assert.deepEqual(mergeStatusPatch(mergeStatusPatch(a, b), c), mergeStatusPatch(a, mergeStatusPatch(b, c)));
          assert.deepEqual(mergeStatusPatch(a, a), a);
        }),
        RUNS,
      );
    });
  });
});
