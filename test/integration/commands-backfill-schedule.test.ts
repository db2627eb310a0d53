/**
 * The reconnect backfill through Cloud Tasks, on firebase-tools' Functions and Tasks emulators:
 * an account's connection opens and delivers its backlog → the host enqueues a task on the
 * `backfill` queue (delay in [BACKFILL_JITTER_MIN_S, MAX_S], id from the account and its connect
 * epoch) → the Tasks emulator dispatches it to the `backfill` task function → a backfill command →
 * the host runs it against the simulated phone → older messages stored as `source: 'backfill'`.
 *
 * The Tasks emulator does not hold a task until its schedule time (firebase-tools 15: its queue
 * dispatches whatever it holds as soon as it has tokens; the time only goes out as the
 * X-CloudTasks-TaskETA header), so the delay is checked where it is chosen and sent, and the
 * spread of 30 accounts' delays is reported from the scheduler itself.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths } from '@wasync/shared';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { seedAccount } from '../../functions/test/support/fixtures.ts';
import { BackfillScheduler, backfillTaskId, type Scheduled } from '../../socket-host/src/commands/backfill/schedule.ts';
import type { RunningHost } from '../../socket-host/src/host.ts';
import { createLogger } from '../../socket-host/src/log.ts';
import { onDemandLedger } from '../../socket-host/src/transport/simulated/on-demand.ts';
import { SimulatedWhatsApp } from '../../socket-host/src/transport/simulated/simulator.ts';
import { waitForCommand } from '../../socket-host/test/support/commands.ts';
import { startTestHost, waitForAccount } from '../../socket-host/test/support/host.ts';
import { sharedEmulators } from '../support/emulators.ts';
import { clearFirestore, testDb } from '../support/firestore.ts';

const ACCOUNT = 'backfill-scheduled';

describe('commands: reconnect backfill scheduled through Cloud Tasks (Functions and Tasks emulators)', function () {
  this.timeout(240_000);
  let tasksHost: string;
  let host: RunningHost | undefined;
  const previous = process.env.CLOUD_TASKS_EMULATOR_HOST;

  before(async function () {
    this.timeout(240_000);
    tasksHost = (await sharedEmulators()).tasksHost;
    // firebase-admin's task queue API reads it per call.
    process.env.CLOUD_TASKS_EMULATOR_HOST = tasksHost;
  });
  after(async () => {
    await host?.shutdown.run('test end');
    if (previous === undefined) delete process.env.CLOUD_TASKS_EMULATOR_HOST;
    else process.env.CLOUD_TASKS_EMULATOR_HOST = previous;
  });

  it('open → task (delay in [10, 40] s) → task function → backfill command → phone answers → backfill messages', async () => {
    await clearFirestore();
    await seedAccount(testDb(), ACCOUNT, {});
    const sim = new SimulatedWhatsApp({
      seed: ACCOUNT,
      autoPairAfterMs: 50,
      timings: { connectMs: 20, historyChunkMs: 1, onDemandMs: 30 },
      phone: { contacts: 3, groups: 1, recentPerChat: 12, fullPerChat: 0 },
    });
    const scheduled: Scheduled[] = [];
    host = await startTestHost({
      hostId: 'host-scheduling',
      simulator: sim,
      env: { CLOUD_TASKS_EMULATOR_HOST: tasksHost },
      onBackfillScheduled: (accountId, s) => accountId === ACCOUNT && scheduled.push(s),
    });
    const open = await waitForAccount(ACCOUNT, (d) => d.connection?.state === 'open' && d.me !== undefined);
    assert.ok(open);
    const deadline = Date.now() + 30_000;
    while (scheduled.length === 0 && Date.now() < deadline) await sleep(50);
    // Pairing: the first socket restarts (515) before it delivers a backlog; the one that opens does.
    assert.equal(scheduled.length, 1, JSON.stringify(scheduled));
    const [task] = scheduled;
    assert.equal(task!.outcome, 'enqueued');
    assert.ok(task!.delaySeconds >= 10 && task!.delaySeconds <= 40, `delay ${task!.delaySeconds} s`);
    const lease = (await testDb().doc(paths.lease(ACCOUNT)).get()).data()!;
    const ids = [1, 2, 3].map((socket) => backfillTaskId(ACCOUNT, lease.epoch, socket));
    assert.ok(ids.includes(task!.taskId), 'task id from the account and its connect epoch');

    // The task function wrote the command (as the manual triggers do), the host ran it.
    let commandId: string | undefined;
    while (!commandId && Date.now() < deadline + 30_000) {
      const found = await testDb().collection(paths.commands(ACCOUNT)).where('type', '==', 'backfill').get();
      commandId = found.docs[0]?.id;
      if (!commandId) await sleep(100);
    }
    assert.ok(commandId, 'the task function wrote a backfill command');
    const done = await waitForCommand(ACCOUNT, commandId, 'done', 60_000);
    assert.equal(done.createdBy, 'system:reconnect');
    assert.equal(done.payload.reason, 'reconnect');
    assert.ok(done.result.received > 0, JSON.stringify(done.result));
    // `received` counts the phone's answers as they arrive; the pipeline commits them behind.
    const backfilled = async () =>
      (
        await testDb()
          .collectionGroup('messages')
          .where('accountId', '==', ACCOUNT)
          .where('source', '==', 'backfill')
          .count()
          .get()
      ).data().count;
    let stored = await backfilled();
    for (const until = Date.now() + 20_000; stored < done.result.received && Date.now() < until; ) {
      await sleep(200);
      stored = await backfilled();
    }
    assert.equal(stored, done.result.received, 'older messages stored as backfill');
    const account = (await testDb().doc(paths.account(ACCOUNT)).get()).data()!;
    assert.equal(account.backfill.state, 'done');
    assert.ok(account.lastBackfillAt);

    // The same connection enqueued again: Cloud Tasks refuses the id, the duplicate collapses.
    const app = initializeApp({ projectId: 'demo-wasync' }, 'schedule-duplicate');
    try {
      const scheduler = new BackfillScheduler(
        app,
        { region: 'us-central1', jitterMinS: 10, jitterMaxS: 40 },
        createLogger('silent'),
      );
      const socket = ids.indexOf(task!.taskId) + 1;
      assert.equal((await scheduler.schedule(ACCOUNT, lease.epoch, socket)).outcome, 'duplicate');
    } finally {
      await deleteApp(app);
    }
  });

  it('30 accounts connecting together on one host: every one backfilled through its task, never more than 2 requests in flight per account', async function () {
    this.timeout(300_000);
    await host?.shutdown.run('next test');
    host = undefined;
    await clearFirestore();
    const fleet = Array.from({ length: 30 }, (_, i) => `fleet-host-${String(i).padStart(2, '0')}`);
    for (const accountId of fleet) await seedAccount(testDb(), accountId, {});
    const sim = new SimulatedWhatsApp({
      seed: 'fleet',
      autoPairAfterMs: 50,
      timings: { connectMs: 20, historyChunkMs: 1, onDemandMs: 50 },
      phone: { contacts: 2, groups: 1, recentPerChat: 4, fullPerChat: 0 },
    });
    const scheduled = new Map<string, Scheduled>();
    host = await startTestHost({
      hostId: 'host-fleet-scheduling',
      simulator: sim,
      env: {
        CLOUD_TASKS_EMULATOR_HOST: tasksHost,
        BACKFILL_CONCURRENCY: '2',
        WHATSAPP_BACKFILL_COUNT: '60',
        // The production lease (not the tests' 5 s minimum): 30 pairings and imports in this one
        // process on a loaded 2-core machine missed 5 s renewals 30–90 times a run, each loss
        // reconnecting the account (a new task, a backfill started again from scratch) — the
        // failover tests' subject, not this one's.
        LEASE_TTL_MS: '30000',
      },
      onBackfillScheduled: (accountId, s) => scheduled.set(accountId, s),
    });
    const deadline = Date.now() + 240_000;
    const finished = new Set<string>();
    while (finished.size < fleet.length && Date.now() < deadline) {
      for (const accountId of fleet) {
        if (finished.has(accountId)) continue;
        const state = (await testDb().doc(paths.account(accountId)).get()).get('backfill.state');
        if (state === 'done') finished.add(accountId);
      }
      await sleep(500);
    }
    const missing = fleet.filter((a) => !finished.has(a));
    const why = await Promise.all(
      missing.map(async (a) => ({
        account: a,
        scheduled: scheduled.get(a),
        backfill: (await testDb().doc(paths.account(a)).get()).get('backfill'),
        lease: (await testDb().doc(paths.lease(a)).get()).get('epoch'),
        commands: (await testDb().collection(paths.commands(a)).get()).docs.map((d) => [
          d.get('state'),
          d.get('claim.epoch'),
          d.get('error'),
          d.get('result'),
        ]),
      })),
    );
    assert.equal(
      finished.size,
      fleet.length,
      `backfilled: ${finished.size} of ${fleet.length}: ${JSON.stringify(why)}`,
    );
    const delays = fleet.map((a) => scheduled.get(a)!.delaySeconds).sort((a, b) => a - b);
    assert.ok(
      delays.every((d) => d >= 10 && d <= 40),
      delays.join(','),
    );
    const inFlight = fleet.map((a) => onDemandLedger(sim.phone(a)).maxInFlight());
    console.log(
      `      30 accounts on one host: delays ${delays[0]}–${delays.at(-1)} s (median ${delays[15]}); most requests in flight per account: ${Math.max(...inFlight)}`,
    );
    assert.ok(Math.max(...inFlight) <= 2, inFlight.join(','));
    assert.ok(
      inFlight.every((n) => n >= 1),
      'every phone was asked',
    );
  });

  it('30 accounts connecting together: delays spread over the window (distribution reported)', async () => {
    const app = initializeApp({ projectId: 'demo-wasync' }, 'schedule-fleet');
    try {
      const scheduler = new BackfillScheduler(
        app,
        { region: 'us-central1', jitterMinS: 10, jitterMaxS: 40 },
        createLogger('silent'),
      );
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => scheduler.schedule(`fleet-${String(i).padStart(2, '0')}`, 1, 1)),
      );
      assert.deepEqual(new Set(results.map((r) => r.outcome)), new Set(['enqueued']));
      const delays = results.map((r) => r.delaySeconds).sort((a, b) => a - b);
      assert.ok(
        delays.every((d) => d >= 10 && d <= 40),
        delays.join(','),
      );
      const buckets = [10, 15, 20, 25, 30, 35].map(
        (from) => delays.filter((d) => d >= from && d < from + (from === 35 ? 6 : 5)).length,
      );
      const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
      console.log(
        `      30 accounts' backfill delays (s): min ${delays[0]}, median ${delays[15]}, max ${delays.at(-1)}, mean ${mean.toFixed(1)}; per 5 s from 10 s: ${buckets.join(' ')}`,
      );
      assert.ok(buckets.filter((n) => n > 0).length >= 4, `spread over the window: ${buckets.join(' ')}`);
      assert.ok(delays.at(-1)! - delays[0]! >= 15, 'not bunched');
    } finally {
      await deleteApp(app);
    }
  });
});
