/**
 * Ownership across hosts in one process (sharing one simulated WhatsApp, so its counters see every
 * socket): the per-host cap, and rebalancing when a second host arrives, without ever two sockets.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths } from '@wasync/shared';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import type { Directory } from '../../src/accounts/directory.ts';
import { type LeaseState, LeaseStore } from '../../src/accounts/lease.ts';
import { LeaseLostError } from '../../src/accounts/lease-errors.ts';
import { Ownership } from '../../src/accounts/ownership.ts';
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

  it('gives accounts to a host that joins, one at a time, never with two sockets', async () => {
    const sim = new SimulatedWhatsApp({ autoPairAfterMs: 20, timings: FAST });
    const ids = ['bal-1', 'bal-2', 'bal-3', 'bal-4'];
    for (const id of ids) await createAccount(id);
    const first = await startTestHost({ hostId: 'first', simulator: sim });
    running.push(first);
    for (const id of ids) await waitForAccount(id, stateIs('open'));
    assert.equal(first.ownership.held().length, 4, 'alone, it takes all');

    const second = await startTestHost({ hostId: 'second', simulator: sim });
    running.push(second);
    const deadline = Date.now() + 30_000;
    while (second.ownership.held().length < 2 && Date.now() < deadline) await sleep(100);
    assert.deepEqual([first.ownership.held().length, second.ownership.held().length], [2, 2]);
    for (const id of second.ownership.held()) await waitForAccount(id, stateIs('open'));
    for (const id of ids) assert.equal(sim.counters(id).maxLive, 1, `${id} never had two sockets`);
  });
});

describe('ownership: an account being let go', () => {
  beforeEach(clearFirestore);

  it('is not claimed again while its socket is still closing', async () => {
    const leases = new LeaseStore(testDb(), { hostId: 'solo', ttlMs: 5_000 });
    const directory = {
      ready: Promise.resolve(),
      leases: new Map<string, LeaseState>(),
      onChange: () => () => {},
      refresh: async () => {
        const lease = await leases.read('acc');
        directory.leases = new Map(lease ? [['acc', lease]] : []);
      },
      wanted: () => ['acc'],
      liveHosts: () => ['solo'],
      heldBy: () => new Map<string, number>(),
    };
    let live = 0;
    let maxLive = 0;
    let created = 0;
    const factory = () => {
      created++;
      let end!: (o: SessionOutcome) => void;
      const done = new Promise<SessionOutcome>((r) => {
        end = r;
      });
      return {
        done,
        start() {
          live++;
          maxLive = Math.max(maxLive, live);
          return this;
        },
        // A socket that takes a while to close (a slow network, a busy event loop).
        async stop() {
          await sleep(1500);
          live--;
          end('stopped');
        },
      } as unknown as AccountSession;
    };
    const options = {
      maxAccounts: 10,
      roundEveryMs: 60_000,
      settleMs: 60_000,
      renewEveryMs: 60_000,
      marginMs: 1000,
      hostStaleAfterMs: 5000,
      cooldownMs: { afterShed: 0, afterYield: 0, afterUnreadable: 0, afterFailure: 0 },
      stopTimeoutMs: 5000,
    };
    const ownership = new Ownership(
      'solo',
      leases,
      directory as unknown as Directory,
      factory,
      options,
      createLogger('silent'),
    );
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
    assert.equal(created, 1, 'no second session while the first was closing');
    await sleep(1500);
    await ownership.runRound();
    assert.equal(created, 2, 'claimed again once the first socket was closed');
    assert.equal(maxLive, 1);
    await ownership.stop();
  });
});
