/**
 * Exactly once across a crash: a socket host process claims a send, marks it `sending` and is
 * killed (SIGKILL) inside `sendMessage`, before the message reaches WhatsApp. Another host takes
 * the account over when the lease expires, finds the command `running` under the dead owner's
 * epoch, and sends it — once, with the id the functions chose.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { paths } from '@wasync/shared';
import { testApi } from '../../functions/test/support/api.ts';
import { newUser, seedAccount } from '../../functions/test/support/fixtures.ts';
import { REPO_ROOT } from '../../scripts/lib/firebase-emulators.ts';
import type { RunningHost } from '../../socket-host/src/host.ts';
import { SimulatedWhatsApp } from '../../socket-host/src/transport/simulated/simulator.ts';
import { recordingTransport, waitForCommand } from '../../socket-host/test/support/commands.ts';
import { startTestHost, waitForAccount } from '../../socket-host/test/support/host.ts';
import { clearFirestore, firestoreHost, testDb } from '../support/firestore.ts';

const ACCOUNT = 'send-crash';

describe('commands: a send survives its host dying between claim and send', function () {
  this.timeout(120_000);
  let host: RunningHost | undefined;
  after(async () => {
    await host?.shutdown.run('test end');
  });

  it('SIGKILL inside sendMessage; the next owner sends exactly one message with the chosen id', async () => {
    await clearFirestore();
    const agent = await newUser('crash-sender');
    await seedAccount(testDb(), ACCOUNT, { [agent.uid]: 'agent' });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'socket-host/test/support/send-crash-child.ts'), 'host-dies', ACCOUNT],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, FIRESTORE_EMULATOR_HOST: firestoreHost(), GCLOUD_PROJECT: 'demo-wasync' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const lines: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
    const exited = once(child, 'exit');
    try {
      const open = await waitForAccount(ACCOUNT, (d) => d.connection?.state === 'open' && d.me !== undefined, 60_000);
      const to = open.me.id.replace(/^1555/, '4930'); // any one-to-one chat
      const res = await testApi().post(
        '/api/whatsapp/send',
        { accountId: ACCOUNT, to, text: 'exactly once', clientMessageId: 'crash-1' },
        agent.idToken,
      );
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const { commandId, messageId } = res.body as { commandId: string; messageId: string };
      const [code, signal] = await exited;
      assert.equal(signal, 'SIGKILL', `child exit ${code} ${signal}: ${lines.join('\n')}`);
      assert.ok(
        lines.some((l) => l.includes('killed in sendMessage')),
        'died inside sendMessage',
      );

      const left = (await testDb().doc(paths.command(ACCOUNT, commandId)).get()).data()!;
      assert.equal(left.state, 'running', 'the dead host left it running');
      assert.equal(typeof left.sending?.epoch, 'number', 'and marked sending');
      const deadEpoch = left.claim.epoch as number;

      const sim = new SimulatedWhatsApp({ seed: ACCOUNT, autoPairAfterMs: false, timings: { connectMs: 20 } });
      const { transport, sends } = recordingTransport(sim);
      host = await startTestHost({
        hostId: 'host-takes-over',
        simulator: sim,
        transport,
        env: { SEND_INTERVAL_MS: '0', SEND_JITTER_MS: '0' },
      });
      const done = await waitForCommand(ACCOUNT, commandId, 'done', 60_000);
      assert.equal(done.result.messageId, messageId);
      assert.ok(done.claim.epoch > deadEpoch, 'finished by the new owner');
      await new Promise((r) => setTimeout(r, 1_000));
      assert.deepEqual(
        sends.map((s) => [s.jid, s.messageId]),
        [[to, messageId]],
        'exactly one message reached the simulated WhatsApp',
      );
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
