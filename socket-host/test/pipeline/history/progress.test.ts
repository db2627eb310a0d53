/**
 * History progress on the account: carried by the chunks' last commits whenever it may be written
 * (a second — here 50 ms — since the last write); a chunk that comes too soon leaves its state to
 * the next chunk's commit, which carries every chunk before it; only a state no chunk carries
 * within the linger time is written on its own.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths } from '@wasync/shared';
import type { DocumentReference, Transaction } from 'firebase-admin/firestore';
import { testDb } from '../../../../test/support/firestore.ts';
import type { Fence } from '../../../src/accounts/fence.ts';
import { createLogger } from '../../../src/log.ts';
import { type ChunkDone, HistoryProgress } from '../../../src/pipeline/history/progress.ts';

const MIN_INTERVAL_MS = 50;
const LINGER_MS = 400;

/**
 * The progress's clock: it moves only when the test waits (`advance`), so whether a chunk is "too
 * soon" does not depend on how long the process was descheduled between two synchronous calls —
 * on a loaded CI machine 50 ms can pass between them. The timers stay real.
 */
let clock = 0;
async function advance(ms: number): Promise<void> {
  await sleep(ms);
  clock += ms;
}

/** A transaction that records the progress it is given (`historySync.chunks`). */
function recordingTx(into: number[]): Transaction {
  return {
    update(_ref: DocumentReference, data: { historySync: { chunks: number } }) {
      into.push(data.historySync.chunks);
      return this;
    },
  } as unknown as Transaction;
}

async function openProgress(alone: number[]): Promise<HistoryProgress> {
  const db = testDb();
  const accountId = `progress-${Date.now()}-${Math.random()}`;
  await db.doc(paths.account(accountId)).set({ displayName: accountId });
  const fence: Fence = {
    accountId,
    epoch: 0,
    run: async (write) => write(recordingTx(alone), []),
  };
  const progress = new HistoryProgress(
    db,
    accountId,
    fence,
    createLogger('silent'),
    undefined,
    MIN_INTERVAL_MS,
    () => clock,
    LINGER_MS,
  );
  await progress.load();
  clock = 1_000; // well past the last write (none: at 0)
  return progress;
}

const CHUNK: ChunkDone = { syncType: 3, progress: 50, isLatest: false, messages: 10 };

/**
 * A chunk whose last commit is offered its progress, `more` chunks queued behind it or not;
 * returns what that commit carried.
 */
function importChunk(progress: HistoryProgress, more = true): number[] {
  const carried: number[] = [];
  const ride = progress.rideAlong(CHUNK);
  ride.write(recordingTx(carried));
  progress.chunkDone(CHUNK, ride, more);
  progress.settle(ride);
  return carried;
}

describe('history progress', () => {
  it("leaves a chunk's state that came too soon to the next chunk's commit, not to a write of its own", async () => {
    const alone: number[] = [];
    const progress = await openProgress(alone);
    assert.deepEqual(importChunk(progress), [1], 'nothing written yet: the first chunk carries its state');
    assert.deepEqual(importChunk(progress), [], 'too soon after: not carried');
    await advance(MIN_INTERVAL_MS + 20);
    assert.deepEqual(importChunk(progress), [3], 'the third carries the second too');
    await advance(LINGER_MS + 50);
    assert.deepEqual(alone, [], 'no write of its own');
    assert.equal(progress.state?.chunks, 3);
  });

  it('writes a state no chunk carries on its own after the linger time, and the last state at flush', async () => {
    const alone: number[] = [];
    const progress = await openProgress(alone);
    importChunk(progress);
    importChunk(progress);
    await advance(LINGER_MS + 50);
    assert.deepEqual(alone, [2]);
    importChunk(progress); // due again: carried
    importChunk(progress);
    await progress.flush();
    assert.deepEqual(alone, [2, 4]);
  });

  it('writes the state of the last queued chunk a second after the last write, without lingering', async () => {
    const alone: number[] = [];
    const progress = await openProgress(alone);
    importChunk(progress);
    importChunk(progress, false);
    await advance(MIN_INTERVAL_MS + 50);
    assert.deepEqual(alone, [2]);
  });
});
