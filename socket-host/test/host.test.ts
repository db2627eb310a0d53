/**
 * The socket host as Cloud Run runs it: health endpoints, heartbeat in Firestore, and a SIGTERM
 * shutdown that cleans up well inside Cloud Run's 10 s grace period.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { REPO_ROOT } from '../../scripts/lib/firebase-emulators.ts';
import { waitFor } from '../../scripts/lib/ports.ts';
import { clearFirestore, firestoreHost, testDb } from '../../test/support/firestore.ts';
import { loadHostConfig, startHost } from '../src/host.ts';
import { createLogger } from '../src/log.ts';
import { spawnHost } from './support/process.ts';

const silent = createLogger('silent');

describe('socket host', () => {
  beforeEach(clearFirestore);

  describe('in-process', () => {
    it('serves /healthz and /readyz once its heartbeat reached Firestore', async () => {
      const config = loadHostConfig({ PORT: '0', HOST_ID: 'host-a', FIRESTORE_EMULATOR_HOST: firestoreHost() });
      const host = await startHost(config, silent);
      try {
        const live = await fetch(`${host.healthUrl}/healthz`);
        assert.equal(live.status, 200);
        const ready = await fetch(`${host.healthUrl}/readyz`);
        assert.equal(ready.status, 200);
        const body = (await ready.json()) as { status: string; hostId: string; firestore: string };
        assert.deepEqual([body.status, body.hostId, body.firestore], ['ok', 'host-a', 'ok']);
        assert.equal((await fetch(`${host.healthUrl}/nope`)).status, 404);

        const beat = (await testDb().doc('hosts/host-a').get()).data();
        assert.equal(beat?.hostId, 'host-a');
        assert.ok(beat?.heartbeatAt.toMillis() > Date.now() - 60_000);
      } finally {
        await host.shutdown.run('test');
      }
      assert.equal((await testDb().doc('hosts/host-a').get()).exists, false, 'heartbeat removed on shutdown');
      await assert.rejects(fetch(`${host.healthUrl}/healthz`), 'health server closed');
    });
  });

  describe('as a process (dist/main.js)', function () {
    this.timeout(30_000);
    before(() => execFileSync(process.execPath, ['socket-host/build.mjs'], { cwd: REPO_ROOT }));

    const startProcess = spawnHost;

    async function waitForLog(logs: Record<string, unknown>[], message: string): Promise<Record<string, unknown>> {
      const find = () => logs.find((l) => l.message === message);
      await waitFor(`log line "${message}"`, async () => find() !== undefined, 10_000);
      return find()!;
    }

    it('shuts down cleanly on SIGTERM within Cloud Run’s 10 s: sockets closed, state idle, leases released', async () => {
      await testDb()
        .doc('accounts/sig-1')
        .set({ displayName: 'sig', connection: { state: 'idle', updatedAt: new Date() } });
      const { child, logs } = startProcess({
        PORT: '0',
        HOST_ID: 'host-b',
        WHATSAPP_TRANSPORT: 'simulated',
        LEASE_TTL_MS: '5000',
      });
      const ready = await waitForLog(logs, 'socket host ready');
      assert.equal((await fetch(`${ready.health}/healthz`)).status, 200);
      assert.equal((await testDb().doc('hosts/host-b').get()).exists, true);
      await waitFor(
        'the account to open',
        async () => (await testDb().doc('accounts/sig-1').get()).get('connection.state') === 'open',
        20_000,
      );
      assert.equal((await testDb().doc('leases/sig-1').get()).get('holder'), 'host-b');

      const sentAt = Date.now();
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      const took = Date.now() - sentAt;
      assert.equal(code, 0);
      assert.ok(took < 10_000, `shutdown took ${took} ms`);
      await waitForLog(logs, 'shutdown complete');
      assert.equal((await testDb().doc('hosts/host-b').get()).exists, false);
      assert.equal((await testDb().doc('leases/sig-1').get()).get('holder'), null, 'lease released');
      assert.equal((await testDb().doc('accounts/sig-1').get()).get('connection.state'), 'idle');
      const counters = (await waitForLog(logs, 'simulated WhatsApp counters')).counters as Record<
        string,
        { live: number }
      >;
      assert.equal(counters['sig-1']?.live, 0, 'socket closed');
      // Every line is structured for Cloud Logging.
      for (const line of logs) assert.ok(typeof line.severity === 'string' && typeof line.message === 'string');
    });

    it('refuses to run a second instance with the same HOST_ID; a restart after kill -9 waits out the dead run', async () => {
      const env = { PORT: '0', HOST_ID: 'host-dup', WHATSAPP_TRANSPORT: 'simulated', LEASE_TTL_MS: '5000' };
      const first = startProcess(env);
      const processes = [first];
      try {
        const ready = await waitForLog(first.logs, 'socket host ready');
        const second = startProcess(env);
        processes.push(second);
        const [code] = await once(second.child, 'exit');
        assert.equal(code, 1, 'the second instance exits');
        const fatal = second.logs.find((l) => l.severity === 'CRITICAL');
        assert.match(JSON.stringify(fatal), /HOST_ID host-dup is in use by another running instance/);
        assert.equal(
          second.logs.find((l) => l.message === 'socket host ready'),
          undefined,
          'it never ran',
        );
        assert.equal(first.child.exitCode, null, 'the first keeps running');
        assert.equal((await fetch(`${ready.health}/readyz`)).status, 200);

        // A crashed run leaves a fresh heartbeat behind: its restart waits until it is stale, then runs.
        first.child.kill('SIGKILL');
        await once(first.child, 'exit');
        const restartedAt = Date.now();
        const third = startProcess(env);
        processes.push(third);
        await waitForLog(third.logs, 'socket host ready');
        assert.ok(Date.now() - restartedAt < 5_000 + 5_000, 'within the stale limit (LEASE_TTL_MS) and start-up');
        third.child.kill('SIGTERM');
        assert.deepEqual(await once(third.child, 'exit'), [0, null]);
      } finally {
        for (const p of processes)
          if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      }
    });

    it('refuses to start on bad configuration, listing every problem', async () => {
      const { child, logs } = startProcess({ PORT: 'x', HOST_ID: 'h', WHATSAPP_BACKFILL_COUNT: 'abc' });
      const [code] = await once(child, 'exit');
      assert.equal(code, 1);
      const fatal = logs.find((l) => l.severity === 'CRITICAL');
      assert.match(String(fatal?.message), /PORT/);
      assert.match(String(fatal?.message), /WHATSAPP_BACKFILL_COUNT/);
    });
  });
});
