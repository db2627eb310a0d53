/**
 * A second backfill of an account while one runs joins it: it asks the phone nothing of its own
 * (a second walk over the same threads would double the requests a phone sees) and ends with the
 * running one's result.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { seedAccount } from '../../functions/test/support/fixtures.ts';
import type { RunningHost } from '../../socket-host/src/host.ts';
import { onDemandLedger } from '../../socket-host/src/transport/simulated/on-demand.ts';
import { SimulatedWhatsApp } from '../../socket-host/src/transport/simulated/simulator.ts';
import { storedMessages, threadOf, waitForPairingHistory } from '../../socket-host/test/support/backfill.ts';
import { waitForCommand, writeCommandDoc } from '../../socket-host/test/support/commands.ts';
import { startTestHost, waitForAccount } from '../../socket-host/test/support/host.ts';
import { clearFirestore, testDb } from '../support/firestore.ts';

const ACCOUNT = 'backfill-join';
const RECENT = 12;
const COUNT = 100;

describe('commands: a second backfill joins the running one', function () {
  this.timeout(120_000);
  let host: RunningHost | undefined;
  after(async () => {
    await host?.shutdown.run('test end');
  });

  it('two backfill commands, the second while the first runs: one walk, both done with its result', async () => {
    await clearFirestore();
    await seedAccount(testDb(), ACCOUNT, {});
    const sim = new SimulatedWhatsApp({
      seed: ACCOUNT,
      autoPairAfterMs: 50,
      timings: { connectMs: 20, historyChunkMs: 1, onDemandMs: 40 },
      phone: { contacts: 2, groups: 1, recentPerChat: RECENT, fullPerChat: 0 },
    });
    host = await startTestHost({ hostId: 'host-backfill-join', simulator: sim, env: { BACKFILL_CONCURRENCY: '1' } });
    await waitForAccount(ACCOUNT, (d) => d.connection?.state === 'open' && d.me !== undefined);
    const phone = sim.phone(ACCOUNT);
    const count = (threadId: string) => storedMessages(ACCOUNT, threadId);
    await waitForPairingHistory(ACCOUNT, phone.chats, RECENT);

    const ledger = onDemandLedger(phone);
    const payload = { reason: 'manual', threads: 6, count: COUNT };
    await writeCommandDoc(ACCOUNT, 'backfill-1', 'backfill', payload);
    while (ledger.requests.length === 0) await sleep(10);
    await writeCommandDoc(ACCOUNT, 'backfill-2', 'backfill', payload);
    const [first, second] = await Promise.all([
      waitForCommand(ACCOUNT, 'backfill-1', 'done', 60_000),
      waitForCommand(ACCOUNT, 'backfill-2', 'done', 60_000),
    ]);
    // Each chat: 88 missing, asked as 50 + 38, once.
    const missing = COUNT - RECENT;
    assert.deepEqual(first.result, {
      threads: phone.chats.length,
      requested: phone.chats.length * missing,
      received: phone.chats.length * missing,
    });
    assert.deepEqual(second.result, first.result, 'the second ends with the running one’s result');
    assert.equal(ledger.requests.length, phone.chats.length * 2, 'one walk: nothing asked twice');
    for (const chat of phone.chats) assert.equal(await count(threadOf(chat)), COUNT, chat.jid);
  });
});
