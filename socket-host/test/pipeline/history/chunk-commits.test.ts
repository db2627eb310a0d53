/**
 * What a history chunk costs in commits besides its documents: its raw put, nothing else. Its
 * "done" mark — and its progress on the account, when a write is due — land in the transaction of
 * its last commit: all or nothing with its last documents, no commit of their own.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { paths } from '@wasync/shared';
import type { DocumentReference, Transaction } from 'firebase-admin/firestore';
import { testDb } from '../../../../test/support/firestore.ts';
import { type Fence, unfenced } from '../../../src/accounts/fence.ts';
import { rawHistoryPaths } from '../../../src/pipeline/history/raw-store.ts';
import { chunked, generateHistory, historyMaps } from '../../support/history-gen.ts';
import { feed, openSync } from '../../support/sync.ts';

const END_S = 1_735_689_600;
const WRITES = new Set(['create', 'set', 'update', 'delete']);

/** An unfenced fence that records the paths each landed transaction wrote. */
function recordingFence(accountId: string): { fence: Fence; landed: string[][] } {
  const inner = unfenced(testDb(), accountId);
  const landed: string[][] = [];
  const fence: Fence = {
    accountId,
    epoch: inner.epoch,
    run: async (write, read) => {
      let written: string[] = [];
      const result = await inner.run((tx, snapshots) => {
        written = [];
        const recording = new Proxy(tx, {
          get(target, key) {
            const value = Reflect.get(target, key) as unknown;
            if (typeof value !== 'function') return value;
            if (typeof key === 'string' && WRITES.has(key)) {
              return (ref: DocumentReference, ...rest: unknown[]) => {
                written.push(ref.path);
                return (value as (...args: unknown[]) => unknown).call(target, ref, ...rest);
              };
            }
            return (value as (...args: unknown[]) => unknown).bind(target);
          },
        }) as Transaction;
        return write(recording, snapshots);
      }, read);
      landed.push(written);
      return result;
    },
  };
  return { fence, landed };
}

describe('history chunk commits', function () {
  this.timeout(60_000);

  it("marks each chunk done, and writes its due progress, in the chunk's last commit", async () => {
    const accountId = `chunk-commits-${randomUUID()}`;
    const { fence, landed } = recordingFence(accountId);
    const sync = await openSync({ accountId, fence, options: { historyMessagesPerPlan: 20 } });
    const threads = generateHistory({ seed: 'chunk-commits', dms: 4, groups: 1, messagesPerThread: 15, endS: END_S });
    const maps = historyMaps(chunked(threads, 3));
    await feed(sync, maps, Date.now());
    await sync.drain();
    const heads = (await testDb().collection(rawHistoryPaths.chunks(accountId)).get()).docs;
    assert.equal(heads.length, 3);
    for (const head of heads) {
      assert.equal(head.get('state'), 'done');
      const writing = landed.filter((paths) => paths.includes(head.ref.path));
      // The put (the head alone), then the done mark with the chunk's last documents.
      assert.deepEqual(
        writing.map((paths) => paths.length === 1),
        [true, false],
        `chunk ${head.id}: ${JSON.stringify(writing)}`,
      );
      assert.ok(writing[1]!.some((path) => path.includes('/messages/') || path.includes('/threads/')));
    }
    // Besides the writer's commits, only the raw puts and at most one progress write land alone.
    const account = paths.account(accountId);
    const progressAlone = landed.filter((paths) => paths.length === 1 && paths[0] === account).length;
    assert.ok(progressAlone <= 1, `${progressAlone} progress writes of their own`);
    assert.equal(landed.length, sync.counters.commits + heads.length + progressAlone);
    // The first chunk's progress was due (nothing written yet): it rode with the chunk's last commit.
    assert.ok(landed.some((paths) => paths.includes(account) && paths.length > 1));
    await sync.close('test');
  });
});
