/**
 * Leases: claim, takeover with a growing epoch, renewal, release, and the compare-and-set that
 * lets exactly one of many racing hosts win. The contention tests fail when the `create` that
 * arbitrates a version is replaced by a plain `set` (tried: several winners per round).
 */
import assert from 'node:assert/strict';
import { paths } from '@wasync/shared';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import { KEEP_VERSIONS, type LeaseState, LeaseStore } from '../../src/accounts/lease.ts';
import { LeaseLostError } from '../../src/accounts/lease-errors.ts';
import { leaseStores as hosts, LEASE_TTL as TTL } from '../support/leases.ts';

describe('account leases', () => {
  beforeEach(clearFirestore);

  it('claims a free account at epoch 1 and refuses a held one', async () => {
    const [a, b] = hosts(2);
    const lease = await a!.claim('acc', await a!.read('acc'));
    assert.equal(lease?.holder, 'host-0');
    assert.equal(lease?.epoch, 1);
    assert.equal(await b!.claim('acc', await b!.read('acc')), undefined, 'held and not expired');
    const head = (await testDb().doc(paths.lease('acc')).get()).data();
    assert.equal(head?.holder, 'host-0');
    assert.equal(head?.expiresAt.toMillis(), lease!.expiresAt);
  });

  it('takes over an expired lease with the next epoch; the old holder cannot renew', async () => {
    let now = 1_000_000;
    const [a, b] = hosts(2, () => now);
    const held = (await a!.claim('acc', undefined))!;
    now += TTL + 1;
    const taken = await b!.claim('acc', await b!.read('acc'));
    assert.equal(taken?.holder, 'host-1');
    assert.equal(taken?.epoch, 2);
    await assert.rejects(
      a!.renew(held),
      (err: unknown) => err instanceof LeaseLostError && /held by host-1/.test(err.message),
    );
  });

  it('is not claimable one tick before it expires, after a claim and after a renewal', async () => {
    const claimedAt = 1_000_000;
    let now = claimedAt;
    const [a, b] = hosts(2, () => now);
    const held = (await a!.claim('acc', undefined))!;
    assert.equal(held.expiresAt, claimedAt + TTL, 'a claim lasts the whole TTL');
    now = claimedAt + TTL - 1;
    assert.equal(b!.claimable(await b!.read('acc'), false), false, 'one tick before expiry');
    assert.equal(await b!.claim('acc', await b!.read('acc')), undefined);

    const renewedAt = now;
    const renewed = await a!.renew(held);
    assert.equal(renewed.expiresAt, renewedAt + TTL, 'a renewal lasts the whole TTL from its start');
    now = renewedAt + TTL - 1;
    assert.equal(await b!.claim('acc', await b!.read('acc')), undefined, 'one tick before the renewed expiry');
    now = renewedAt + TTL;
    assert.equal((await b!.claim('acc', await b!.read('acc')))?.epoch, 2, 'claimable at its expiry');
  });

  it('renews in place (same epoch) and releases so another host can claim at once', async () => {
    let now = 1_000_000;
    const [a, b] = hosts(2, () => now);
    const held = (await a!.claim('acc', undefined))!;
    now += 1000;
    const renewed = await a!.renew(held);
    assert.deepEqual([renewed.epoch, renewed.seq, renewed.expiresAt], [1, 2, now + TTL]);
    await a!.release(renewed);
    const next = await b!.claim('acc', await b!.read('acc'));
    assert.equal(next?.epoch, 2, 'a claim after a release is a takeover too: the epoch grows');
  });

  it('lets a restarted host with the same id take back its own lease at once', async () => {
    const [a] = hosts(1);
    await a!.claim('acc', undefined);
    const again = new LeaseStore(testDb(), { hostId: 'host-0', ttlMs: TTL });
    const lease = await again.read('acc');
    assert.equal(again.claimable(lease, true), false, 'held by this very process: nothing to claim');
    assert.equal((await again.claim('acc', lease))?.epoch, 2);
  });

  it('contention: of many hosts racing for a free account, exactly one wins', async () => {
    const contenders = hosts(12);
    for (let round = 0; round < 10; round++) {
      const id = `acc-${round}`;
      const results = await Promise.all(contenders.map((h) => h.claim(id, undefined)));
      const winners = results.filter((r): r is LeaseState => r !== undefined);
      assert.equal(winners.length, 1, `round ${round}: ${winners.map((w) => w.holder).join(', ')}`);
      const head = (await testDb().doc(paths.lease(id)).get()).data();
      assert.equal(head?.holder, winners[0]!.holder, 'the lease names the winner');
    }
  });

  it('contention: takeovers racing the holder’s renewals never leave two owners of one epoch', async () => {
    let now = 5_000_000;
    const contenders = hosts(8, () => now);
    let current = (await contenders[0]!.claim('acc', undefined))!;
    for (let round = 0; round < 12; round++) {
      now += TTL + 1; // expired for everyone
      const observed = await contenders[1]!.read('acc');
      const holder = contenders.find((h) => h.hostId === current.holder)!;
      const [renewal, ...claims] = await Promise.allSettled([
        holder.renew(current),
        ...contenders.filter((h) => h !== holder).map((h) => h.claim('acc', observed)),
      ]);
      const won = claims.flatMap((c) => (c.status === 'fulfilled' && c.value ? [c.value] : []));
      const renewed = renewal.status === 'fulfilled';
      assert.equal(won.length + (renewed ? 1 : 0), 1, `round ${round}: renewed=${renewed}, takeovers=${won.length}`);
      current = renewed ? renewal.value : won[0]!;
      if (!renewed) {
        assert.ok(renewal.reason instanceof LeaseLostError);
        assert.equal(current.epoch, observed!.epoch + 1);
      }
      const head = (await contenders[0]!.read('acc'))!;
      assert.deepEqual([head.holder, head.epoch, head.seq], [current.holder, current.epoch, current.seq]);
    }
  });

  it('reads the lease from its latest version when the head is missing (a first claim landing between reads)', async () => {
    const [a, b] = hosts(2);
    const claimed = (await a!.claim('acc', undefined))!;
    // What a reader sees when the head read came just before the claim's commit and the version
    // query just after it: no head, one version.
    await testDb().doc(paths.lease('acc')).delete();
    const seen = await b!.read('acc');
    assert.deepEqual(seen, claimed, 'the version holds the whole lease');
    assert.equal(await b!.claim('acc', seen), undefined, 'held, so not claimable');
  });

  it('keeps a bounded number of version documents', async () => {
    let now = 1_000_000;
    const [a] = hosts(1, () => now);
    let lease = (await a!.claim('acc', undefined))!;
    for (let i = 0; i < KEEP_VERSIONS + 6; i++) {
      now += 10;
      lease = await a!.renew(lease);
    }
    const versions = await testDb()
      .collection(`${paths.lease('acc')}/versions`)
      .get();
    assert.equal(versions.size, KEEP_VERSIONS);
  });
});
