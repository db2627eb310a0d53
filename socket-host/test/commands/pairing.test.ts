/**
 * A `pair` command by phone number that arrives late in the QR series of the account's socket:
 * the executor asks the session, which requests the code on a fresh socket, so the code still
 * works after the series it arrived in has ended — and goes only to the admin-only pairing
 * document. (Requested on the socket as it was, the code died with that socket's QR refs.)
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths } from '@wasync/shared';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import type { RunningHost } from '../../src/host.ts';
import { discardingConsumer } from '../../src/pipeline/consumer.ts';
import { SimulatedWhatsApp } from '../../src/transport/simulated/simulator.ts';
import { waitForCommand, writeCommandDoc } from '../support/commands.ts';
import { account, createAccount, startTestHost, stateIs, waitForAccount } from '../support/host.ts';

describe('commands: pairing by code late in a QR series', function () {
  this.timeout(90_000);
  let host: RunningHost | undefined;
  beforeEach(clearFirestore);
  afterEach(async () => {
    await host?.shutdown.run('test end');
    host = undefined;
  });

  it('the code outlives the series it was asked for in, and the phone links with it', async () => {
    // A series of 3.5 s: 2 s, then three refs of 500 ms.
    const sim = new SimulatedWhatsApp({
      seed: 'late-code',
      autoPairAfterMs: false,
      timings: { connectMs: 20, historyChunkMs: 1, firstQrMs: 2_000, nextQrMs: 500, qrRefs: 4 },
    });
    await createAccount('late-code');
    host = await startTestHost({ hostId: 'host-late-code', simulator: sim, consumer: discardingConsumer });
    await waitForAccount('late-code', stateIs('qr'));
    const first = sim.socket('late-code')!;
    // Into the series' second ref: at most ~1.2 s of it left.
    await sleep(2_300);
    await writeCommandDoc('late-code', 'pair-1', 'pair', { method: 'code', phoneNumber: '4915112345678' });
    // A fresh socket and its first QR: well under a second here, but 20 s were not enough on a
    // machine loaded by other work.
    const done = await waitForCommand('late-code', 'pair-1', 'done', 45_000);
    const code = done.result.pairingCode as string;
    assert.match(code, /^[A-Z0-9]{8}$/);
    assert.equal((await testDb().doc(paths.pairing('late-code')).get()).get('pairingCode'), code);
    assert.doesNotMatch(JSON.stringify(await account('late-code')), new RegExp(code), 'never on the account document');
    // Until past the end of the first socket's series; the owner types the code then.
    await sleep(1_800);
    assert.ok(first.isClosed, 'the first series is over');
    assert.equal((await account('late-code'))?.connection.state, 'qr', 'not parked: the code’s socket lives');
    sim.pair('late-code');
    const open = await waitForAccount('late-code', (d) => stateIs('open')(d) && d.me !== undefined);
    assert.equal(open.me.id, sim.phone('late-code').meJid);
  });
});
