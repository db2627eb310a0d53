/**
 * A backfill whose host lets the account go half-way (shutdown, shed, a lost lease) is not left
 * `running`: the command stays claimed by the old epoch, the next owner's executor finds it,
 * resumes it, and ends it `done` — asking only for what is still missing.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths } from '@wasync/shared';
import { requestBackfill } from '../../functions/src/commands/account-commands.ts';
import { seedAccount } from '../../functions/test/support/fixtures.ts';
import type { RunningHost } from '../../socket-host/src/host.ts';
import type { SimChat } from '../../socket-host/src/transport/simulated/phone.ts';
import { SimulatedWhatsApp } from '../../socket-host/src/transport/simulated/simulator.ts';
import { storedMessages, threadOf, waitForPairingHistory } from '../../socket-host/test/support/backfill.ts';
import { waitForCommand } from '../../socket-host/test/support/commands.ts';
import { startTestHost, waitForAccount } from '../../socket-host/test/support/host.ts';
import { clearFirestore, testDb } from '../support/firestore.ts';

const ACCOUNT = 'backfill-takeover';
const AGENT = { uid: 'backfill-agent', operator: false };
const RECENT = 12;
const COUNT = 100;

describe('commands: a backfill resumed by the next owner', function () {
  this.timeout(180_000);
  let host: RunningHost | undefined;
  after(async () => {
    await host?.shutdown.run('test end');
  });

  it('the host shuts down half-way: the next host resumes the command and ends it done', async () => {
    await clearFirestore();
    await seedAccount(testDb(), ACCOUNT, { [AGENT.uid]: 'agent' });
    const sim = new SimulatedWhatsApp({
      seed: ACCOUNT,
      autoPairAfterMs: 50,
      // Slow answers: the first host is stopped while it waits for one.
      timings: { connectMs: 20, historyChunkMs: 1, onDemandMs: 1_500 },
      phone: { contacts: 3, groups: 1, recentPerChat: RECENT, fullPerChat: 0 },
    });
    const env = { BACKFILL_CONCURRENCY: '1', BACKFILL_REQUEST_TIMEOUT_S: '30' };
    host = await startTestHost({ hostId: 'host-takeover-a', simulator: sim, env });
    await waitForAccount(ACCOUNT, (d) => d.connection?.state === 'open' && d.me !== undefined);
    const phone = sim.phone(ACCOUNT);
    const stored = (chat: SimChat) => storedMessages(ACCOUNT, threadOf(chat));
    // The pairing history first (it comes after `open`): the backfill tops up what it stored.
    await waitForPairingHistory(ACCOUNT, phone.chats, RECENT);
    const first = (await testDb().doc(paths.lease(ACCOUNT)).get()).get('epoch') as number;
    const { commandId } = await requestBackfill(testDb(), AGENT, { accountId: ACCOUNT, threads: 10, count: COUNT });
    const command = testDb().doc(paths.command(ACCOUNT, commandId));
    const deadline = Date.now() + 60_000;
    while ((await testDb().doc(paths.account(ACCOUNT)).get()).get('backfill.received') === undefined) {
      assert.ok(Date.now() < deadline, 'the backfill started on the first host');
      await sleep(50);
    }
    // Half-way: the first answer is in, the next request in flight.
    while (((await testDb().doc(paths.account(ACCOUNT)).get()).get('backfill.received') ?? 0) === 0) {
      assert.ok(Date.now() < deadline, 'a first answer arrived');
      await sleep(50);
    }
    await host.shutdown.run('half-way');
    const left = (await command.get()).data()!;
    assert.equal(left.state, 'running', 'left for the next owner');
    assert.equal(left.claim.epoch, first);

    host = await startTestHost({ hostId: 'host-takeover-b', simulator: sim, env });
    const done = await waitForCommand(ACCOUNT, commandId, 'done', 120_000);
    assert.ok(done.claim.epoch > first, `resumed under a later epoch (${done.claim.epoch})`);
    assert.equal(done.result.threads, phone.chats.length, JSON.stringify(done.result));
    const account = (await testDb().doc(paths.account(ACCOUNT)).get()).data()!;
    assert.equal(account.backfill.state, 'done');
    // Answers are counted as they arrive; the pipeline commits them behind.
    let counts: number[] = [];
    for (const until = Date.now() + 20_000; Date.now() < until; await sleep(200)) {
      counts = await Promise.all(phone.chats.map(stored));
      if (counts.every((n) => n === COUNT)) break;
    }
    assert.deepEqual(
      counts,
      phone.chats.map(() => COUNT),
      'every thread topped up, none twice',
    );
  });
});
