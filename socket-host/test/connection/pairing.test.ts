/**
 * The session's pairing API (session-control.ts) against the simulated WhatsApp: a code is
 * requested on a socket whose QR series has just begun, so the QR refs never end it early; an
 * unconfirmed code ends with its series (parked `pairing_code_expired`) and leaves nothing that
 * would make the next socket log in as the bare phone number; refusals are typed.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { clearFirestore } from '../../../test/support/firestore.ts';
import { SessionControlError, type SessionControlErrorCode } from '../../src/connection/session-control.ts';
import { SimulatedWhatsApp } from '../../src/transport/simulated/simulator.ts';
import { type TestSession, testSession, until } from '../support/session.ts';

const PHONE = '4915112345678';
/** A QR series of 1.2 s: 600 ms, then two refs of 300 ms. */
const timings = { connectMs: 10, historyChunkMs: 1, firstQrMs: 600, nextQrMs: 300, qrRefs: 3 };

async function refusal(call: Promise<unknown>): Promise<SessionControlErrorCode> {
  const err = await call.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SessionControlError, String(err));
  return err.code;
}

const qrShown = (t: TestSession) => t.writes.some((w) => w.connection.state === 'qr');
const isOpen = (t: TestSession) => t.writes.at(-1)?.connection.state === 'open';

describe('AccountSession: pairing API', function () {
  this.timeout(20_000);
  beforeEach(clearFirestore);

  it('pairs by code, refuses what does not fit, logs out', async () => {
    const sim = new SimulatedWhatsApp({
      seed: 'code',
      autoPairAfterMs: false,
      timings: { ...timings, firstQrMs: 5_000 },
    });
    const t = testSession('code', sim);
    const { session } = t;
    try {
      assert.equal(await refusal(session.logout()), 'not_linked');
      assert.equal(
        await refusal(session.pair({ phoneNumber: '+49 151', requestedAt: Date.now() })),
        'invalid_phone_number',
      );
      const { pairingCode, validUntil } = await session.pair({ phoneNumber: PHONE, requestedAt: Date.now() });
      assert.match(pairingCode ?? '', /^[A-Z0-9]{8}$/);
      assert.ok(validUntil! > Date.now() + 5_000, 'valid for the whole series');
      assert.equal(session.paired, false, 'a code alone does not link');
      assert.equal(t.sockets.length, 1, 'the socket on its first QR took the code');
      sim.pair('code');
      await until(() => isOpen(t), 10_000, 'open');
      assert.equal(session.paired, true);
      assert.equal(session.isOpen, true);
      assert.equal(await refusal(session.pair({ requestedAt: Date.now() })), 'linked');
      assert.equal(await refusal(session.pair({ phoneNumber: PHONE, requestedAt: Date.now() })), 'linked');
      await session.logout();
      assert.equal(await session.done, 'parked');
      assert.equal(t.writes.at(-1)?.connection.state, 'logged_out');
      assert.equal(session.paired, false, 'wiped');
      assert.equal(await refusal(session.pair({ requestedAt: Date.now() })), 'stopped');
    } finally {
      await session.stop('test end');
    }
  });

  it('a code pairing survives the QR refs running out: a late request gets a fresh socket', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'late', autoPairAfterMs: false, timings });
    const t = testSession('late', sim);
    try {
      await until(() => qrShown(t), 5_000, 'a QR');
      // Late in the first socket's series: a code requested on it would die with it in ≤ 400 ms.
      await sleep(800);
      const first = t.sockets[0]!.socket;
      const { pairingCode } = await t.session.pair({ phoneNumber: PHONE, requestedAt: Date.now() });
      assert.ok(pairingCode);
      assert.equal(t.sockets.length, 2, 'renewed: a new socket, a new series');
      await sleep(700);
      assert.equal(
        sim.socket('late'),
        t.sockets[1]!.socket,
        'the code’s socket still lives after the old series ended',
      );
      assert.notEqual(sim.socket('late'), first);
      // The phone owner types the code now, after the first series would have ended.
      sim.pair('late');
      await until(() => isOpen(t), 10_000, 'open');
      assert.ok(!t.writes.some((w) => /expired/.test(w.connection.lastError ?? '')), 'never parked');
      assert.equal(t.session.paired, true);
    } finally {
      await t.session.stop('test end');
    }
  });

  it('an unconfirmed code ends with its series: parked pairing_code_expired; resuming registers anew', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'gone', autoPairAfterMs: false, timings });
    const t = testSession('gone', sim);
    await until(() => qrShown(t), 5_000, 'a QR');
    await t.session.pair({ phoneNumber: PHONE, requestedAt: Date.now() });
    assert.equal(await t.session.done, 'parked');
    assert.match(t.writes.at(-1)?.connection.lastError ?? '', /^pairing_code_expired: QR refs attempts ended \(408\)/);
    assert.equal(t.writes.at(-1)?.connection.state, 'closed');
    // Resumed: the next socket registers (no `me` of the unconfirmed code) and shows a QR.
    const resumed = testSession('gone', sim);
    try {
      await until(() => qrShown(resumed), 5_000, 'a QR after resuming');
      assert.equal(resumed.sockets[0]!.me, undefined, 'not logging in as the bare phone number');
    } finally {
      await resumed.session.stop('test end');
    }
  });

  it('a QR pairing renews a QR series that began before the request', async () => {
    const sim = new SimulatedWhatsApp({
      seed: 'qr',
      autoPairAfterMs: false,
      timings: { ...timings, firstQrMs: 5_000 },
    });
    const t = testSession('qr', sim);
    try {
      await until(() => qrShown(t), 5_000, 'a QR');
      await t.session.pair({ requestedAt: Date.now() - 60_000 });
      assert.equal(t.sockets.length, 1, 'a QR shown after the request is fresh');
      await sleep(20);
      await t.session.pair({ requestedAt: Date.now() });
      await until(() => t.sockets.length === 2, 5_000, 'a new socket');
      await until(() => t.writes.filter((w) => w.connection.state === 'qr').length >= 2, 5_000, 'a fresh QR');
      assert.ok(!t.writes.some((w) => w.connection.lastError), 'the renewal is no failure');
    } finally {
      await t.session.stop('test end');
    }
  });
});
