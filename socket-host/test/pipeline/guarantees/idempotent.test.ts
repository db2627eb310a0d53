/**
 * Idempotent (I1), through the real consumer into the test Firestore: one generated history — DMs
 * under phone numbers and LIDs, groups, receipts, reactions, revokes, a push-name chunk — ingested
 * in different chunkings, as Baileys emits it with and without its event buffer merging chunks,
 * in reverse chunk order, and twice over, always leaves the same documents (a hash over every
 * document of the account: threads, messages, pending updates, pairs, names, stored contents).
 */
import assert from 'node:assert/strict';
import type { proto } from '@whiskeysockets/baileys';
import fc from 'fast-check';
import { deliver, type EventMap } from '../../../../shared/test/support/baileys-feed.ts';
import { testDb } from '../../../../test/support/firestore.ts';
import { accountText, hashText } from '../../support/account-docs.ts';
import {
  chunked,
  generateHistory,
  historyDeliveries,
  historyMaps,
  messageIds,
  pushNames,
} from '../../support/history-gen.ts';
import { feed, openSync } from '../../support/sync.ts';

const END_S = 1_735_689_600;
const RECEIVED_AT = (END_S + 3600) * 1000;
const NOW = RECEIVED_AT + 1;
const threads = generateHistory({ seed: 'idempotent', dms: 8, groups: 3, messagesPerThread: 30, endS: END_S });
const names = pushNames(threads);

/** How one run hands the history to the pipeline. */
interface Way {
  chunks: number;
  /** Through Baileys' event buffer (one merged map per window) or one map per notification. */
  buffered: boolean;
  reverse: boolean;
}

async function maps(way: Way): Promise<EventMap[]> {
  const syncs: proto.IHistorySync[] = [...chunked(threads, way.chunks), names];
  if (way.reverse) syncs.reverse();
  if (!way.buffered) return historyMaps(syncs);
  // Notifications through processMessage and the event buffer: chunks merged into one set.
  return deliver(historyDeliveries(syncs, END_S), true);
}

/** Ingests each way in turn into one fresh account; returns the account's canonical text. */
async function run(ways: Way[]): Promise<string> {
  const sync = await openSync({ now: NOW });
  let seq = 1;
  for (const way of ways) {
    const batch = await maps(way);
    await feed(sync, batch, RECEIVED_AT, seq);
    seq += batch.length;
    await sync.drain();
  }
  await sync.close('test');
  return accountText(testDb(), sync.writer.accountId);
}

describe('guarantee: idempotent history (real consumer, test Firestore)', function () {
  this.timeout(240_000);
  let expected: string;

  before(async () => {
    expected = await run([{ chunks: 1, buffered: false, reverse: false }]);
  });

  it('stores every message once, threads named', () => {
    const docs = expected.split('\n');
    const messages = docs.filter((line) => line.includes('/messages/'));
    assert.equal(messages.length, messageIds(threads).length);
    const threadDocs = docs.filter((line) => /^~\/threads\/[^/ ]+ /.test(line));
    assert.equal(threadDocs.length, threads.length, 'one thread per conversation (LID DMs merged by their pnJid)');
    assert.ok(
      threadDocs.every((line) => line.includes('"name":')),
      'every thread named',
    );
  });

  it('gives the same documents twice over, in other chunkings, buffered or not, in reverse order', async () => {
    const cases: Way[][] = [
      [
        { chunks: 3, buffered: false, reverse: false },
        { chunks: 7, buffered: true, reverse: false },
      ],
      [{ chunks: 5, buffered: false, reverse: true }],
      [
        { chunks: 4, buffered: true, reverse: true },
        { chunks: 1, buffered: false, reverse: false },
      ],
    ];
    for (const ways of cases) {
      const text = await run(ways);
      assert.equal(hashText(text), hashText(expected), JSON.stringify(ways));
    }
  });

  it('gives the same documents for any chunking, buffering, order and repetition (property)', async () => {
    const way = fc.record({ chunks: fc.integer({ min: 1, max: 9 }), buffered: fc.boolean(), reverse: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(way, { minLength: 1, maxLength: 2 }), async (ways) => {
        assert.equal(hashText(await run(ways)), hashText(expected), JSON.stringify(ways));
      }),
      { numRuns: 4 },
    );
  });
});
