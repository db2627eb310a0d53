/**
 * How a backfill ends (backfill/backfill.ts, progress.ts), against the test Firestore with the
 * account's watch fed the connection events Baileys emits: never `running` for good — a logout
 * while it waits for a socket fails it with a code, a step that fails marks the account's
 * `backfill` failed; only an account let go leaves it `running`, for the next owner to resume.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Boom } from '@hapi/boom';
import { type BackfillPayload, paths, threadDocId } from '@wasync/shared';
import { DisconnectReason } from '@whiskeysockets/baileys';
import { Timestamp } from 'firebase-admin/firestore';
import { clearFirestore, testDb } from '../../../../test/support/firestore.ts';
import { type Fence, unfenced } from '../../../src/accounts/fence.ts';
import type { CommandSocket } from '../../../src/commands/account-control.ts';
import { AccountBackfill, type BackfillDeps } from '../../../src/commands/backfill/backfill.ts';
import { CommandStore } from '../../../src/commands/command-store.ts';
import { ConnectionWatch } from '../../../src/commands/connection-watch.ts';
import { createLogger } from '../../../src/log.ts';

const ACCOUNT = 'backfill-unit';
const PAYLOAD: BackfillPayload = { reason: 'manual', threads: 5, count: 20 };
const CONTACT = '4915100000001@s.whatsapp.net';

const open = (watch: ConnectionWatch) => watch.observe({ 'connection.update': { connection: 'open' } }, 1);
const closedWith = (watch: ConnectionWatch, statusCode: number) =>
  watch.observe(
    {
      'connection.update': {
        connection: 'close',
        lastDisconnect: { error: new Boom('Connection Failure', { statusCode }), date: new Date() },
      },
    },
    1,
  );

/** A thread with one stored message (so the backfill has something to top up). */
async function seedThread(): Promise<void> {
  const db = testDb();
  const at = Timestamp.fromMillis(1_700_000_000_000);
  await db.doc(paths.thread(ACCOUNT, threadDocId(CONTACT))).set({ jid: CONTACT, lastMessageAt: at });
  await db
    .doc(paths.message(ACCOUNT, threadDocId(CONTACT), 'm1'))
    .set({ id: '3EB0000000000000000001', timestamp: at, fromMe: false, accountId: ACCOUNT });
}

function backfillOf(watch: ConnectionWatch, deps: Partial<BackfillDeps> = {}) {
  const db = testDb();
  const fence = deps.fence ?? unfenced(db, ACCOUNT);
  const backfill = new AccountBackfill({
    db,
    accountId: ACCOUNT,
    fence,
    watch,
    socket: () => undefined,
    options: { concurrency: 1, requestTimeoutMs: 1_000, retries: 0 },
    log: createLogger('silent'),
    ...deps,
  });
  return { backfill, store: new CommandStore(db, ACCOUNT, fence, 60_000) };
}

const accountBackfill = async () => (await testDb().doc(paths.account(ACCOUNT)).get()).get('backfill');

/** A backfill over one stored thread, its socket gone (closed, the watch not told yet), once it recorded `running`. */
async function waitingForSocket(watch: ConnectionWatch) {
  await seedThread();
  open(watch);
  const { backfill, store } = backfillOf(watch);
  const run = backfill.run('cmd-1', PAYLOAD, store);
  for (let i = 0; i < 100 && (await accountBackfill())?.state !== 'running'; i++) await sleep(20);
  assert.equal((await accountBackfill())?.state, 'running');
  return { run };
}

describe('commands: backfill, how it ends', () => {
  beforeEach(async () => {
    await clearFirestore();
    await testDb().doc(paths.account(ACCOUNT)).set({ displayName: 'Backfill unit' });
  });

  it('logged out while it waits for a socket: fails with failed_precondition, the account says failed', async () => {
    const watch = new ConnectionWatch();
    const { run } = await waitingForSocket(watch);
    closedWith(watch, DisconnectReason.loggedOut);
    const outcome = await Promise.race([
      run.then(
        () => 'done',
        (err: { code?: string; message?: string }) => `${err.code}: ${err.message}`,
      ),
      sleep(5_000).then(() => 'still running after 5 s'),
    ]);
    assert.match(outcome, /^failed_precondition: logged_out/);
    const recorded = await accountBackfill();
    assert.equal(recorded.state, 'failed');
    assert.ok(recorded.finishedAt);
  });

  it('logged out while a request waits for its answer: fails at once, not after the request timeout', async () => {
    const watch = new ConnectionWatch();
    await seedThread();
    open(watch);
    const asked: string[] = [];
    // The phone never answers; the request timeout (60 s) is far away.
    const socket = {
      fetchMessageHistory: async () => {
        asked.push('req');
        return `req-${asked.length}`;
      },
    } as unknown as CommandSocket;
    const { backfill, store } = backfillOf(watch, {
      socket: () => socket,
      options: { concurrency: 1, requestTimeoutMs: 60_000, retries: 3 },
    });
    const run = backfill.run('cmd-1', PAYLOAD, store);
    for (let i = 0; i < 100 && asked.length === 0; i++) await sleep(20);
    assert.equal(asked.length, 1, 'the request went out');
    closedWith(watch, DisconnectReason.loggedOut);
    const outcome = await Promise.race([
      run.then(
        () => 'done',
        (err: { code?: string }) => err.code,
      ),
      sleep(5_000).then(() => 'still waiting after 5 s'),
    ]);
    assert.equal(outcome, 'failed_precondition');
    assert.equal(asked.length, 1, 'not asked again');
    const recorded = await accountBackfill();
    assert.equal(recorded.state, 'failed');
    assert.equal(recorded.unanswered, 0, 'a logout is not the phone staying silent');
  });

  it('logged out before it starts: fails at once, nothing recorded as running', async () => {
    const watch = new ConnectionWatch();
    closedWith(watch, DisconnectReason.loggedOut);
    const { backfill, store } = backfillOf(watch);
    const outcome = await Promise.race([
      backfill.run('cmd-1', PAYLOAD, store).then(
        () => 'done',
        (err: { code?: string }) => err.code,
      ),
      sleep(5_000).then(() => 'still waiting after 5 s'),
    ]);
    assert.equal(outcome, 'failed_precondition');
    assert.equal(await accountBackfill(), undefined);
  });

  it('a step that fails (Firestore refuses the final write): the account says failed, not running', async () => {
    const watch = new ConnectionWatch();
    open(watch);
    const db = testDb();
    const inner = unfenced(db, ACCOUNT);
    let writes = 0;
    // The second write of the account (the `done` after `running`) fails once, as an aborted transaction would.
    const fence: Fence = {
      ...inner,
      run: (write, read) => {
        writes += 1;
        return writes === 2 ? Promise.reject(new Error('10 ABORTED: too much contention')) : inner.run(write, read);
      },
    };
    const { backfill, store } = backfillOf(watch, { fence });
    await assert.rejects(backfill.run('cmd-1', PAYLOAD, store), /ABORTED/);
    const recorded = await accountBackfill();
    assert.equal(recorded.state, 'failed');
    assert.equal(recorded.threads, 0);
  });

  it('the account let go mid-way (shed, shutdown): the command and the account stay running, for the next owner', async () => {
    const watch = new ConnectionWatch();
    // The lease is still held (a graceful let-go): a write would go through, and must not be made.
    const { run } = await waitingForSocket(watch);
    watch.close();
    await assert.rejects(run, /let go/);
    // The next owner resumes the command and carries on the counts recorded (test below).
    assert.equal((await accountBackfill()).state, 'running');
  });

  it('picks its threads once the history import has caught up', async () => {
    const watch = new ConnectionWatch();
    open(watch);
    let imported!: () => void;
    const importing = new Promise<void>((resolve) => (imported = resolve));
    const asked: string[] = [];
    const socket: CommandSocket = {
      sendMessage: () => Promise.reject(new Error('no sends here')),
      fetchMessageHistory: async (_count, key) => {
        asked.push(key.remoteJid!);
        return 'req-1';
      },
    };
    const { backfill, store } = backfillOf(watch, {
      socket: () => socket,
      historyImported: () => importing,
      options: { concurrency: 1, requestTimeoutMs: 50, retries: 0 },
    });
    await testDb()
      .doc(paths.command(ACCOUNT, 'cmd-1'))
      .set({ type: 'backfill', state: 'running', claim: { epoch: 0 }, payload: PAYLOAD });
    const run = backfill.run('cmd-1', PAYLOAD, store);
    await sleep(300);
    // The import stores the thread now, then says it is done.
    await seedThread();
    imported();
    await run;
    const done = (await testDb().doc(paths.command(ACCOUNT, 'cmd-1')).get()).data()!;
    assert.deepEqual(done.result, { threads: 1, requested: 19, received: 0 });
    assert.deepEqual(asked, [CONTACT]);
  });
  it("resumed after a takeover: carries on the counts its run recorded, not another command's", async () => {
    const db = testDb();
    const watch = new ConnectionWatch();
    open(watch);
    const socket: CommandSocket = {
      sendMessage: () => Promise.reject(new Error('no sends here')),
      fetchMessageHistory: async () => 'req-1',
    };
    await seedThread();
    const earlier = Timestamp.fromMillis(Date.now() - 60_000);
    const runFor = async (commandId: string) => {
      const { backfill, store } = backfillOf(watch, {
        socket: () => socket,
        options: { concurrency: 1, requestTimeoutMs: 50, retries: 0 },
      });
      await db
        .doc(paths.command(ACCOUNT, commandId))
        .set({ type: 'backfill', state: 'running', claim: { epoch: 0 }, payload: PAYLOAD });
      await backfill.run(commandId, PAYLOAD, store);
      return (await db.doc(paths.command(ACCOUNT, commandId)).get()).get('result');
    };
    // The earlier owner recorded 3 threads, 150 asked, 88 received, 1 unanswered for cmd-1.
    const recorded = { state: 'running', commandId: 'cmd-1', threads: 3, requested: 150, received: 88, unanswered: 1 };
    await db.doc(paths.account(ACCOUNT)).update({ backfill: { ...recorded, startedAt: earlier } });
    // Threads: the 3 it had (one thread is left to top up now).
    assert.deepEqual(await runFor('cmd-1'), { threads: 3, requested: 169, received: 88 });
    const after = await accountBackfill();
    assert.deepEqual(
      { state: after.state, commandId: after.commandId, unanswered: after.unanswered },
      { state: 'done', commandId: 'cmd-1', unanswered: 2 },
    );
    assert.equal(after.startedAt.toMillis(), earlier.toMillis(), 'started when the first run started');

    // Another command's running record is not carried on.
    await db.doc(paths.account(ACCOUNT)).update({ backfill: { ...recorded, startedAt: earlier } });
    assert.deepEqual(await runFor('cmd-2'), { threads: 1, requested: 19, received: 0 });
    assert.equal((await accountBackfill()).unanswered, 1);
  });

  it("left running by an earlier owner past its window: the next owner's claim fails it, and the account's backfill too", async () => {
    const db = testDb();
    const hourAgo = Date.now() - 60 * 60_000;
    await db
      .doc(paths.account(ACCOUNT))
      .update({ backfill: { state: 'running', threads: 3, requested: 50, received: 50 } });
    await db.doc(paths.command(ACCOUNT, 'cmd-old')).set({
      type: 'backfill',
      state: 'running',
      claim: { epoch: 3 },
      payload: PAYLOAD,
      createdAt: Timestamp.fromMillis(hourAgo - 60_000),
      expiresAt: Timestamp.fromMillis(hourAgo),
      pairingGeneration: 0,
    });
    const store = new CommandStore(db, ACCOUNT, unfenced(db, ACCOUNT), 60_000);
    const decision = await store.claim('cmd-old');
    assert.equal(decision.kind === 'fail' && decision.error.code, 'expired');
    assert.equal((await db.doc(paths.command(ACCOUNT, 'cmd-old')).get()).get('state'), 'failed');
    const recorded = await accountBackfill();
    assert.equal(recorded.state, 'failed');
    assert.equal(recorded.received, 50, 'what it had done stays shown');
    assert.ok(recorded.finishedAt);
  });
});
