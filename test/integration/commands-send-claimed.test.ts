/**
 * Sends the executor has already claimed (`running`) that cannot go out at once: one whose socket
 * closed under it (Baileys' 428) waits for the next socket only until its deadline, then fails
 * with `expired` like an unclaimed one; one whose claim failed on Firestore and was tried again
 * keeps its place in its chat's queue.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { messageDocId, paths, threadDocId } from '@wasync/shared';
import { seedAccount } from '../../functions/test/support/fixtures.ts';
import type { RunningHost } from '../../socket-host/src/host.ts';
import { SimulatedWhatsApp } from '../../socket-host/src/transport/simulated/simulator.ts';
import {
  recordingTransport,
  stuckSendTransport,
  waitForCommand,
  writeCommandDoc,
} from '../../socket-host/test/support/commands.ts';
import { startTestHost, stateIs, waitForAccount } from '../../socket-host/test/support/host.ts';
import { clearFirestore, testDb } from '../support/firestore.ts';

const FAST = { connectMs: 20, historyChunkMs: 1, receiptMs: 150, onDemandMs: 20 };
const AGENT = 'claimed-agent';

describe('commands: claimed sends that cannot go out at once', function () {
  this.timeout(90_000);
  let host: RunningHost | undefined;

  beforeEach(clearFirestore);
  afterEach(async () => {
    await host?.shutdown.run('test end');
    host = undefined;
  });

  /**
   * A host on the simulated WhatsApp whose `sendMessage` of the text `stuck` hangs until the socket
   * closes and then fails as Baileys' does on a closed socket (428).
   */
  async function openHost(accountId: string, backoffMs: number) {
    await seedAccount(testDb(), accountId, { [AGENT]: 'agent' });
    const sim = new SimulatedWhatsApp({ seed: accountId, autoPairAfterMs: 50, timings: FAST });
    const recording = recordingTransport(sim);
    const { transport, stuck } = stuckSendTransport(recording.transport, 'stuck');
    host = await startTestHost({
      hostId: `host-${accountId}`,
      simulator: sim,
      transport,
      backoff: { baseMs: backoffMs, maxMs: backoffMs, maxFailures: 10 },
      env: { SEND_INTERVAL_MS: '0', SEND_JITTER_MS: '0', SEND_TTL_S: '10' },
    });
    await waitForAccount(accountId, (d) => d.connection?.state === 'open' && d.me !== undefined, 20_000);
    const jid = sim.phone(accountId).chats.find((c) => c.kind === 'dm' && c.jid.endsWith('@s.whatsapp.net'))!.jid;
    return { sim, sends: recording.sends, stuck, jid, host };
  }

  const textSend = (jid: string, text: string, n: number) => ({
    to: jid,
    text,
    clientMessageId: `c-${n}`,
    messageId: `3EB00000000000000000${String(n).padStart(2, '0')}`,
  });

  it('a send whose socket closed under it fails with expired at its deadline, and never goes out after the reconnect', async () => {
    const accountId = 'send-claimed-late';
    // The reconnect comes 6–12 s after the close (backoff with equal jitter); the send's deadline
    // (SEND_TTL_S 10) 3 s after it is written, before the close or after it.
    const { sim, sends, stuck, jid } = await openHost(accountId, 12_000);
    const payload = textSend(jid, 'stuck', 1);
    await writeCommandDoc(accountId, 'send-stuck', 'send', payload, { ageMs: 7_000 });
    await waitForCommand(accountId, 'send-stuck', 'running', 3_000);
    while (!stuck.reached) await sleep(20);

    await sim.disconnect(accountId, 428);
    const failed = await waitForCommand(accountId, 'send-stuck', 'failed', 8_000);
    assert.equal(failed.error.code, 'expired', JSON.stringify(failed.error));

    await waitForAccount(accountId, stateIs('open'), 20_000);
    await sleep(1_000);
    assert.deepEqual(sends, [], 'nothing went out late');
    const message = testDb().doc(
      paths.message(accountId, threadDocId(jid), messageDocId(null, true, payload.messageId)),
    );
    assert.equal((await message.get()).get('status'), 'error', 'the message stored pending did not go out');
  });

  it('a send whose claim failed on Firestore and was tried again still goes out before the later sends to its chat', async () => {
    const accountId = 'send-claim-retry';
    const { sends, jid, host } = await openHost(accountId, 100);
    const store = host.commands.executor(accountId)!.store;
    // The first claim of `send-1` fails as a Firestore transaction can (contention, unavailable).
    const claim = store.claim.bind(store);
    let failures = 0;
    store.claim = (commandId, now) => {
      if (commandId === 'send-1' && failures++ === 0) return Promise.reject(new Error('ABORTED: too much contention'));
      return claim(commandId, now);
    };
    for (const n of [1, 2, 3]) await writeCommandDoc(accountId, `send-${n}`, 'send', textSend(jid, `in order ${n}`, n));
    for (const n of [1, 2, 3]) await waitForCommand(accountId, `send-${n}`, 'done', 10_000);
    assert.equal(failures > 0, true, 'the first claim failed');
    assert.deepEqual(
      sends.map((s) => s.text),
      ['in order 1', 'in order 2', 'in order 3'],
    );
  });
});
