/**
 * Matching WhatsApp's answers to on-demand history requests (backfill/answers.ts): by request id
 * and by the thread's JIDs, and when an answer says nothing older is left for the chat.
 */
import assert from 'node:assert/strict';
import { proto, type WAMessage } from '@whiskeysockets/baileys';
import { AnswerMatcher } from '../../../src/commands/backfill/answers.ts';
import type { HistorySet } from '../../../src/pipeline/history/raw-codec.ts';

const PN = '4915100000001@s.whatsapp.net';
const LID = '123456789012345@lid';
const OTHER = '4915100000002@s.whatsapp.net';
const NO_MORE = proto.Conversation.EndOfHistoryTransferType.COMPLETE_AND_NO_MORE_MESSAGE_REMAIN_ON_PRIMARY;

function message(remoteJid: string, n: number): WAMessage {
  return proto.WebMessageInfo.fromObject({
    key: { remoteJid, fromMe: false, id: `3EB0${String(n).padStart(18, '0')}` },
    message: { conversation: `older ${n}` },
    messageTimestamp: 1_700_000_000 + n,
  }) as WAMessage;
}

function onDemand(
  messages: WAMessage[],
  extra: Partial<Pick<HistorySet, 'chats' | 'lidPnMappings' | 'peerDataRequestSessionId'>> = {},
): HistorySet {
  return { syncType: proto.HistorySync.HistorySyncType.ON_DEMAND, chats: [], contacts: [], messages, ...extra };
}

/** Offers `set` to a matcher waiting for the thread known by `jids` (request `req-1`); the answer, if any. */
async function answerFor(jids: string[], set: HistorySet) {
  const matcher = new AnswerMatcher();
  const waiting = matcher.expect(jids);
  waiting.identify('req-1');
  matcher.offer(set);
  const none = Symbol('no answer');
  const answer = await Promise.race([waiting.answer, Promise.resolve(none)]);
  waiting.cancel();
  return answer === none ? undefined : answer;
}

describe('commands: backfill answers', () => {
  it('an answer with the request id, keyed by a JID the thread does not know, is not "nothing older"', async () => {
    // The thread knows only its phone number; the phone answers keyed by the chat's LID.
    const messages = [message(LID, 1), message(LID, 2)];
    const answer = await answerFor([PN], onDemand(messages, { peerDataRequestSessionId: 'req-1' }));
    assert.ok(answer, 'answered');
    assert.equal(answer.nothingOlder, false, 'older messages came: the thread is not exhausted');
    assert.equal(answer.messages.length, 2, 'they count as this thread’s');
  });

  it('messages of an alias the answer maps (lidPnMappings, chat pnJid) count, with or without the id', async () => {
    const messages = [message(LID, 1), message(LID, 2), message(OTHER, 3)];
    const mapped = await answerFor([PN], onDemand(messages, { lidPnMappings: [{ lid: LID, pn: PN }] }));
    assert.deepEqual(
      mapped?.messages.map((m) => m.key.remoteJid),
      [LID, LID],
    );
    assert.equal(mapped?.nothingOlder, false);
    const chat = { id: LID, pnJid: PN, conversationTimestamp: 1 } as HistorySet['chats'][number];
    const byChat = await answerFor([PN], onDemand(messages, { chats: [chat] }));
    assert.equal(byChat?.messages.length, 2);
  });

  it('"nothing older" when WhatsApp flags it, or when the answer holds no messages for the chat', async () => {
    const flagged = { id: PN, endOfHistoryTransferType: NO_MORE } as HistorySet['chats'][number];
    const last = await answerFor([PN], onDemand([message(PN, 1)], { chats: [flagged] }));
    assert.deepEqual([last?.messages.length, last?.nothingOlder], [1, true]);
    const empty = await answerFor([PN], onDemand([], { peerDataRequestSessionId: 'req-1' }));
    assert.deepEqual([empty?.messages.length, empty?.nothingOlder], [0, true]);
  });

  it('an answer with the id whose messages all belong to another waiting request is empty for this one', async () => {
    const matcher = new AnswerMatcher();
    const mine = matcher.expect([PN]);
    mine.identify('req-1');
    const theirs = matcher.expect([OTHER]);
    theirs.identify('req-2');
    // Baileys' buffer merged both answers and kept the last id: ours was empty.
    matcher.offer(onDemand([message(OTHER, 1)], { peerDataRequestSessionId: 'req-1' }));
    const [a, b] = await Promise.all([mine.answer, theirs.answer]);
    assert.deepEqual([a.messages.length, a.nothingOlder], [0, true]);
    assert.deepEqual([b.messages.length, b.nothingOlder], [1, false]);
  });

  it('an answer for no waiting chat and without a known id resolves nothing', async () => {
    assert.equal(
      await answerFor([PN], onDemand([message(OTHER, 1)], { peerDataRequestSessionId: 'req-9' })),
      undefined,
    );
  });

  it('a late answer (its request timed out) is not taken for the request of its chat asked in its place', async () => {
    const matcher = new AnswerMatcher();
    const first = matcher.expect([PN]);
    first.identify('req-1');
    first.cancel(); // timed out
    const again = matcher.expect([PN]);
    again.identify('req-2');
    const other = matcher.expect([OTHER]);
    other.identify('req-3');
    // The first request's answer comes now, merged by Baileys' buffer with the other chat's.
    matcher.offer(onDemand([message(PN, 50), message(OTHER, 7)], { peerDataRequestSessionId: 'req-1' }));
    const pending = Symbol('pending');
    assert.equal(await Promise.race([again.answer, Promise.resolve(pending)]), pending, 'still waits for its own');
    assert.deepEqual(
      (await other.answer).messages.map((m) => m.key.remoteJid),
      [OTHER],
      'the other chat’s answer in the same set still counts',
    );
    matcher.offer(onDemand([message(PN, 49)], { peerDataRequestSessionId: 'req-2' }));
    assert.deepEqual(
      (await again.answer).messages.map((m) => m.key.id),
      [message(PN, 49).key.id],
    );
  });
});
