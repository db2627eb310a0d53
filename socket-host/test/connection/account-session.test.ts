/**
 * AccountSession on its own, with the lease answers stubbed: the 440 decision depends only on who
 * holds the lease when the connection is replaced.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { paths } from '@wasync/shared';
import { jidNormalizedUser } from '@whiskeysockets/baileys';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import { unfenced } from '../../src/accounts/fence.ts';
import { Keyring } from '../../src/auth-state/crypto.ts';
import { AccountAuthStore } from '../../src/auth-state/store.ts';
import { AccountSession } from '../../src/connection/account-session.ts';
import type { ConnectionPatch, ConnectionWriter } from '../../src/connection/connection-writer.ts';
import { createLogger } from '../../src/log.ts';
import { discardingConsumer } from '../../src/pipeline/consumer.ts';
import { FirestoreMessageContentStore } from '../../src/pipeline/message-content.ts';
import { SimulatedWhatsApp } from '../../src/transport/simulated/simulator.ts';
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

  it('a Firestore outage during pairing loses no pairing: the restart logs in paired, the creds land once it is back', async function () {
    this.timeout(30_000);
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
      await until(() => writes.some((w) => w.connection.state === 'open'));
      const me = writes.find((w) => w.me)?.me?.id;
      assert.ok(me, 'paired');
      // Down for longer than the 5 tries took.
      await new Promise((r) => setTimeout(r, 4000));
      assert.ok(credsFailures > 5, `${credsFailures} failed creds saves`);
      outage.down = false;
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
    // The login stored the account's own LID mapping and device list: still in memory.
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual([...(await types())], []);
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
