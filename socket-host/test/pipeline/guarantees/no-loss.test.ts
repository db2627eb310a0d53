/**
 * Nothing lost (I2): with 10 % of the pipeline's Firestore commits failing transiently — half
 * before anything lands (UNAVAILABLE), half after the commit landed (DEADLINE_EXCEEDED, a lost
 * response) — a history plus live traffic still ends with every message stored exactly once, and
 * with the same documents as a run without failures.
 */
import assert from 'node:assert/strict';
import { deliver } from '../../../../shared/test/support/baileys-feed.ts';
import { deliveries, MESSAGES } from '../../../../shared/test/support/world.ts';
import { testDb } from '../../../../test/support/firestore.ts';
import { unfenced } from '../../../src/accounts/fence.ts';
import { accountDocs, accountText } from '../../support/account-docs.ts';
import { faultyFence, seededRandom } from '../../support/faults.ts';
import { chunked, generateHistory, historyMaps, messageIds, pushNames } from '../../support/history-gen.ts';
import { feed, openSync } from '../../support/sync.ts';

const END_S = 1_735_689_600;
const RECEIVED_AT = (END_S + 3600) * 1000;
const threads = generateHistory({ seed: 'no-loss', dms: 10, groups: 3, messagesPerThread: 40, endS: END_S });

async function run(faultRate: number, seed = 13) {
  const db = testDb();
  const accountId = `no-loss-${faultRate}-${seed}-${Date.now()}`;
  const fence = faultyFence(unfenced(db, accountId), faultRate, seededRandom(seed));
  // Commits of at most 25 writes: many commits, so many of them fail.
  const sync = await openSync({ accountId, fence, now: RECEIVED_AT, options: { writer: { maxWritesPerCommit: 25 } } });
  const live = await deliver(deliveries(), false);
  const history = historyMaps([...chunked(threads, 6), pushNames(threads)]);
  // History and live traffic interleaved, as a socket delivers them.
  const maps = history
    .flatMap((map, i) => [map, ...live.slice(i * 3, i * 3 + 3)])
    .concat(live.slice(history.length * 3));
  await feed(sync, maps, RECEIVED_AT);
  await sync.drain();
  await sync.close('test');
  return { accountId, sync, fence };
}

describe('guarantee: nothing lost under transient commit failures', function () {
  this.timeout(180_000);

  it('stores every message exactly once with 10 % of commits failing, as without failures', async () => {
    const clean = await run(0);
    const cleanText = await accountText(testDb(), clean.accountId);
    for (const seed of [13, 29]) {
      const faulty = await run(0.1, seed);
      const { faults } = faulty.fence;
      assert.ok(faults.failedBefore >= 3 && faults.failedAfter >= 3, JSON.stringify(faults));
      assert.ok(faulty.sync.counters.retries > 0, 'the writer retried');
      const docs = await accountDocs(testDb(), faulty.accountId);
      const ids = [...docs].filter(([p]) => p.includes('/messages/')).map(([, d]) => (d as { id: string }).id);
      const expected = new Set([...messageIds(threads), ...MESSAGES]).size;
      assert.equal(new Set(ids).size, ids.length, 'no message stored twice');
      assert.equal(ids.length, expected, 'every message of the history and of the live traffic');
      assert.equal(await accountText(testDb(), faulty.accountId), cleanText, `seed ${seed}`);
      assert.equal((await faulty.sync.raw.pending()).length, 0, 'every raw chunk marked done');
    }
  });
});
