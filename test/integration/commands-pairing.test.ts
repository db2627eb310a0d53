/**
 * Pairing and logout through the whole system, on a host with the simulated WhatsApp: the
 * `startPairing` and `logoutAccount` use cases (what the callables run) write commands; the host
 * that owns the account runs them. A pairing by phone number publishes its code in the admin-only
 * `accounts/{id}/private/pairing`: the account listing gives it to admins, never to viewers; the
 * phone confirms and the account opens. Logout unlinks, wipes the auth state, moves the pairing
 * generation and parks the account `logged_out` without reconnecting; pairing again by QR hands
 * the parked account back to a host and shows a fresh QR.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths } from '@wasync/shared';
import type { Caller } from '../../functions/src/access/authorize.ts';
import { logoutAccount, startPairing } from '../../functions/src/commands/account-commands.ts';
import { testApi } from '../../functions/test/support/api.ts';
import { newUser, type Persona, seedAccount } from '../../functions/test/support/fixtures.ts';
import type { RunningHost } from '../../socket-host/src/host.ts';
import { SimulatedWhatsApp } from '../../socket-host/src/transport/simulated/simulator.ts';
import { waitForCommand } from '../../socket-host/test/support/commands.ts';
import { startTestHost, stateIs, waitForAccount } from '../../socket-host/test/support/host.ts';
import { clearFirestore, testDb } from '../support/firestore.ts';

const ACCOUNT = 'pair-by-code';
const PHONE = '4915112345678';

describe('commands: pairing by code or QR, and logout (simulated WhatsApp)', function () {
  this.timeout(120_000);
  const api = testApi();
  let admin: Persona;
  let viewer: Persona;
  let host: RunningHost | undefined;
  after(async () => {
    await host?.shutdown.run('test end');
  });

  const asAdmin = (): Caller => ({ uid: admin.uid, operator: false });
  const pairingOf = async (who: Persona) => {
    const res = await api.get('/api/whatsapp/accounts', who.idToken);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.accounts.find((a: { accountId: string }) => a.accountId === ACCOUNT) as Record<string, unknown>;
  };

  it('pairs by phone number (code to admins only), logs out (wiped, parked, next generation), pairs again by QR', async () => {
    await clearFirestore();
    [admin, viewer] = await Promise.all([newUser('pair-admin'), newUser('pair-viewer')]);
    await seedAccount(testDb(), ACCOUNT, { [admin.uid]: 'admin', [viewer.uid]: 'viewer' });
    await testDb()
      .doc(paths.account(ACCOUNT))
      .update({ connection: { state: 'idle', updatedAt: new Date() } });
    const sim = new SimulatedWhatsApp({
      seed: ACCOUNT,
      autoPairAfterMs: false,
      timings: { connectMs: 20, historyChunkMs: 1 },
    });
    host = await startTestHost({ hostId: 'host-pairing', simulator: sim });
    await waitForAccount(ACCOUNT, stateIs('qr'));

    // Pair by phone number: the code lands in the admin-only document and in the command's result.
    const { commandId } = await startPairing(testDb(), asAdmin(), {
      accountId: ACCOUNT,
      method: 'code',
      phoneNumber: PHONE,
    });
    const done = await waitForCommand(ACCOUNT, commandId, 'done');
    const code = done.result.pairingCode as string;
    assert.match(code, /^[A-Z0-9]{8}$/);
    assert.equal((await testDb().doc(paths.pairing(ACCOUNT)).get()).get('pairingCode'), code);
    const account = (await testDb().doc(paths.account(ACCOUNT)).get()).data()!;
    assert.doesNotMatch(JSON.stringify(account), new RegExp(code), 'never on the account document members read');
    assert.equal(((await pairingOf(admin)).pairing as { pairingCode?: string } | undefined)?.pairingCode, code);
    const forViewer = await pairingOf(viewer);
    assert.equal(forViewer.pairing, undefined);
    assert.doesNotMatch(JSON.stringify(forViewer), new RegExp(code), 'a viewer never gets the code');

    // The phone confirms the code: linked, open; the pairing secrets are gone.
    sim.pair(ACCOUNT);
    await waitForAccount(ACCOUNT, (d) => d.connection?.state === 'open' && d.me !== undefined);
    const deadline = Date.now() + 5_000;
    while ((await testDb().doc(paths.pairing(ACCOUNT)).get()).exists && Date.now() < deadline) await sleep(50);
    assert.equal(
      (await testDb().doc(paths.pairing(ACCOUNT)).get()).exists,
      false,
      'pairing document deleted once open',
    );
    assert.ok((await testDb().doc(paths.authState(ACCOUNT)).get()).exists, 'creds stored');

    // Logout: unlinked, auth state wiped, next generation, parked without reconnecting.
    const logout = await logoutAccount(testDb(), asAdmin(), { accountId: ACCOUNT });
    await waitForCommand(ACCOUNT, logout.commandId, 'done');
    const parked = await waitForAccount(ACCOUNT, stateIs('logged_out'));
    assert.equal(parked.pairingGeneration, 1);
    assert.equal((await testDb().doc(paths.authState(ACCOUNT)).get()).exists, false, 'creds wiped');
    assert.equal(
      (
        await testDb()
          .collection(`${paths.authState(ACCOUNT)}/keys`)
          .limit(1)
          .get()
      ).size,
      0,
      'keys wiped',
    );
    const opened = sim.counters(ACCOUNT).opened;
    await sleep(1_500);
    assert.equal(sim.counters(ACCOUNT).opened, opened, 'no reconnect after a logout');
    assert.equal((await testDb().doc(paths.account(ACCOUNT)).get()).get('connection.state'), 'logged_out');

    // Pair again, by QR: the parked account is handed back, a host shows a fresh QR to admins.
    const again = await startPairing(testDb(), asAdmin(), { accountId: ACCOUNT, method: 'qr' });
    await waitForAccount(ACCOUNT, stateIs('qr'));
    await waitForCommand(ACCOUNT, again.commandId, 'done');
    const forAdmin = await pairingOf(admin);
    const qr = (forAdmin.pairing as { qr?: string } | undefined)?.qr;
    assert.equal(qr, (await testDb().doc(paths.pairing(ACCOUNT)).get()).get('qr'), 'the QR for the admin');
    assert.ok(qr && qr.split(',').length >= 4, `a pairing QR (ref,noise,identity,adv): ${qr}`);
    assert.equal((await pairingOf(viewer)).pairing, undefined);
    sim.pair(ACCOUNT);
    const reopened = await waitForAccount(ACCOUNT, (d) => d.connection?.state === 'open' && d.me !== undefined);
    assert.equal(reopened.pairingGeneration, 1, 'the new pairing runs in the generation after the logout');
  });
});
