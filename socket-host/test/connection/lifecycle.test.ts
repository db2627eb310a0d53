/**
 * The host's reaction to each way a WhatsApp connection ends, seen from outside: the account's
 * connection state in Firestore, its auth state, its lease, and how many sockets the simulated
 * WhatsApp saw (so a reconnect loop would show).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Boom } from '@hapi/boom';
import { paths } from '@wasync/shared';
import { DisconnectReason } from '@whiskeysockets/baileys';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import { LeaseStore } from '../../src/accounts/lease.ts';
import { keyIdOf } from '../../src/auth-state/crypto.ts';
import type { BackoffOptions } from '../../src/connection/backoff.ts';
import { statusCodeOf } from '../../src/connection/disconnect-policy.ts';
import type { RunningHost } from '../../src/host.ts';
import {
  type AccountContext,
  type AccountEventConsumer,
  type BaileysEventBatch,
  discardingConsumer,
  type EventMeta,
} from '../../src/pipeline/consumer.ts';
import { FirestoreMessageContentStore } from '../../src/pipeline/message-content.ts';
import {
  disconnectError,
  type SimulatedDisconnect,
  SimulatedWhatsApp,
} from '../../src/transport/simulated/simulator.ts';
import type { WhatsAppTransport } from '../../src/transport/types.ts';
import { BUILT_IN_WA_VERSION } from '../../src/transport/wa-version.ts';
import { account, createAccount, startTestHost, stateIs, waitForAccount } from '../support/host.ts';

const FAST = { connectMs: 20, historyChunkMs: 1, receiptMs: 150, onDemandMs: 20 };

async function leaseHolder(accountId: string): Promise<string | null | undefined> {
  return (await testDb().doc(paths.lease(accountId)).get()).get('holder');
}

/** A consumer that records everything it is handed. */
function recordingConsumer() {
  const seen: {
    accountId: string;
    events: BaileysEventBatch;
    meta: EventMeta;
    me: ReturnType<AccountContext['me']>;
    socket: boolean;
  }[] = [];
  const closed: string[] = [];
  const consumer: AccountEventConsumer = {
    openAccount: ({ accountId, me, socket }) => ({
      handle: async (events, meta) => {
        seen.push({ accountId, events, meta, me: me(), socket: socket() !== undefined });
      },
      close: async (reason) => {
        closed.push(`${accountId}:${reason}`);
      },
    }),
  };
  return { consumer, seen, closed };
}

describe('connection lifecycle (simulated WhatsApp, in-process host)', function () {
  this.timeout(40_000);
  let host: RunningHost | undefined;
  afterEach(async () => {
    await host?.shutdown.run('test end');
    host = undefined;
  });
  beforeEach(clearFirestore);

  async function openAccount(accountId: string, extra: { consumer?: AccountEventConsumer } = {}) {
    const sim = new SimulatedWhatsApp({ seed: accountId, autoPairAfterMs: 50, timings: FAST });
    await createAccount(accountId);
    host = await startTestHost({
      hostId: 'host-life',
      simulator: sim,
      backoff: { baseMs: 100, maxMs: 400, maxFailures: 3 },
      ...extra,
    });
    const open = await waitForAccount(accountId, stateIs('open'));
    return { sim, open };
  }

  it('a new account shows a QR by itself, pairs, restarts (515) and opens with me and lastConnectedAt', async () => {
    const { consumer, seen } = recordingConsumer();
    const { sim, open } = await openAccount('acc-new', { consumer });
    assert.equal(open.me.id, sim.phone('acc-new').meJid);
    assert.equal(open.me.lid, sim.phone('acc-new').meLid);
    assert.ok(open.lastConnectedAt.toMillis() > Date.now() - 30_000);
    assert.equal(open.connection.qr, undefined, 'the QR is gone once open');
    assert.equal(sim.counters('acc-new').opened, 2, 'QR socket, then one socket after the 515 restart');
    const qrBatch = seen.find((s) => s.events['connection.update']?.qr);
    assert.ok(qrBatch, 'the consumer saw the QR update');
    // The consumer got every batch in order, from both sockets.
    assert.deepEqual(
      seen.map((s) => s.meta.seq),
      seen.map((_, i) => i + 1),
    );
    assert.deepEqual([...new Set(seen.map((s) => s.meta.socket))], [1, 2]);
    // The seam tells who the account is once paired, hands the live socket, and stamps arrival times.
    assert.equal(seen[0]!.me, undefined, 'not paired yet');
    assert.deepEqual(seen.at(-1)!.me, open.me);
    assert.ok(seen.find((s) => s.events['connection.update']?.connection === 'open')?.socket, 'a live socket');
    const times = seen.map((s) => s.meta.receivedAt);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      'arrival times in delivery order',
    );
    assert.ok(times[0]! > Date.now() - 30_000 && times.at(-1)! <= Date.now());
    // History is flushed with the rest of the first login's backlog, after the app-state sync (as
    // chats.js does), which may come well after `open`.
    const historyBy = Date.now() + 15_000;
    while (!seen.some((s) => s.events['messaging-history.set']?.messages.length) && Date.now() < historyBy)
      await sleep(50);
    assert.ok(
      seen.some((s) => s.events['messaging-history.set']?.messages.length),
      'history reached the consumer',
    );
    // Creds (with pairing result) and keys written to Firestore, encrypted.
    const creds = await testDb().doc(paths.authState('acc-new')).get();
    assert.ok(creds.get('kid') && creds.get('ct'));
    // Signal keys are written behind (within ~200 ms, longer under load): wait for them.
    const keys = testDb().collection(`${paths.authState('acc-new')}/keys`);
    const keysDeadline = Date.now() + 10_000;
    let keyCount = (await keys.get()).size;
    while (keyCount === 0 && Date.now() < keysDeadline) {
      await sleep(100);
      keyCount = (await keys.get()).size;
    }
    assert.ok(keyCount > 0, 'Signal keys reached Firestore');
  });

  it('records the QR with its expiry, then parks as closed when nobody scans (no loop)', async () => {
    const sim = new SimulatedWhatsApp({
      autoPairAfterMs: false,
      timings: { ...FAST, firstQrMs: 600, nextQrMs: 300, qrRefs: 2 },
    });
    await createAccount('acc-qr');
    host = await startTestHost({ hostId: 'host-qr', simulator: sim });
    const qr = await waitForAccount('acc-qr', stateIs('qr'));
    assert.equal(qr.connection.qr, undefined, 'never on the account document every member reads');
    const pairing = (await testDb().doc(paths.pairing('acc-qr')).get()).data()!;
    assert.match(pairing.qr, /^https:\/\/wa\.me\/settings\/linked_devices#/);
    const expiresIn = pairing.qrExpiresAt.toMillis() - Date.now();
    assert.ok(expiresIn > 50_000 && expiresIn <= 60_000, `first QR lives ~60 s, got ${expiresIn}`);
    const closed = await waitForAccount('acc-qr', stateIs('closed'));
    assert.match(closed.connection.lastError, /^qr_expired:/);
    assert.equal((await testDb().doc(paths.pairing('acc-qr')).get()).exists, false, 'the QR is gone once parked');
    await sleep(1500);
    assert.equal(sim.counters('acc-qr').opened, 1, 'no new socket after the QR expired');
    assert.equal(await leaseHolder('acc-qr'), null, 'lease released');
  });

  it('515 restart required: a new socket at once with the saved creds', async () => {
    const { sim } = await openAccount('acc-515');
    const before = sim.counters('acc-515').opened;
    const at = Date.now();
    await sim.disconnect('acc-515', 515);
    await waitForAccount('acc-515', (d) => stateIs('open')(d) && d.connection.updatedAt.toMillis() > at);
    assert.ok(Date.now() - at < 2_000, `reopened in ${Date.now() - at} ms`);
    assert.equal(sim.counters('acc-515').opened, before + 1);
    assert.equal((await account('acc-515'))?.connection.lastError, undefined, 'not counted as a failure');
  });

  for (const reason of [401, 403, 406] as const) {
    it(`${reason}: logged_out, auth state wiped, no reconnect`, async () => {
      const id = `acc-${reason}`;
      const { sim } = await openAccount(id);
      const before = sim.counters(id).opened;
      await sim.disconnect(id, reason);
      const out = await waitForAccount(id, stateIs('logged_out'));
      assert.match(out.connection.lastError, new RegExp(`^logged_out: Connection Failure \\(${reason}\\)`));
      assert.equal((await testDb().doc(paths.authState(id)).get()).exists, false, 'creds wiped');
      assert.equal(
        (
          await testDb()
            .collection(`${paths.authState(id)}/keys`)
            .get()
        ).size,
        0,
        'keys wiped',
      );
      await sleep(1000);
      assert.equal(sim.counters(id).opened, before, 'no reconnect');
      assert.equal(await leaseHolder(id), null, 'lease released');
    });
  }

  it('440 while this host holds the lease: parks as closed, no reconnect storm', async () => {
    const { sim } = await openAccount('acc-440');
    const before = sim.counters('acc-440').opened;
    await sim.disconnect('acc-440', 440);
    const closed = await waitForAccount('acc-440', stateIs('closed'));
    assert.match(closed.connection.lastError, /^connection_replaced: Stream Errored \(conflict\) \(440\)/);
    await sleep(3000);
    assert.equal(sim.counters('acc-440').opened, before, 'not a single reconnect in 3 s');
    assert.equal(await leaseHolder('acc-440'), null);
  });

  it('440 after another host took the lease: yields quietly (no write, no reconnect)', async () => {
    const { sim } = await openAccount('acc-440b');
    const before = sim.counters('acc-440b').opened;
    // Another host takes the account over (its clock says our lease expired, as after missed
    // renewals) and connects: WhatsApp then replaces our connection.
    const other = new LeaseStore(testDb(), { hostId: 'host-other', ttlMs: 60_000, now: () => Date.now() + 60_000 });
    assert.ok(await other.claim('acc-440b', await other.read('acc-440b')));
    await testDb()
      .doc(paths.account('acc-440b'))
      .update({ 'connection.state': 'open', marker: 'other host wrote this' });
    // This host may already have noticed the takeover (a fenced write found the new epoch) and
    // closed the socket; otherwise WhatsApp's 440 tells it. Either way the outcome is the same.
    if (sim.counters('acc-440b').live > 0) await sim.disconnect('acc-440b', 440);
    await sleep(2000);
    const after = await account('acc-440b');
    assert.equal(after?.connection.state, 'open', 'this host wrote nothing over the new owner');
    assert.equal(after?.marker, 'other host wrote this');
    assert.equal(sim.counters('acc-440b').opened, before, 'no reconnect');
    assert.equal(await leaseHolder('acc-440b'), 'host-other', 'the new owner’s lease untouched');
    assert.deepEqual(host?.ownership.held(), []);
  });

  for (const reason of [408, 428, 500, 503] as SimulatedDisconnect[]) {
    it(`${reason}: reconnects after a backoff`, async () => {
      const id = `acc-r${reason}`;
      const { sim } = await openAccount(id);
      const before = sim.counters(id).opened;
      const at = Date.now();
      await sim.disconnect(id, reason);
      await waitForAccount(id, (d) => stateIs('open')(d) && d.connection.updatedAt.toMillis() > at);
      assert.equal(sim.counters(id).opened, before + 1);
      assert.equal(sim.counters(id).maxLive, 1);
    });
  }

  it('405: the host asks WhatsApp Web for its version again (once for all accounts) and they reconnect at once', async () => {
    const [major, minor, patch] = BUILT_IN_WA_VERSION;
    // WhatsApp Web is already past Baileys' built-in version: only the start-up fetch lets them in.
    const sim = new SimulatedWhatsApp({
      seed: 'v405',
      autoPairAfterMs: 50,
      timings: FAST,
      version: [major, minor, patch + 1],
    });
    const base = sim.transport();
    let fetches = 0;
    const refused: string[] = [];
    const transport: WhatsAppTransport = {
      ...base,
      latestVersion: () => {
        fetches++;
        return base.latestVersion!();
      },
      connect: (options) => {
        const socket = base.connect(options);
        socket.ev.on('connection.update', (u) => {
          if (statusCodeOf(u.lastDisconnect?.error) === 405) refused.push(options.accountId);
        });
        return socket;
      },
    };
    const ids = ['acc-v1', 'acc-v2'];
    for (const id of ids) await createAccount(id);
    host = await startTestHost({
      hostId: 'host-405',
      simulator: sim,
      transport,
      backoff: { baseMs: 100, maxMs: 400, maxFailures: 3 },
    });
    for (const id of ids) await waitForAccount(id, stateIs('open'));
    assert.deepEqual(refused, [], 'the start-up fetch gave the current version to the first connects');
    assert.equal(fetches, 1, 'one fetch for the host, not one per account');

    sim.release([major, minor, patch + 2]);
    const at = Date.now();
    for (const id of ids) await sim.disconnect(id, 428);
    for (const id of ids) await waitForAccount(id, (d) => stateIs('open')(d) && d.connection.updatedAt.toMillis() > at);
    // The first to reconnect is refused and refreshes; the other is refused too or already connects
    // with the new version, depending on its backoff — never refused twice, never a second fetch.
    assert.ok(refused.length >= 1, 'refused with the old version');
    assert.deepEqual([...new Set(refused)], refused, 'no account refused twice');
    assert.equal(fetches, 2, 'one more fetch for the host');
    for (const id of ids) assert.equal(sim.counters(id).maxLive, 1);
  });

  /** A host whose account opens once, then fails every connect with `failure` while `failing.on`. */
  async function failingAccount(id: string, failure: () => Error, backoff: Partial<BackoffOptions>) {
    const sim = new SimulatedWhatsApp({ seed: id, autoPairAfterMs: 50, timings: FAST });
    const connects: number[] = [];
    const failing = { on: false };
    const flaky: WhatsAppTransport = {
      kind: 'simulated',
      connect: (options) => {
        const socket = sim.connect(options);
        if (failing.on) {
          connects.push(Date.now());
          // Before it opens (connectMs 20), as WhatsApp's `<failure>` comes at login: ended 30 ms in,
          // each socket was briefly `open`, and a loaded run read that between two failures.
          setTimeout(() => void socket.end(failure()), 1);
        }
        return socket;
      },
    };
    await createAccount(id);
    host = await startTestHost({ hostId: `host-${id}`, simulator: sim, transport: flaky, backoff });
    await waitForAccount(id, stateIs('open'));
    failing.on = true;
    await sim.socket(id)!.end(failure());
    return { sim, connects, failing };
  }

  it('transient failures back off exponentially with jitter up to the cap, never park, and recover by themselves', async () => {
    const { connects, failing } = await failingAccount('acc-flaky', () => disconnectError(503), {
      baseMs: 100,
      maxMs: 400,
      maxFailures: 3,
    });
    const deadline = Date.now() + 20_000;
    while (connects.length < 8 && Date.now() < deadline) await sleep(50);
    const retrying = await account('acc-flaky');
    assert.equal(retrying?.connection.state, 'connecting', 'not parked after more than maxFailures transient failures');
    assert.match(
      retrying?.connection.lastError,
      /^Connection Failure \(503\); reconnecting in [\d.]+ s \(\d+ in a row\)$/,
    );
    const gaps = connects.slice(1).map((t, i) => t - connects[i]!);
    // Equal jitter: attempt n waits at least half of 100·2^(n-1) ms, capped at 400 ms.
    assert.ok(gaps[0]! >= 100 && gaps[1]! >= 200, `gaps ${gaps.join(', ')} ms grow`);
    assert.ok(
      gaps.slice(3).every((g) => g >= 200),
      `at the cap: ${gaps.join(', ')} ms`,
    );
    failing.on = false;
    const back = await waitForAccount('acc-flaky', stateIs('open'));
    assert.equal(back.connection.lastError, undefined);
  });

  it('a reason the host does not know (405) parks as error after maxFailures in a row', async () => {
    const { connects } = await failingAccount(
      'acc-405',
      () => new Boom('Connection Failure', { statusCode: 405, data: { reason: '405' } }),
      { baseMs: 100, maxMs: 400, maxFailures: 4 },
    );
    const parked = await waitForAccount('acc-405', stateIs('error'));
    assert.equal(
      parked.connection.lastError,
      'connect_failed: 4 connects in a row failed for a reason this host does not know; last: Connection Failure (405)',
    );
    assert.equal(connects.length, 3, 'three reconnects after the first failure, then parked');
    await sleep(1000);
    assert.equal(connects.length, 3, 'parked: no further attempts');
  });

  it('wrong key: idle with a clear error, no socket, no retry loop; rotation: re-sealed under the new key without re-pairing', async () => {
    const [keyA, keyB, keyC] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const sim = new SimulatedWhatsApp({ seed: 'rot', autoPairAfterMs: 50, timings: FAST });
    await createAccount('acc-rot');
    host = await startTestHost({
      hostId: 'host-rot',
      simulator: sim,
      env: { AUTH_STATE_KEY: keyA.toString('base64') },
    });
    await waitForAccount('acc-rot', stateIs('open'));
    await host.shutdown.run('restart with another key');

    host = await startTestHost({
      hostId: 'host-rot',
      simulator: sim,
      env: { AUTH_STATE_KEY: keyC.toString('base64') },
    });
    const stuck = await waitForAccount('acc-rot', (d) => /^auth_key_unknown/.test(d.connection.lastError ?? ''));
    assert.equal(stuck.connection.state, 'idle', 'not parked: a host with the right key may take it');
    assert.match(stuck.connection.lastError, new RegExp(`account acc-rot is encrypted with key ${keyIdOf(keyA)}`));
    const opened = sim.counters('acc-rot').opened;
    const epoch = (await testDb().doc(paths.lease('acc-rot')).get()).get('epoch');
    await sleep(3000);
    assert.equal(sim.counters('acc-rot').opened, opened, 'no socket without readable creds');
    assert.equal(
      (await testDb().doc(paths.lease('acc-rot')).get()).get('epoch'),
      epoch,
      'not claimed again (cool-down)',
    );
    await host.shutdown.run('restart with the rotated keys');

    host = await startTestHost({
      hostId: 'host-rot',
      simulator: sim,
      env: { AUTH_STATE_KEY: keyB.toString('base64'), AUTH_STATE_PREVIOUS_KEYS: keyA.toString('base64') },
    });
    await waitForAccount('acc-rot', stateIs('open'));
    assert.equal(sim.counters('acc-rot').opened, opened + 1, 'logged in with the old creds, no pairing');
    const kids = async () => {
      const root = testDb().doc(paths.authState('acc-rot'));
      return new Set([
        (await root.get()).get('kid'),
        ...(await root.collection('keys').get()).docs.map((d) => d.get('kid')),
      ]);
    };
    // Every key document: with the 812 pre-keys of the first login, as with a real socket.
    const deadline = Date.now() + 30_000;
    while ((await kids()).size > 1 && Date.now() < deadline) await sleep(100);
    assert.deepEqual([...(await kids())], [keyIdOf(keyB)], 'every document re-sealed with the new key');
  });

  it('answers getMessage from stored message content', async () => {
    const { sim } = await openAccount('acc-get');
    const received = await sim.receive('acc-get');
    await new FirestoreMessageContentStore(testDb()).put('acc-get', [received]);
    const socket = sim.socket('acc-get')!;
    const content = await socket.retryRequest(received.key);
    assert.deepEqual(content?.conversation, received.message?.conversation);
    // By the sender's other identity (LID ↔ PN) too.
    const viaAlt = await socket.retryRequest({
      ...received.key,
      remoteJid: received.key.remoteJidAlt ?? undefined,
      remoteJidAlt: received.key.remoteJid ?? undefined,
    });
    assert.equal(viaAlt?.conversation, received.message?.conversation);
    assert.equal(await socket.retryRequest({ ...received.key, id: 'UNKNOWN' }), undefined);
    // Raw content stays out of everything that reads the `messages` collection group (the API's
    // cross-thread listing, rules and indexes on messages).
    assert.equal((await testDb().collectionGroup('messages').get()).size, 0);
  });

  it('a session that fails (its consumer cannot open the account) lets the account go; it runs again later', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'fail', autoPairAfterMs: 50, timings: FAST });
    let opens = 0;
    const consumer: AccountEventConsumer = {
      openAccount: async (ctx) => {
        if (++opens === 1) throw new Error('pipeline not ready');
        return discardingConsumer.openAccount(ctx);
      },
    };
    await createAccount('acc-fail');
    host = await startTestHost({ hostId: 'host-fail', simulator: sim, consumer });
    const failed = await waitForAccount('acc-fail', (d) => /^session_failed:/.test(d.connection.lastError ?? ''));
    assert.equal(failed.connection.state, 'idle');
    assert.match(failed.connection.lastError, /pipeline not ready/);
    await waitForAccount('acc-fail', stateIs('open'));
    assert.equal(opens, 2, 'claimed again after the failure, and only once');
    assert.equal(sim.counters('acc-fail').maxLive, 1);
  });

  it('leaves a parked account alone, and picks it up again when it is set back to idle', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'parked', autoPairAfterMs: 50, timings: FAST });
    await createAccount('acc-parked', { connection: { state: 'logged_out', updatedAt: new Date() } });
    host = await startTestHost({ hostId: 'host-parked', simulator: sim });
    await sleep(2500);
    assert.equal(sim.counters('acc-parked').opened, 0);
    await testDb()
      .doc(paths.account('acc-parked'))
      .update({ connection: { state: 'idle', updatedAt: new Date() } });
    await waitForAccount('acc-parked', stateIs('open'));
  });

  it('stops the socket when the account is parked from outside', async () => {
    const { sim } = await openAccount('acc-stop');
    await testDb()
      .doc(paths.account('acc-stop'))
      .update({ connection: { state: 'closed', updatedAt: new Date(), lastError: 'operator' } });
    const deadline = Date.now() + 5000;
    while (sim.counters('acc-stop').live > 0 && Date.now() < deadline) await sleep(50);
    assert.equal(sim.counters('acc-stop').live, 0);
    assert.equal((await account('acc-stop'))?.connection.lastError, 'operator', 'the parked state is not overwritten');
    assert.equal(DisconnectReason.connectionReplaced, 440);
  });
});
