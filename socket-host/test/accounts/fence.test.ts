/**
 * Fenced writes: a write goes ahead only while the lease names this host under the epoch it was
 * fenced with — checked in the write's own transaction, so a write that arrives late (queued before
 * a takeover, committed after it) cannot overwrite what the new owner wrote.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { clearFirestore, requires, testDb } from '../../../test/support/firestore.ts';
import { leaseFence } from '../../src/accounts/fence.ts';
import { LeaseStore } from '../../src/accounts/lease.ts';
import { LeaseLostError } from '../../src/accounts/lease-errors.ts';
import { leaseStores as hosts, LEASE_TTL as TTL } from '../support/leases.ts';

describe('fenced writes', () => {
  beforeEach(clearFirestore);

  it('fenced writes racing a takeover never land after it', async function () {
    requires(this, 'isolatedTransactions');
    let now = 1_000_000;
    const [a, b] = hosts(2, () => now);
    const held = (await a!.claim('acc', undefined))!;
    const fence = a!.fence(held);
    now += TTL + 1;
    const ref = testDb().doc('accounts/acc');
    await ref.set({ v: 'initial' });
    const write = fence.run(async (tx) => {
      await sleep(300); // the takeover commits while this transaction is open
      tx.set(ref, { v: 'stale owner' });
    });
    await sleep(50);
    const taken = await b!.claim('acc', await b!.read('acc'));
    assert.equal(taken?.epoch, 2);
    await assert.rejects(write, LeaseLostError);
    assert.equal((await ref.get()).get('v'), 'initial');
  });

  it('refuses a write of an older epoch that arrives after a takeover, by another host or by this one again', async () => {
    let now = 1_000_000;
    const [a, b] = hosts(2, () => now);
    const ref = testDb().doc('accounts/acc');
    await ref.set({ v: 'initial' });
    const first = (await a!.claim('acc', undefined))!;
    // Fenced while epoch 1 was current; the write itself comes only after later owners took over.
    const late = a!.fence(first);

    now += TTL;
    const second = (await b!.claim('acc', await b!.read('acc')))!;
    await b!.fence(second).run((tx) => tx.set(ref, { v: 'epoch 2' }));
    await assert.rejects(
      late.run((tx) => tx.set(ref, { v: 'epoch 1, late' })),
      LeaseLostError,
    );

    // The same host id owns it again (a restart of host-0): same holder, newer epoch.
    now += TTL;
    const restarted = new LeaseStore(testDb(), { hostId: 'host-0', ttlMs: TTL, now: () => now });
    const third = (await restarted.claim('acc', await restarted.read('acc')))!;
    assert.deepEqual([third.holder, third.epoch], ['host-0', 3]);
    await assert.rejects(
      late.run((tx) => tx.set(ref, { v: 'epoch 1, later still' })),
      LeaseLostError,
    );
    assert.equal((await ref.get()).get('v'), 'epoch 2');
  });

  it('stages writes while the lease is read when asked to, and still lands nothing once the lease moved', async function () {
    requires(this, 'isolatedTransactions');
    let now = 1_000_000;
    const [a, b] = hosts(2, () => now);
    const held = (await a!.claim('acc', undefined))!;
    const fence = a!.fence(held);
    const ref = testDb().doc('accounts/acc');
    await ref.set({ v: 'initial' });
    // Checked in the transaction only (no local deadline), as the commit executor's fence is checked.
    const direct = leaseFence(testDb(), 'acc', 'host-0', held.epoch);
    // Another commit holds the lease document (it read it) for 400 ms: this one's lease read waits.
    const blocker = direct.run(() => sleep(400));
    await sleep(50);
    const started = performance.now();
    let stagedAfterMs = Number.NaN;
    await fence.run(
      (tx) => {
        stagedAfterMs = performance.now() - started;
        tx.set(ref, { v: 'staged' });
      },
      [],
      { stageWhileChecking: true },
    );
    await blocker;
    assert.ok(stagedAfterMs < 200, `staged ${stagedAfterMs} ms in, not after the lease read (≥ 350 ms)`);
    assert.equal((await ref.get()).get('v'), 'staged');

    now += TTL + 1;
    await b!.claim('acc', await b!.read('acc'));
    // A moved lease wins over what was staged, and over a failure of the staging itself.
    await assert.rejects(
      direct.run((tx) => tx.set(ref, { v: 'stale owner' }), [], { stageWhileChecking: true }),
      LeaseLostError,
    );
    await assert.rejects(
      direct.run(
        () => {
          throw new Error('staging failed');
        },
        [],
        { stageWhileChecking: true },
      ),
      LeaseLostError,
    );
    assert.equal((await ref.get()).get('v'), 'staged');
  });
});
