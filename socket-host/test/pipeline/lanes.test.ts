/**
 * Live traffic never waits behind a history import, and memory does not grow with history size:
 * with the import throttled to a crawl (a write budget of 40 writes/s), every history chunk is
 * accepted as soon as it is stored raw, only the next two chunks stay decoded in memory, and a
 * live message arriving behind many chunks is stored within a second.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths, threadDocId } from '@wasync/shared';
import { deliver, live } from '../../../shared/test/support/baileys-feed.ts';
import { testDb } from '../../../test/support/firestore.ts';
import { createLogger } from '../../src/log.ts';
import { type HistoryItem, HistoryLane } from '../../src/pipeline/history/history-lane.ts';
import { WriteBudget } from '../../src/pipeline/writer/write-budget.ts';
import { chunked, generateHistory, historyMaps } from '../support/history-gen.ts';
import { feed, openSync } from '../support/sync.ts';

const END_S = 1_735_689_600;
const PEER = '4915112345678@s.whatsapp.net';

describe('lanes: live before history, bounded memory', function () {
  this.timeout(60_000);

  it('keeps only the next chunks decoded; the rest wait as references to the raw store', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const imported: string[] = [];
    const lane = new HistoryLane(
      async (item) => {
        await blocked;
        imported.push(item.ref.id);
        return undefined;
      },
      2,
      createLogger('silent'),
    );
    const items: HistoryItem[] = Array.from({ length: 10 }, (_, i) => ({
      ref: { id: `c${i}`, receivedAt: i, state: 'pending', syncType: 3, messages: 1, parts: 0, bytes: 1 },
      raw: { set: { chats: [], contacts: [], messages: [], syncType: 3 }, pairs: [] },
    }));
    for (const item of items) lane.push(item);
    // The first is being imported; of the nine waiting, two keep their payload.
    assert.equal(items.filter((i) => i.raw).length, 3);
    assert.equal(lane.waiting, 9);
    release();
    await lane.idle();
    assert.deepEqual(
      imported,
      items.map((i) => i.ref.id),
    );
  });

  it("imports a chunk pushed while the last chunk's writes are still landing", async () => {
    const landing: Array<() => void> = [];
    const imported: string[] = [];
    const lane = new HistoryLane(
      async (item) => {
        imported.push(item.ref.id);
        // Returns as soon as its last writes are under way, as the account pipeline does.
        return { landed: new Promise<void>((resolve) => landing.push(resolve)) };
      },
      2,
      createLogger('silent'),
    );
    const item = (id: string): HistoryItem => ({
      ref: { id, receivedAt: 0, state: 'pending', syncType: 3, messages: 1, parts: 0, bytes: 1 },
    });
    lane.push(item('c0'));
    // Let the lane find its queue empty and wait for c0's writes; c1 comes now.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    lane.push(item('c1'));
    landing[0]!();
    for (const until = Date.now() + 2_000; landing.length < 2 && Date.now() < until; )
      await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(imported, ['c0', 'c1'], 'c1 imported after c0 landed');
    landing[1]!();
    await lane.idle();
    assert.deepEqual(imported, ['c0', 'c1']);
  });

  it('stores a live message while a throttled import of the same account still runs', async () => {
    const budget = new WriteBudget({ startPerSecond: 40, maxPerSecond: 40 });
    // Small commits: each chunk's plan takes several commits, each waiting for the budget.
    const sync = await openSync({ budget, options: { writer: { maxWritesPerCommit: 10 } } });
    const threads = generateHistory({ seed: 'lanes', dms: 6, groups: 2, messagesPerThread: 40, endS: END_S });
    const maps = historyMaps(chunked(threads, 8));
    const started = Date.now();
    await feed(sync, maps, Date.now());
    const accepted = Date.now() - started;
    // All eight chunks are durable and queued; at 40 writes/s their import takes many seconds.
    assert.equal((await sync.raw.pending()).length >= 6, true);
    assert.ok(accepted < 5_000, `accepting 8 chunks took ${accepted} ms`);
    const [map] = await deliver(
      [
        live(
          'ping',
          { from: PEER, id: '3EB0AB0000000000000001', t: String(Math.floor(Date.now() / 1000)) },
          { conversation: 'ping' },
        ),
      ],
      false,
    );
    const sentAt = Date.now();
    await feed(sync, [map!], Date.now(), 100);
    const ref = testDb().doc(paths.message(sync.writer.accountId, threadDocId(PEER), 'peer~3EB0AB0000000000000001'));
    let latency = -1;
    while (Date.now() - sentAt < 5_000) {
      if ((await ref.get()).exists) {
        latency = Date.now() - sentAt;
        break;
      }
      await sleep(20);
    }
    // Stored while the import still runs is the property (not a time, which a busy machine stretches).
    assert.ok(latency >= 0, 'live message stored within 5 s');
    assert.ok((await sync.raw.pending()).length > 0, `the import was still running when it was stored (${latency} ms)`);
    await sync.close('test');
  });
});
