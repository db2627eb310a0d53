/**
 * One owner per account (I5), checked from the documents: host A imports a large history slowly;
 * mid-import host B takes the lease over and imports the same history (and replays what A left);
 * A keeps going — its import, its live traffic — until its writes find the lease moved. Every
 * document written after the takeover was written by B (each writer stamps its own `updatedAt`),
 * no raw chunk of A's epoch was stored after it, and A's later live message never landed.
 */
import assert from 'node:assert/strict';
import { paths } from '@wasync/shared';
import type { DocumentSnapshot, Timestamp } from 'firebase-admin/firestore';
import { deliver, live } from '../../../../shared/test/support/baileys-feed.ts';
import { testDb } from '../../../../test/support/firestore.ts';
import { leaseFence } from '../../../src/accounts/fence.ts';
import { LeaseStore } from '../../../src/accounts/lease.ts';
import { rawHistoryPaths } from '../../../src/pipeline/history/raw-store.ts';
import { WriteBudget } from '../../../src/pipeline/writer/write-budget.ts';
import { ACCOUNT_COLLECTIONS } from '../../support/account-docs.ts';
import { chunked, generateHistory, historyMaps } from '../../support/history-gen.ts';
import { feed, openSync } from '../../support/sync.ts';

const END_S = 1_735_689_600;
const A_MARK = 1_000_000_001_000;
const B_MARK = 1_000_000_002_000;
const threads = generateHistory({ seed: 'fencing', dms: 10, groups: 2, messagesPerThread: 40, endS: END_S });

async function pipelineDocs(accountId: string): Promise<DocumentSnapshot[]> {
  const db = testDb();
  const prefix = `${paths.account(accountId)}/`;
  const all = await Promise.all(ACCOUNT_COLLECTIONS.map((c) => db.collectionGroup(c).get()));
  return all.flatMap((s) => s.docs).filter((d) => d.ref.path.startsWith(prefix));
}

describe('guarantee: a host whose lease moved lands nothing', function () {
  this.timeout(120_000);

  it('every document written after the takeover is the new owner’s', async () => {
    const db = testDb();
    const accountId = `fence-race-${Date.now()}`;
    let clock = Date.now();
    const leasesA = new LeaseStore(db, { hostId: 'host-a', ttlMs: 5_000, now: () => clock });
    const leasesB = new LeaseStore(db, { hostId: 'host-b', ttlMs: 5_000, now: () => clock });
    const leaseA = await leasesA.claim(accountId, undefined);
    assert.ok(leaseA);
    // A imports slowly: small commits, a tight budget.
    const a = await openSync({
      accountId,
      fence: leaseFence(db, accountId, 'host-a', leaseA.epoch),
      now: A_MARK,
      budget: new WriteBudget({ startPerSecond: 150, maxPerSecond: 150 }),
      options: { writer: { maxWritesPerCommit: 20 } },
    });
    const maps = historyMaps(chunked(threads, 5));
    await feed(a, maps, Date.now());
    // Let A land part of it.
    while (a.counters.commits < 3) await new Promise((r) => setTimeout(r, 50));

    clock += 10_000;
    const leaseB = await leasesB.claim(accountId, await leasesB.read(accountId));
    assert.equal(leaseB?.holder, 'host-b');
    const takeover = (await db.doc(paths.lease(accountId)).get()).updateTime!;

    const b = await openSync({ accountId, fence: leaseFence(db, accountId, 'host-b', leaseB!.epoch), now: B_MARK });
    await feed(b, maps, Date.now(), 100);
    // A, unaware, goes on: a live message arrives at its (stale) socket.
    const [late] = await deliver(
      [
        live(
          'late',
          { from: '4915100000042@s.whatsapp.net', id: '3EB0FE0000000000000042', t: String(END_S) },
          { conversation: 'late' },
        ),
      ],
      false,
    );
    await feed(a, [late!], Date.now(), 50);
    await Promise.all([a.drain().catch(() => {}), b.drain()]);
    await Promise.all([a.close('lease lost'), b.close('test')]);

    assert.ok(a.counters.commits >= 3, 'A landed commits before the takeover');
    assert.equal(a.writer.closed, true, 'A found the lease moved');
    const docs = await pipelineDocs(accountId);
    assert.ok(docs.length > 100);
    const after = docs.filter((d) => d.updateTime!.toMillis() > takeover.toMillis());
    assert.ok(after.length > 0);
    const byA = after.filter((d) => (d.get('updatedAt') as Timestamp | undefined)?.toMillis() === A_MARK);
    assert.deepEqual(
      byA.map((d) => d.ref.path),
      [],
      'no document of A written after the takeover',
    );
    const lateDoc = docs.find((d) => d.get('id') === '3EB0FE0000000000000042');
    assert.equal(lateDoc, undefined, 'A’s late live message never landed');
    const chunks = await db.collection(rawHistoryPaths.chunks(accountId)).get();
    const after_ = (t: Timestamp | undefined) => (t?.toMillis() ?? 0) > takeover.toMillis();
    const staleChunks = chunks.docs.filter(
      (d) =>
        (d.get('epoch') === leaseA.epoch && after_(d.createTime)) ||
        (d.get('doneEpoch') === leaseA.epoch && after_(d.updateTime)),
    );
    assert.deepEqual(
      staleChunks.map((d) => d.id),
      [],
      'no raw chunk stored or marked done by A after the takeover',
    );
    assert.ok(
      chunks.docs.some((d) => d.get('epoch') === leaseA.epoch && d.get('doneEpoch') === leaseB!.epoch),
      'B finished a chunk A had stored',
    );
  });
});
