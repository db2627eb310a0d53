/**
 * Ownership across hosts in one process (sharing one simulated WhatsApp, so its counters see every
 * socket): the per-host cap, and rebalancing when a second host arrives, without ever two sockets.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths } from '@wasync/shared';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import { Directory } from '../../src/accounts/directory.ts';
import { LeaseStore } from '../../src/accounts/lease.ts';
import { LeaseLostError } from '../../src/accounts/lease-errors.ts';
import { Ownership, type OwnershipOptions } from '../../src/accounts/ownership.ts';
import type { AccountSession, SessionOutcome } from '../../src/connection/account-session.ts';
import type { RunningHost } from '../../src/host.ts';
import { createLogger } from '../../src/log.ts';
import { SimulatedWhatsApp } from '../../src/transport/simulated/simulator.ts';
import { createAccount, startTestHost, stateIs, waitForAccount } from '../support/host.ts';

const FAST = { connectMs: 20, historyChunkMs: 1 };

describe('ownership: cap and rebalancing', function () {
  this.timeout(60_000);
  const running: RunningHost[] = [];
  beforeEach(clearFirestore);
  afterEach(async () => {
    await Promise.all(running.splice(0).map((h) => h.shutdown.run('test end')));
  });

  it('takes no more than MAX_ACCOUNTS_PER_HOST', async () => {
    const sim = new SimulatedWhatsApp({ autoPairAfterMs: 20, timings: FAST });
    for (const id of ['cap-1', 'cap-2', 'cap-3']) await createAccount(id);
    const host = await startTestHost({ hostId: 'capped', simulator: sim, env: { MAX_ACCOUNTS_PER_HOST: '2' } });
    running.push(host);
    await waitForAccount('cap-1', () => host.ownership.held().length === 2);
    await sleep(2500);
    assert.equal(host.ownership.held().length, 2);
    const idle = ['cap-1', 'cap-2', 'cap-3'].filter((id) => !host.ownership.held().includes(id));
    assert.equal(idle.length, 1);
    assert.equal(sim.counters(idle[0]!).opened, 0, 'the third account waits for another host');
  });

  it('gives accounts to a host that joins, one at a time, never with two sockets', async function () {
    this.timeout(120_000);
    const sim = new SimulatedWhatsApp({ autoPairAfterMs: 20, timings: FAST });
    const ids = ['bal-1', 'bal-2', 'bal-3', 'bal-4'];
    for (const id of ids) await createAccount(id);
    const first = await startTestHost({ hostId: 'first', simulator: sim });
    running.push(first);
    for (const id of ids) await waitForAccount(id, stateIs('open'));
    assert.equal(first.ownership.held().length, 4, 'alone, it takes all');

    const second = await startTestHost({ hostId: 'second', simulator: sim });
    running.push(second);
    // One account moves per round, and only once its history sync is complete (the richer simulated
    // phone streams several chunks): ~10 s on a quiet machine, longer on a busy CI one.
    const deadline = Date.now() + 60_000;
    while (second.ownership.held().length < 2 && Date.now() < deadline) await sleep(100);
    assert.deepEqual([first.ownership.held().length, second.ownership.held().length], [2, 2]);
    for (const id of second.ownership.held()) await waitForAccount(id, stateIs('open'));
    for (const id of ids) assert.equal(sim.counters(id).maxLive, 1, `${id} never had two sockets`);
  });
});

/** Sessions that only count themselves; `stop` takes `stopMs` (a socket that is slow to close). */
function fakeSessions(stopMs = 0) {
  const counts = { created: 0, live: 0, maxLive: 0 };
  const factory = () => {
    counts.created++;
    let end!: (o: SessionOutcome) => void;
    const done = new Promise<SessionOutcome>((r) => {
      end = r;
    });
    return {
      done,
      start() {
        counts.live++;
        counts.maxLive = Math.max(counts.maxLive, counts.live);
        return this;
      },
      async stop() {
        await sleep(stopMs);
        counts.live--;
        end('stopped');
      },
    } as unknown as AccountSession;
  };
  return { counts, factory };
}

/** Rounds run only when a test calls `runRound`. */
const MANUAL: OwnershipOptions = {
  maxAccounts: 10,
  roundEveryMs: 60_000,
  settleMs: 60_000,
  renewEveryMs: 60_000,
  marginMs: 1000,
  hostStaleAfterMs: 5000,
  cooldownMs: { afterShed: 0, afterYield: 0, afterUnreadable: 0, afterFailure: 0 },
  stopTimeoutMs: 5000,
};

const silent = createLogger('silent');

describe('ownership rounds (one host, real leases and directory)', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  beforeEach(clearFirestore);
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function ownershipOf(hostId: string, factory: () => AccountSession, options: Partial<OwnershipOptions> = {}) {
    const leases = new LeaseStore(testDb(), { hostId, ttlMs: 5_000 });
    const directory = new Directory(testDb(), silent);
    cleanup.push(() => directory.close());
    await directory.ready;
    const ownership = new Ownership(hostId, leases, directory, factory, { ...MANUAL, ...options }, silent);
    cleanup.push(() => ownership.stop());
    return { ownership, directory, leases };
  }

  it('is not claimed again while its socket is still closing', async () => {
    await createAccount('acc');
    const { counts, factory } = fakeSessions(1500);
    const { ownership } = await ownershipOf('solo', factory);
    await ownership.runRound();
    assert.deepEqual(ownership.held(), ['acc']);
    // The lease moved to a newer epoch still naming this host (as a restarted run of it would
    // leave it): a fenced write notices, and the session is stopped…
    await testDb().doc(paths.lease('acc')).update({ epoch: 99 });
    await assert.rejects(
      ownership.session('acc')!.lease.fence.run(() => {}),
      LeaseLostError,
    );
    // …while rounds keep running. The lease names this host and this host runs nothing for the
    // account, so without the guard a round would claim it and start a second socket now.
    for (let i = 0; i < 3; i++) {
      await ownership.runRound();
      await sleep(200);
    }
    assert.equal(counts.created, 1, 'no second session while the first was closing');
    await sleep(1500);
    await ownership.runRound();
    assert.equal(counts.created, 2, 'claimed again once the first socket was closed');
    assert.equal(counts.maxLive, 1);
  });

  it('never runs (un-parks) an account its listener still shows as wanted after it was parked', async () => {
    await createAccount('acc');
    const { counts, factory } = fakeSessions();
    const { ownership, directory } = await ownershipOf('solo', factory);
    // The listener's last snapshot shows the account waiting for a host; since then its previous
    // owner parked it (logged out from the phone) and let its lease go.
    const stale = directory.wanted();
    directory.wanted = () => stale;
    await testDb()
      .doc(paths.account('acc'))
      .update({ connection: { state: 'logged_out', lastError: 'logged_out: 401', updatedAt: new Date() } });

    await ownership.runRound();
    assert.deepEqual(ownership.held(), []);
    assert.equal(counts.created, 0, 'no session started');
    assert.equal((await testDb().doc(paths.account('acc')).get()).get('connection.state'), 'logged_out');
    assert.equal((await testDb().doc(paths.lease('acc')).get()).get('holder'), null, 'the claim was given back');
  });

  it('claims an account nobody takes for more than two rounds, beyond its fair share', async () => {
    for (const id of ['acc-1', 'acc-2']) await createAccount(id);
    // Another live host, which should take one of the two but never does (say it has not the key).
    await testDb().doc(paths.host('mute')).set({ hostId: 'mute', heartbeatAt: new Date() });
    const { factory } = fakeSessions();
    const { ownership } = await ownershipOf('solo', factory, {
      roundEveryMs: 200,
      cooldownMs: { ...MANUAL.cooldownMs, afterShed: 60_000 },
    });
    await ownership.runRound();
    assert.equal(ownership.held().length, 1, 'its share: one of two');
    const [mine] = ownership.held();
    const theirs = mine === 'acc-1' ? 'acc-2' : 'acc-1';
    for (let i = 0; i < 3; i++) await ownership.runRound();
    assert.deepEqual(ownership.held(), [mine], 'rounds brought forward count once');
    await sleep(200);
    await ownership.runRound();
    assert.deepEqual(ownership.held(), [mine], 'second round: still left to the other host');
    await sleep(200);
    await ownership.runRound();
    assert.ok(ownership.held().includes(theirs), 'third round unowned: claimed beyond the share');
    for (let i = 0; i < 3; i++) await ownership.runRound();
    assert.ok(ownership.held().includes(theirs), 'a rescued account is not given back');
  });

  it('does not give up an account that is pairing or in a history sync when rebalancing', async () => {
    await createAccount('acc-qr', { connection: { state: 'qr', updatedAt: new Date() } });
    await createAccount('acc-first-login', { connection: { state: 'connecting', updatedAt: new Date() } });
    await createAccount('acc-sync', {
      me: { id: '1@s.whatsapp.net' },
      connection: { state: 'open', updatedAt: new Date() },
      historySync: { syncType: 'FULL', progress: 40, chunks: 3, messages: 900, isLatest: false, updatedAt: new Date() },
    });
    await createAccount('acc-done', {
      me: { id: '2@s.whatsapp.net' },
      connection: { state: 'open', updatedAt: new Date() },
      historySync: {
        syncType: 'RECENT',
        progress: 100,
        chunks: 3,
        messages: 900,
        isLatest: true,
        updatedAt: new Date(),
      },
    });
    await createAccount('acc-plain', { me: { id: '3@s.whatsapp.net' } });
    const { factory } = fakeSessions();
    const { ownership } = await ownershipOf('solo', factory, {
      cooldownMs: { ...MANUAL.cooldownMs, afterShed: 60_000 },
    });
    await ownership.runRound();
    assert.equal(ownership.held().length, 5, 'alone, it takes all');

    // A second host arrives (and would take what this one gives up).
    await testDb().doc(paths.host('newcomer')).set({ hostId: 'newcomer', heartbeatAt: new Date() });
    for (let i = 0; i < 4; i++) {
      await ownership.runRound();
      await sleep(50);
    }
    assert.deepEqual(ownership.held().sort(), ['acc-first-login', 'acc-qr', 'acc-sync']);
  });
});
