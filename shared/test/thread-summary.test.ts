import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MESSAGE_STATUSES, MESSAGE_TYPES, type MessageDoc } from '../src/schema.ts';
import {
  mergeThreadSummary,
  type SummaryMessage,
  summarizeMessage,
  summarizeMessages,
  type ThreadSummary,
} from '../src/thread-summary.ts';
import { permutedChunks } from './identity/arbitraries.ts';

const RUNS = { numRuns: 10_000 };

function message(id: string, timestamp: number, extra: Partial<SummaryMessage> = {}): SummaryMessage {
  return { id, timestamp, text: `text of ${id}`, fromMe: false, type: 'text', status: 'delivered', ...extra };
}

/**
 * Messages drawn from a small id pool and few timestamps, so ties and re-sightings of the same
 * message (same id, fromMe and time, different status or content) are frequent.
 */
const messageArb: fc.Arbitrary<SummaryMessage> = fc.record({
  id: fc.constantFrom('A', 'B', 'C', 'D'),
  timestamp: fc.constantFrom(1_000, 2_000, 3_000),
  text: fc.option(fc.constantFrom('hi', 'hello', ''), { nil: null }),
  fromMe: fc.boolean(),
  type: fc.constantFrom(...MESSAGE_TYPES),
  status: fc.constantFrom(...MESSAGE_STATUSES),
});
const summaryArb = fc.array(messageArb, { minLength: 1, maxLength: 6 }).map((ms) => summarizeMessages(ms)!);

describe('thread summary', () => {
  it('summarises a batch in any order: newest last message, oldest time', () => {
    const summary = summarizeMessages([message('B', 2_000), message('C', 3_000), message('A', 1_000)]);
    assert.deepEqual(summary, {
      lastMessageAt: 3_000,
      lastMessage: { id: 'C', text: 'text of C', fromMe: false, type: 'text', status: 'delivered' },
      oldestMessageAt: 1_000,
    });
  });

  it('is undefined for an empty batch', () => {
    assert.equal(summarizeMessages([]), undefined);
  });

  it('breaks timestamp ties by message id, then fromMe', () => {
    assert.equal(summarizeMessages([message('B', 5), message('A', 5)])?.lastMessage.id, 'B');
    assert.equal(summarizeMessages([message('A', 5), message('B', 5)])?.lastMessage.id, 'B');
    const mine = summarizeMessages([message('A', 5, { fromMe: true }), message('A', 5)]);
    assert.equal(mine?.lastMessage.fromMe, true);
  });

  it('never moves lastMessageAt back nor oldestMessageAt forward', () => {
    const existing = summarizeMessages([message('A', 1_000), message('B', 5_000)]);
    const merged = mergeThreadSummary(existing, summarizeMessage(message('C', 3_000)));
    assert.equal(merged.lastMessageAt, 5_000);
    assert.equal(merged.lastMessage.id, 'B');
    assert.equal(merged.oldestMessageAt, 1_000);
  });

  it('does not regress the status of the same last message seen again', () => {
    const read = summarizeMessage(message('A', 1_000, { fromMe: true, status: 'read' }));
    const replayed = summarizeMessage(message('A', 1_000, { fromMe: true, status: 'server_ack' }));
    assert.equal(mergeThreadSummary(read, replayed).lastMessage.status, 'read');
    assert.equal(mergeThreadSummary(replayed, read).lastMessage.status, 'read');
  });

  it('keeps the tombstone when the last message was revoked', () => {
    const original = summarizeMessage(message('A', 1_000));
    const revoked = summarizeMessage(message('A', 1_000, { text: null }));
    assert.equal(mergeThreadSummary(original, revoked).lastMessage.text, null);
    assert.equal(mergeThreadSummary(revoked, original).lastMessage.text, null);
  });

  it('stores only the summary fields, even when given whole message docs or thread docs', () => {
    const doc: MessageDoc = {
      accountId: 'acc1',
      ...message('A', 1_000),
      threadId: 't',
      sender: 'x@s.whatsapp.net',
      source: 'realtime',
      updatedAt: 9,
      media: { mimetype: 'image/jpeg', fileLength: 1 },
    };
    const summary = summarizeMessage(doc);
    assert.deepEqual(Object.keys(summary.lastMessage).sort(), ['fromMe', 'id', 'status', 'text', 'type']);
    const threadDoc = { ...summary, jid: 'x@s.whatsapp.net', aliases: [], kind: 'dm' as const, updatedAt: 1 };
    assert.deepEqual(Object.keys(mergeThreadSummary(threadDoc, summary)).sort(), [
      'lastMessage',
      'lastMessageAt',
      'oldestMessageAt',
    ]);
  });

  it('keeps a missing oldestMessageAt missing rather than undefined', () => {
    const withoutOldest: ThreadSummary = {
      lastMessageAt: 5,
      lastMessage: summarizeMessage(message('A', 5)).lastMessage,
    };
    const merged = mergeThreadSummary(withoutOldest, withoutOldest);
    assert.ok(!Object.hasOwn(merged, 'oldestMessageAt'));
    assert.equal(mergeThreadSummary(withoutOldest, summarizeMessage(message('B', 3))).oldestMessageAt, 3);
  });

  it('gives the same summary for any chunking and any order of chunks (I1)', () => {
    fc.assert(
      fc.property(
        fc
          .array(messageArb, { minLength: 1, maxLength: 20 })
          .chain((messages) => fc.tuple(fc.constant(messages), permutedChunks(messages))),
        ([messages, chunks]) => {
          const all = summarizeMessages(messages);
          const perChunk = chunks.reduce<ThreadSummary | undefined>(
            (summary, chunk) => mergeThreadSummary(summary, summarizeMessages(chunk)!),
            undefined,
          );
          assert.deepEqual(perChunk, all);
        },
      ),
      RUNS,
    );
  });

  it('merging is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(summaryArb, summaryArb, summaryArb, (a, b, c) => {
        assert.deepEqual(mergeThreadSummary(a, b), mergeThreadSummary(b, a));
        assert.deepEqual(
          mergeThreadSummary(mergeThreadSummary(a, b), c),
          mergeThreadSummary(a, mergeThreadSummary(b, c)),
        );
        assert.deepEqual(mergeThreadSummary(a, a), a);
      }),
      RUNS,
    );
  });

  it('keeps lastMessageAt at the newest and oldestMessageAt at the oldest message time', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { minLength: 1, maxLength: 20 }), (messages) => {
        const summary = summarizeMessages(messages)!;
        const times = messages.map((m) => m.timestamp);
        assert.equal(summary.lastMessageAt, Math.max(...times));
        assert.equal(summary.oldestMessageAt, Math.min(...times));
        assert.ok(messages.some((m) => m.id === summary.lastMessage.id && m.timestamp === summary.lastMessageAt));
      }),
      RUNS,
    );
  });
});
