/**
 * A WhatsApp outage parks nobody: 30 accounts on one host lose WhatsApp for far longer than the
 * old parking threshold took (`maxFailures` consecutive failures; here 4, a fraction of a second
 * with the shrunk backoff), retry at the backoff's cap meanwhile, and all come back by themselves
 * once it ends, one socket each. Time is scaled: the backoff is milliseconds instead of seconds.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { COLLECTIONS, isParkedConnectionState } from '@wasync/shared';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import type { RunningHost } from '../../src/host.ts';
import { discardingConsumer } from '../../src/pipeline/consumer.ts';
import { SimulatedWhatsApp } from '../../src/transport/simulated/simulator.ts';
import { createAccount, startTestHost } from '../support/host.ts';

const ACCOUNTS = Array.from({ length: 30 }, (_, i) => `out-${String(i).padStart(2, '0')}`);

async function states(): Promise<Map<string, { state: string; lastError?: string }>> {
  const docs = await testDb().collection(COLLECTIONS.accounts).get();
  return new Map(docs.docs.map((d) => [d.id, d.get('connection')]));
}

async function until(probe: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(100);
  }
}

const allOpen = async () => [...(await states()).values()].filter((c) => c.state === 'open').length === ACCOUNTS.length;

describe('a WhatsApp outage (simulated, 30 accounts, one host)', function () {
  this.timeout(240_000);
  let host: RunningHost | undefined;
  beforeEach(clearFirestore);
  afterEach(async () => {
    await host?.shutdown.run('test end');
    host = undefined;
  });

  it('parks no account; all reconnect by themselves when it ends', async () => {
    const sim = new SimulatedWhatsApp({
      seed: 'outage',
      autoPairAfterMs: 30,
      timings: { connectMs: 20, historyChunkMs: 1, receiptMs: 150, onDemandMs: 20 },
    });
    await Promise.all(ACCOUNTS.map((id) => createAccount(id)));
    host = await startTestHost({
      hostId: 'host-outage',
      simulator: sim,
      consumer: discardingConsumer,
      backoff: { baseMs: 50, maxMs: 400, maxFailures: 4, stableMs: 60_000 },
    });
    await until(allOpen, 120_000, 'every account open before the outage');
    // Every first login's backlog is in (the socket stopped buffering) and its key and creds
    // writes have landed: the outage tests reconnecting, not a first login cut short.
    await until(async () => ACCOUNTS.every((id) => sim.socket(id)?.ev.isBuffering() === false), 60_000, 'backlogs in');
    await sleep(2_000);
    const before = new Map(ACCOUNTS.map((id) => [id, sim.counters(id).opened]));

    const outage = sim.outage(6_000);
    // Late in the outage: everybody is retrying, nobody parked (the old policy parked an account
    // at its 4th failure in a row: the drop and three refused reconnects).
    await sleep(5_000);
    const during = await states();
    for (const id of ACCOUNTS) {
      const c = during.get(id)!;
      assert.ok(!isParkedConnectionState(c.state), `${id} parked during the outage: ${c.state} ${c.lastError}`);
    }
    const retrying = [...during.values()].filter((c) => /reconnecting in/.test(c.lastError ?? '')).length;
    assert.ok(retrying >= ACCOUNTS.length / 2, `most accounts say they are reconnecting (${retrying})`);
    const attempts = ACCOUNTS.map((id) => sim.counters(id).opened - before.get(id)!);
    assert.ok(
      Math.min(...attempts) >= 4,
      `every account kept trying past maxFailures (attempts: ${attempts.join(' ')})`,
    );
    // At the cap (≥ 200 ms between attempts, equal jitter), not faster: 5 s hold at most 25 + the ramp.
    assert.ok(Math.max(...attempts) <= 30, `no retry storm (attempts: ${attempts.join(' ')})`);
    await outage;

    await until(allOpen, 20_000, 'every account open again after the outage');
    for (const id of ACCOUNTS) {
      const counters = sim.counters(id);
      assert.equal(counters.maxLive, 1, `${id} never had two sockets`);
      assert.equal(counters.live, 1, `${id} has its one socket`);
    }
  });
});
