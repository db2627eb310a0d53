/**
 * A held lease: background renewal, the loss reported when a renewal sees a takeover, and the
 * deadline — checked against the clock, so a holder whose timers ran late (a long pause, a clock
 * that jumped) refuses to act the moment its deadline has passed.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import { HeldLease } from '../../src/accounts/held-lease.ts';
import { LeaseStore } from '../../src/accounts/lease.ts';
import type { LeaseLostError } from '../../src/accounts/lease-errors.ts';
import { createLogger } from '../../src/log.ts';
import { leaseStores as hosts, LEASE_TTL as TTL } from '../support/leases.ts';

const log = createLogger('silent');

describe('HeldLease', () => {
  beforeEach(clearFirestore);

  it('renews in the background and stays valid', async () => {
    const [a] = hosts(1);
    const lost: LeaseLostError[] = [];
    const held = new HeldLease(a!, (await a!.claim('acc', undefined))!, {
      renewEveryMs: 100,
      marginMs: 1000,
      onLost: (e) => lost.push(e),
      log,
    });
    await sleep(450);
    assert.ok(held.isValid());
    assert.ok(held.state.seq >= 3, `renewed ${held.state.seq - 1} times`);
    await held.release();
    assert.equal((await a!.read('acc'))?.holder, null);
    assert.deepEqual(lost, []);
  });

  it('reports the loss as soon as a renewal sees a takeover', async () => {
    const offset = 0;
    const clock = () => Date.now() + offset;
    const [a, b] = hosts(2, clock);
    const lost: LeaseLostError[] = [];
    const held = new HeldLease(a!, (await a!.claim('acc', undefined))!, {
      renewEveryMs: 150,
      marginMs: 100,
      onLost: (e) => lost.push(e),
      log,
    });
    // host-1's clock runs past the expiry; it takes over before host-0's next renewal.
    const bStore = new LeaseStore(testDb(), { hostId: 'host-1', ttlMs: TTL, now: () => Date.now() + TTL + 1 });
    assert.ok(await bStore.claim('acc', await b!.read('acc')));
    await sleep(400);
    assert.equal(lost.length, 1);
    assert.equal(held.isValid(), false);
    await held.release();
    assert.equal((await b!.read('acc'))?.holder, 'host-1', 'a lost lease is not released over the new owner');
  });

  it('gives up before the TTL ends when renewals keep failing (deadline)', async () => {
    const [a] = hosts(1);
    const claimed = (await a!.claim('acc', undefined))!;
    const failing = Object.create(a!) as LeaseStore;
    failing.renew = async () => {
      throw new Error('UNAVAILABLE: Firestore unreachable');
    };
    const lostAt: number[] = [];
    const held = new HeldLease(failing, claimed, {
      renewEveryMs: 50,
      marginMs: TTL - 600,
      onLost: () => lostAt.push(Date.now()),
      log,
    });
    await sleep(900);
    assert.equal(lostAt.length, 1);
    assert.ok(lostAt[0]! - claimed.renewedAt < TTL, 'lost well before the lease could expire');
    assert.equal(held.isValid(), false);
  });

  it('refuses every fenced write once its deadline has passed, before its timer fires (a long pause)', async () => {
    const claimedAt = 1_000_000;
    let now = claimedAt;
    const [a] = hosts(1, () => now);
    const lost: LeaseLostError[] = [];
    const margin = 1_000;
    // Renewal and deadline timers run on the real clock and are far away; the host's clock is not.
    const held = new HeldLease(a!, (await a!.claim('acc', undefined))!, {
      renewEveryMs: 60_000,
      marginMs: margin,
      onLost: (e) => lost.push(e),
      log,
    });
    const ref = testDb().doc('accounts/acc');
    try {
      now = claimedAt + TTL - margin - 1;
      assert.ok(held.isValid(), 'one tick before the deadline it still acts');
      await held.fence.run((tx) => tx.set(ref, { v: 'in time' }));

      // The process was frozen: its clock moved past the deadline, no timer has fired yet, and
      // the lease in Firestore still names it (nobody took over yet).
      now = claimedAt + TTL - margin;
      assert.equal(held.isValid(), false);
      for (const v of ['connection state', 'creds', 'a message']) {
        await assert.rejects(
          held.fence.run((tx) => tx.set(ref, { v })),
          (err: unknown) => (err as LeaseLostError).code === 'lease_lost',
        );
      }
      assert.equal((await ref.get()).get('v'), 'in time', 'nothing written after the deadline');
      assert.equal((await a!.read('acc'))?.holder, 'host-0', 'the fence refused on its own, not from Firestore');
    } finally {
      await held.abandon();
    }
  });

  it('keeps its lease when each renewal commit takes a third of the TTL (renewals are timed from their start)', async () => {
    const ttl = 1_500;
    const [a] = hosts(1, Date.now, ttl);
    const slow = Object.create(a!) as LeaseStore;
    slow.renew = async (state) => {
      await sleep(400); // a loaded Firestore
      return a!.renew(state);
    };
    const lost: LeaseLostError[] = [];
    // Deadline 1.2 s after a renewal starts. Timed from the end, the next renewal would start at
    // 0.4 + 0.5 and land at 1.3 s: too late. Timed from the start, it lands at 0.9 s.
    const held = new HeldLease(slow, (await a!.claim('acc', undefined))!, {
      renewEveryMs: 500,
      marginMs: 300,
      onLost: (e) => lost.push(e),
      log,
    });
    try {
      await sleep(3_000);
      assert.deepEqual(
        lost.map((e) => e.reason),
        [],
      );
      assert.ok(held.isValid());
    } finally {
      await held.abandon();
    }
  });
});
