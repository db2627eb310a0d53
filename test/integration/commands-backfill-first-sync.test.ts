/**
 * A backfill asked for the moment a fresh account's first connection delivered its backlog — as
 * a reconnect task does when its queue dispatches at once (the Tasks emulator ignores the delay; a
 * warm Functions emulator runs it within a second) — while the pairing history is still being
 * imported: it waits for the import, then walks every thread. Before, it found the threads not
 * stored yet and ended `done` with 0 threads (20 of 37 backfills in a run of the 30-account test
 * after another test had warmed the Functions emulator).
 */
import assert from 'node:assert/strict';
import { requestBackfill } from '../../functions/src/commands/account-commands.ts';
import { seedAccount } from '../../functions/test/support/fixtures.ts';
import type { RunningHost } from '../../socket-host/src/host.ts';
import { onDemandLedger } from '../../socket-host/src/transport/simulated/on-demand.ts';
import { SimulatedWhatsApp } from '../../socket-host/src/transport/simulated/simulator.ts';
import { storedMessages, threadOf } from '../../socket-host/test/support/backfill.ts';
import { waitForCommand } from '../../socket-host/test/support/commands.ts';
import { startTestHost } from '../../socket-host/test/support/host.ts';
import { clearFirestore, testDb } from '../support/firestore.ts';

const ACCOUNT = 'backfill-first-sync';
const AGENT = { uid: 'backfill-agent', operator: false };
const RECENT = 120;
const COUNT = 150;

describe('commands: a backfill asked for while the pairing history is imported', function () {
  this.timeout(180_000);
  let host: RunningHost | undefined;
  after(async () => {
    await host?.shutdown.run('test end');
  });

  it('waits for the import, then tops up every thread', async () => {
    await clearFirestore();
    await seedAccount(testDb(), ACCOUNT, { [AGENT.uid]: 'agent' });
    const sim = new SimulatedWhatsApp({
      seed: ACCOUNT,
      autoPairAfterMs: 50,
      timings: { connectMs: 20, historyChunkMs: 1, onDemandMs: 20 },
      // 600 messages: an import of a few seconds on the test Firestore.
      phone: { contacts: 4, groups: 1, recentPerChat: RECENT, fullPerChat: 0 },
    });
    const asked: Promise<string>[] = [];
    host = await startTestHost({
      hostId: 'host-first-sync',
      simulator: sim,
      // Above Baileys' 30 s event-buffer cap, which can hold an answer that long (at 30 s one came
      // late on a loaded CI run, and its thread's messages were not counted as received).
      env: { BACKFILL_CONCURRENCY: '2', BACKFILL_REQUEST_TIMEOUT_S: '35' },
      commands: {
        // The backlog (with the pairing history) is handed to the pipeline right after this.
        onBacklogDrained: (context) =>
          void asked.push(
            requestBackfill(testDb(), AGENT, { accountId: context.accountId, threads: 10, count: COUNT }).then(
              (written) => written.commandId,
            ),
          ),
      },
    });
    const deadline = Date.now() + 60_000;
    while (asked.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(asked.length, 1, 'one connection delivered its backlog');
    const done = await waitForCommand(ACCOUNT, await asked[0]!, 'done', 120_000);
    const phone = sim.phone(ACCOUNT);
    assert.equal(done.result.threads, phone.chats.length, JSON.stringify(done.result));
    assert.equal(done.result.received, phone.chats.length * (COUNT - RECENT), JSON.stringify(done.result));
    assert.ok(onDemandLedger(phone).maxInFlight() >= 1, 'the phone was asked');
    for (const chat of phone.chats) {
      const stored = await storedMessages(ACCOUNT, threadOf(chat));
      assert.ok(stored >= RECENT, `${chat.jid}: ${stored}`);
    }
  });
});
