/**
 * Ownership across hosts in one process (sharing one simulated WhatsApp, so its counters see every
 * socket): the per-host cap, and rebalancing when a second host arrives, without ever two sockets.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningHost } from '../../src/host.ts';
import { SimulatedWhatsApp } from '../../src/transport/simulated/simulator.ts';
import { clearFirestore } from '../support/firestore.ts';
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
