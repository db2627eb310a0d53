/**
 * AccountSession on its own, with the lease answers stubbed: the 440 decision depends only on who
 * holds the lease when the connection is replaced.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths } from '@wasync/shared';
import { jidNormalizedUser } from '@whiskeysockets/baileys';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import { unfenced } from '../../src/accounts/fence.ts';
import { Keyring } from '../../src/auth-state/crypto.ts';
import { AccountAuthStore } from '../../src/auth-state/store.ts';
import { AccountSession } from '../../src/connection/account-session.ts';
import type { ConnectionPatch, ConnectionWriter } from '../../src/connection/connection-writer.ts';
import { createLogger } from '../../src/log.ts';
import { type BaileysEventBatch, discardingConsumer, type QueueLimits } from '../../src/pipeline/consumer.ts';
import { FirestoreMessageContentStore } from '../../src/pipeline/message-content.ts';
import { SimulatedWhatsApp } from '../../src/transport/simulated/simulator.ts';
import type { ConnectOptions } from '../../src/transport/types.ts';
import { WaVersionSource } from '../../src/transport/wa-version.ts';
import { outageFence } from '../support/faults.ts';

const log = createLogger(process.env.WASYNC_TEST_LOG ?? 'silent');
const keyring = new Keyring(randomBytes(32));

function sessionDeps(accountId: string, sim: SimulatedWhatsApp, holder: 'this host' | 'another host' = 'this host') {
  const fence = unfenced(testDb(), accountId);
  return {
    accountId,
    epoch: 1,
    fence,
    isOwner: () => true,
    leaseHolder: async () => holder,
    transport: sim.transport(),
    auth: new AccountAuthStore({ db: testDb(), keyring, log }, accountId, fence),
    contents: new FirestoreMessageContentStore(testDb()),
    consumer: discardingConsumer,
    options: {
      syncFullHistory: true,
      backoff: { baseMs: 50, maxMs: 100, maxFailures: 3, stableMs: 60_000 },
      drainTimeoutMs: 1000,
    },
    log,
    baileysLog: log,
  };
}

function session(
  accountId: string,
  sim: SimulatedWhatsApp,
  holder: 'this host' | 'another host',
  auth?: AccountAuthStore,
) {
  const writes: ConnectionPatch[] = [];
  const connection = {
    write: async (p: ConnectionPatch) => void writes.push(p),
    flush: async () => {},
  } as unknown as ConnectionWriter;
  const s = new AccountSession({
    ...sessionDeps(accountId, sim, holder),
    ...(auth ? { auth } : {}),
    connection,
  }).start();
  return { session: s, writes };
}

function recorder(writes: ConnectionPatch[]): ConnectionWriter {
  return {
    write: async (p: ConnectionPatch) => void writes.push(p),
    flush: async () => {},
  } as unknown as ConnectionWriter;
}

/**
 * A session whose consumer, once `block()` was called, holds every batch until `release()` (a
 * pipeline that cannot write); `onBatch` sees each batch it handles.
 */
function blockingSession(
  accountId: string,
  sim: SimulatedWhatsApp,
  queue: Partial<QueueLimits>,
  onBatch: (events: BaileysEventBatch) => void,
) {
  let release!: () => void;
  const stuck = new Promise<void>((r) => {
    release = r;
  });
  let blocking = false;
  let caughtUp = false;
  const writes: ConnectionPatch[] = [];
  const deps = sessionDeps(accountId, sim);
  const session = new AccountSession({
    ...deps,
    options: { ...deps.options, queue },
    consumer: {
      openAccount: () => ({
        handle: async (events) => {
          if (blocking) await stuck;
          if (events['connection.update']?.receivedPendingNotifications) caughtUp = true;
          onBatch(events);
        },
        close: async () => {},
      }),
    },
    connection: recorder(writes),
  }).start();
  return {
    session,
    writes,
    /** The first login's offline backlog is in. */
    caughtUp: () => caughtUp,
    block: () => {
      blocking = true;
    },
    release: () => release(),
  };
}

async function until(probe: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('AccountSession', () => {
  beforeEach(clearFirestore);
  const timings = { connectMs: 10, historyChunkMs: 1 };

  it('440 while another host holds the lease: yields, writes nothing, opens nothing', async () => {
    const sim = new SimulatedWhatsApp({ autoPairAfterMs: 20, timings });
    const { session: s, writes } = session('a', sim, 'another host');
    await until(() => writes.some((w) => w.connection.state === 'open'));
    const opened = sim.counters('a').opened;
    const before = writes.length;
    await sim.disconnect('a', 440);
    assert.equal(await s.done, 'yielded');
    assert.equal(writes.length, before, 'no state written');
    assert.equal(sim.counters('a').opened, opened);
  });

  it('440 while this host still holds the lease: parks as closed', async () => {
    const sim = new SimulatedWhatsApp({ autoPairAfterMs: 20, timings });
    const { session: s, writes } = session('b', sim, 'this host');
    await until(() => writes.some((w) => w.connection.state === 'open'));
    await sim.disconnect('b', 440);
    assert.equal(await s.done, 'parked');
    assert.equal(writes.at(-1)?.connection.state, 'closed');
    assert.match(writes.at(-1)?.connection.lastError ?? '', /^connection_replaced/);
  });

  it('a stop (rebalancing, shutdown) that comes while the session parks never writes idle over the park', async () => {
    const sim = new SimulatedWhatsApp({ autoPairAfterMs: 20, timings });
    const writes: ConnectionPatch[] = [];
    let stopping: Promise<void> | undefined;
    const s: AccountSession = new AccountSession({
      ...sessionDeps('pk', sim),
      connection: {
        write: async (p: ConnectionPatch) => {
          writes.push(p);
          // The owner lets the account go the moment the park is queued (a rebalancing round).
          if (p.connection.state === 'closed') stopping = s.stop('rebalance', { connection: { state: 'idle' } });
        },
        flush: async () => {},
      } as unknown as ConnectionWriter,
    }).start();
    await until(() => writes.some((w) => w.connection.state === 'open'));
    await sim.disconnect('pk', 440);
    await until(() => stopping !== undefined);
    await stopping;
    assert.deepEqual(
      writes.slice(-1).map((w) => w.connection.state),
      ['closed'],
      'parked stays parked: a host taking it would reconnect a replaced or logged-out account',
    );
  });

  it('stop() closes the socket without logging out and ends the session', async () => {
    const sim = new SimulatedWhatsApp({ autoPairAfterMs: 20, timings });
    const { session: s, writes } = session('c', sim, 'this host');
    await until(() => writes.some((w) => w.connection.state === 'open'));
    await s.stop('test', { connection: { state: 'idle' } });
    assert.equal(await s.done, 'stopped');
    assert.equal(sim.counters('c').live, 0);
    assert.equal(writes.at(-1)?.connection.state, 'idle');
    // Not logged out: the same creds log in again.
    const again = session('c', sim, 'this host');
    await until(() => again.writes.some((w) => w.connection.state === 'open'));
    assert.ok(!again.writes.some((w) => w.connection.state === 'qr'), 'no new pairing needed');
    await again.session.stop('test');
  });

  it('a reconnect after a failure logs in with the creds still being saved, not the older stored ones', async () => {
    const sim = new SimulatedWhatsApp({ autoPairAfterMs: 20, timings });
    const fence = unfenced(testDb(), 'e');
    // Firestore answering slower than the first backoff step (≤ 50 ms here).
    const slow = new (class extends AccountAuthStore {
      override async writeCreds(creds: Parameters<AccountAuthStore['writeCreds']>[0]) {
        await new Promise((r) => setTimeout(r, 300));
        return super.writeCreds(creds);
      }
    })({ db: testDb(), keyring, log }, 'e', fence);
    const loggedInWith: (number | undefined)[] = [];
    const writes: ConnectionPatch[] = [];
    const s = new AccountSession({
      ...sessionDeps('e', sim),
      auth: slow,
      transport: {
        kind: 'simulated',
        connect: (options) => {
          loggedInWith.push(options.auth.creds.accountSyncCounter);
          return sim.connect(options);
        },
      },
      connection: {
        write: async (p: ConnectionPatch) => void writes.push(p),
        flush: async () => {},
      } as unknown as ConnectionWriter,
    }).start();
    try {
      await until(() => writes.some((w) => w.connection.state === 'open'));
      sim.socket('e')!.ev.emit('creds.update', { accountSyncCounter: 42 });
      await sim.disconnect('e', 428);
      await until(() => loggedInWith.length === 3);
      assert.equal(loggedInWith[2], 42);
    } finally {
      await s.stop('test');
    }
  });

  it("Baileys' retry counts and group metadata outlive reconnects: one set of caches per session, given to every socket", async () => {
    const sim = new SimulatedWhatsApp({ autoPairAfterMs: 20, timings });
    const connects: ConnectOptions[] = [];
    const writes: ConnectionPatch[] = [];
    let groupsSeen = 0;
    const s = new AccountSession({
      ...sessionDeps('g', sim),
      consumer: {
        openAccount: () => ({
          handle: async (events) => {
            groupsSeen += events['groups.update']?.length ?? 0;
          },
          close: async () => {},
        }),
      },
      transport: {
        ...sim.transport(),
        connect: (options) => {
          connects.push(options);
          return sim.connect(options);
        },
      },
      connection: recorder(writes),
    }).start();
    const opens = () => writes.filter((w) => w.connection.state === 'open').length;
    try {
      await until(() => opens() === 1);
      const group = sim.phone('g').chats.find((c) => c.kind === 'group')!;
      // What the pipeline does after each connect: the group list arrives as `groups.update`.
      await sim.socket('g')!.groupFetchAllParticipating();
      // Emitted once the socket's buffer is flushed (after the offline backlog).
      await until(() => groupsSeen > 0);
      const retries = connects.at(-1)!.msgRetryCounterCache!;
      await retries.set('failed-msg', 2);
      await sim.disconnect('g', 428);
      await until(() => opens() === 2);
      const last = connects.at(-1)!;
      assert.equal(connects.length, 3, 'pairing socket, its restart, the reconnect');
      assert.equal(last.msgRetryCounterCache, retries, 'the same retry counter');
      assert.equal(await last.msgRetryCounterCache!.get('failed-msg'), 2);

      const socket = sim.socket('g')!;
      let queries = 0;
      const query = socket.groupMetadata;
      socket.groupMetadata = (jid) => {
        queries++;
        return query(jid);
      };
      const cached = await last.cachedGroupMetadata!(group.jid);
      assert.equal(cached?.id, group.jid);
      assert.equal(cached?.participants.length, group.members.length + 1);
      assert.equal(queries, 0, 'known from the list the previous socket fetched');
      const seen = groupsSeen;
      socket.ev.emit('groups.update', [{ id: group.jid, subject: 'renamed' }]);
      await until(() => groupsSeen > seen);
      assert.equal((await last.cachedGroupMetadata!(group.jid))?.subject, 'renamed');
      assert.equal((await last.cachedGroupMetadata!(group.jid))?.participants.length, group.members.length + 1);
      // A member change: the next send asks WhatsApp once, and the answer is kept.
      socket.ev.emit('group-participants.update', {
        id: group.jid,
        author: sim.phone('g').meJid,
        participants: [],
        action: 'remove',
      });
      assert.equal((await last.cachedGroupMetadata!(group.jid))?.subject, group.name);
      assert.equal(queries, 1);
      await last.cachedGroupMetadata!(group.jid);
      assert.equal(queries, 1);
    } finally {
      await s.stop('test');
    }
  });

  for (const includeStatusBroadcast of [false, true]) {
    it(`status updates ${includeStatusBroadcast ? 'reach the pipeline when mirrored' : 'are ignored by the socket (shouldIgnoreJid) when not mirrored'}`, async () => {
      const sim = new SimulatedWhatsApp({ autoPairAfterMs: 20, timings });
      const id = `st-${includeStatusBroadcast}`;
      const upserted: string[] = [];
      const writes: ConnectionPatch[] = [];
      const deps = sessionDeps(id, sim);
      const s = new AccountSession({
        ...deps,
        options: { ...deps.options, includeStatusBroadcast },
        consumer: {
          openAccount: () => ({
            handle: async (events) => {
              for (const m of events['messages.upsert']?.messages ?? []) upserted.push(m.key.remoteJid!);
            },
            close: async () => {},
          }),
        },
        connection: recorder(writes),
      }).start();
      try {
        await until(() => writes.some((w) => w.connection.state === 'open'));
        const status = await sim.receiveStatus(id);
        const live = await sim.receive(id);
        await until(() => upserted.includes(live.key.remoteJid!));
        assert.equal(status?.key.remoteJid, includeStatusBroadcast ? 'status@broadcast' : undefined);
        assert.equal(upserted.includes('status@broadcast'), includeStatusBroadcast);
      } finally {
        await s.stop('test');
      }
    });
  }

  it('405 with a newer WhatsApp Web version: reconnects at once, no failure; with none newer: a failure, with backoff', async () => {
    const sim = new SimulatedWhatsApp({ autoPairAfterMs: 20, timings });
    const versions = new WaVersionSource(
      { fetch: sim.transport().latestVersion!, refreshEveryMs: 86_400_000, minFetchIntervalMs: 0 },
      log,
    );
    const writes: ConnectionPatch[] = [];
    const s = new AccountSession({
      ...sessionDeps('v', sim),
      waVersion: versions,
      connection: recorder(writes),
    }).start();
    const opens = () => writes.filter((w) => w.connection.state === 'open').length;
    const failures = () => writes.filter((w) => /Connection Failure \(405\)/.test(w.connection.lastError ?? ''));
    try {
      await until(() => opens() === 1);
      const [major, minor, patch] = sim.version;
      sim.release([major, minor, patch + 1]);
      await sim.disconnect('v', 405);
      await until(() => opens() === 2);
      assert.deepEqual(versions.version, [major, minor, patch + 1]);
      assert.deepEqual(failures(), [], 'no backoff, no failure counted');
      // Refused again, and WhatsApp Web has nothing newer: that is a failure of this connection.
      await sim.disconnect('v', 405);
      await until(() => opens() === 3);
      // Counted once (the reconnect's own `connecting` write keeps the reason visible too).
      assert.ok(failures().length >= 1);
      for (const f of failures()) assert.match(f.connection.lastError!, /reconnecting in [\d.]+ s \(1 in a row\)/);
    } finally {
      await s.stop('test');
      versions.stop();
    }
  });

  it('a pipeline that falls behind pauses the socket (no failure, nothing dropped) until it caught up', async () => {
    const sim = new SimulatedWhatsApp({ autoPairAfterMs: 20, timings });
    const handled: string[] = [];
    const {
      session: s,
      writes,
      caughtUp,
      block,
      release,
    } = blockingSession('p', sim, { pauseAt: 12, resumeAt: 1 }, (events) => {
      for (const m of events['messages.upsert']?.messages ?? []) handled.push(m.key.id!);
    });
    try {
      await until(caughtUp); // the offline backlog is in: live messages come one batch each
      block(); // Firestore stops taking writes
      const received: string[] = [];
      for (let i = 0; i < 30 && sim.socket('p')?.isOpen; i++) {
        received.push((await sim.receive('p')).key.id!);
        await sleep(120); // past the buffer's 100 ms flush: one batch each
      }
      assert.ok(received.length >= 6 && received.length <= 12, `${received.length} messages until the pause`);
      const opened = sim.counters('p').opened;
      await sleep(300);
      assert.equal(sim.counters('p').live, 0, 'no socket while the pipeline is behind');
      assert.equal(sim.counters('p').opened, opened, 'no reconnect loop');
      assert.match(writes.at(-1)?.connection.lastError ?? '', /^paused: \d+ event batches wait for the pipeline/);
      const opens = writes.filter((w) => w.connection.state === 'open').length;
      release();
      await until(() => writes.filter((w) => w.connection.state === 'open').length === opens + 1);
      assert.equal(sim.counters('p').opened, opened + 1);
      assert.ok(!writes.some((w) => /attempt \d+ of/.test(w.connection.lastError ?? '')), 'not counted as a failure');
      await until(() => received.every((id) => handled.includes(id)));
    } finally {
      await s.stop('test');
    }
  });

  it("the pause delivers what Baileys' event buffer holds before it ends the socket", async () => {
    const sim = new SimulatedWhatsApp({ autoPairAfterMs: 20, timings });
    const chatUpdates: string[] = [];
    const {
      session: s,
      writes,
      caughtUp,
      block,
      release,
    } = blockingSession('q', sim, { pauseAt: 5, resumeAt: 0 }, (events) => {
      for (const c of events['chats.update'] ?? []) chatUpdates.push(c.id!);
    });
    try {
      await until(caughtUp);
      // (The first login's many small batches may already have paused it once at this tiny bound.)
      const opens = writes.filter((w) => w.connection.state === 'open').length;
      block();
      const socket = sim.socket('q')!;
      // Baileys buffering (e.g. its offline backlog): a chat update held, direct events still flow.
      socket.ev.buffer();
      socket.ev.emit('chats.update', [{ id: 'buffered@s.whatsapp.net', unreadCount: 1 }]);
      for (let i = 0; i < 6 && !socket.isClosed; i++) socket.ev.emit('connection.update', { isOnline: true });
      await until(() => socket.isClosed);
      release();
      await until(() => writes.filter((w) => w.connection.state === 'open').length === opens + 1);
      // The simulated phone's own chat updates (unread counts, archives) flow too; the held one must be among them.
      assert.ok(
        chatUpdates.includes('buffered@s.whatsapp.net'),
        `held chat update delivered (got ${chatUpdates.join(', ')})`,
      );
    } finally {
      await s.stop('test');
    }
  });

  it('a Firestore outage during pairing loses no pairing: the restart logs in paired, the creds land once it is back', async function () {
    this.timeout(60_000); // up to 10 s to pair, 4 s down, 10 s to open, 10 s to land, then a new login: slow on a loaded machine
    const sim = new SimulatedWhatsApp({ autoPairAfterMs: 20, timings });
    // Every auth-state commit fails while Firestore is down; the creds save is retried past the
    // 5 tries it used to give up after (≈ 2 s), then a reconnect loaded older creds: a new pairing.
    const outage = outageFence(unfenced(testDb(), 'p'));
    outage.down = true;
    let credsFailures = 0;
    const auth = new (class extends AccountAuthStore {
      override async writeCreds(creds: Parameters<AccountAuthStore['writeCreds']>[0]) {
        try {
          return await super.writeCreds(creds);
        } catch (err) {
          credsFailures++;
          throw err;
        }
      }
    })({ db: testDb(), keyring, log }, 'p', outage);
    const identities: string[] = [];
    const transport = {
      kind: 'simulated' as const,
      connect: (options: Parameters<ReturnType<SimulatedWhatsApp['transport']>['connect']>[0]) => {
        identities.push(Buffer.from(options.auth.creds.signedIdentityKey.public).toString('hex'));
        return sim.connect(options);
      },
    };
    const writes: ConnectionPatch[] = [];
    const connection = {
      write: async (p: ConnectionPatch) => void writes.push(p),
      flush: async () => {},
    } as unknown as ConnectionWriter;
    const s = new AccountSession({ ...sessionDeps('p', sim), auth, transport, connection }).start();
    try {
      // Paired: the phone scanned the QR and WhatsApp asked for the restart (515). The socket after
      // it opens only once its pre-keys are saved (Baileys uploads them before 'open', and a pre-key
      // the server hands out must exist here), so it waits for Firestore.
      await until(() => identities.length >= 2, 10_000);
      // Down for longer than the 5 tries took.
      await new Promise((r) => setTimeout(r, 4000));
      assert.ok(credsFailures > 5, `${credsFailures} failed creds saves`);
      outage.down = false;
      await until(() => writes.some((w) => w.connection.state === 'open'), 10_000);
      const me = writes.find((w) => w.me)?.me?.id;
      assert.ok(me, 'paired');
      // Reads are not part of the outage: what a fresh host would load once the save landed.
      const fresh = () => new AccountAuthStore({ db: testDb(), keyring, log }, 'p', unfenced(testDb(), 'p'));
      const landed = async () => {
        for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
          const creds = await fresh().readCreds();
          if (creds?.me) return creds;
        }
        return undefined;
      };
      const stored = await landed();
      assert.equal(stored?.me?.id && jidNormalizedUser(stored.me.id), me, 'the paired creds landed');
      assert.equal(writes.filter((w) => w.connection.state === 'qr').length, 1, 'one QR: no second pairing');
      assert.equal(new Set(identities).size, 1, 'every socket logged in with the same identity');
      assert.ok(identities.length >= 2, 'the restart after pairing (515) logged in again');
    } finally {
      await s.stop('test');
    }
    // A host starting now logs in paired, without a QR.
    const again = session('p', sim, 'this host');
    await until(() => again.writes.some((w) => w.connection.state === 'open'));
    assert.ok(!again.writes.some((w) => w.connection.state === 'qr'), 'no new pairing needed');
    await again.session.stop('test');
  });

  it('keys written behind reach Firestore when the session stops, however long their bound', async () => {
    const sim = new SimulatedWhatsApp({ autoPairAfterMs: 20, timings });
    const keyWrites = { flushMs: 600_000, flushKeys: 10_000, maxKeys: 100_000 };
    const auth = new AccountAuthStore({ db: testDb(), keyring, log, keyWrites }, 'k', unfenced(testDb(), 'k'));
    const { session: s, writes } = session('k', sim, 'this host', auth);
    await until(() => writes.filter((w) => w.connection.state === 'open').length > 0);
    const types = async () =>
      new Set(
        (
          await testDb()
            .collection(`${paths.authState('k')}/keys`)
            .get()
        ).docs.map((d) => d.get('type')),
      );
    // The login stored the account's own LID mapping and device list: still in memory. (Pre-keys are
    // not written behind: they land with the creds counter before Baileys uploads them.)
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      [...(await types())].filter((t) => t !== 'pre-key'),
      [],
    );
    await s.stop('test');
    const stored = await types();
    assert.ok(stored.has('lid-mapping') && stored.has('device-list'), `stored: ${[...stored].join(', ')}`);
  });

  it('an auth state sealed with an unknown key: a clear error, state idle, no socket, no crash', async () => {
    const sim = new SimulatedWhatsApp({ autoPairAfterMs: 20, timings });
    const first = session('d', sim, 'this host');
    await until(() => first.writes.some((w) => w.connection.state === 'open'));
    await first.session.stop('test');
    const opened = sim.counters('d').opened;
    const other = new AccountAuthStore(
      { db: testDb(), keyring: new Keyring(randomBytes(32)), log },
      'd',
      unfenced(testDb(), 'd'),
    );
    const writes: ConnectionPatch[] = [];
    const s = new AccountSession({
      ...sessionDeps('d', sim),
      auth: other,
      connection: {
        write: async (p: ConnectionPatch) => void writes.push(p),
        flush: async () => {},
      } as unknown as ConnectionWriter,
    }).start();
    assert.equal(await s.done, 'unreadable');
    assert.equal(sim.counters('d').opened, opened, 'no socket opened');
    assert.equal(writes.at(-1)?.connection.state, 'idle');
    assert.match(
      writes.at(-1)?.connection.lastError ?? '',
      /^auth_key_unknown: auth state of account d is encrypted with key k[0-9a-f]+/,
    );
  });
});
