/**
 * Reconnects that must not hammer WhatsApp: a server that answers every login with 515 (restart
 * required) gets a slowing loop, not a tight one; a temporary ban (402) is waited out for as long
 * as the failure says, visibly, before the next connect.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { clearFirestore } from '../../../test/support/firestore.ts';
import { disconnectError, SimulatedWhatsApp, temporaryBanError } from '../../src/transport/simulated/simulator.ts';
import { testSession, until } from '../support/session.ts';

const timings = { connectMs: 10, historyChunkMs: 1 };

describe('AccountSession: reconnects that back off', function () {
  this.timeout(20_000);
  beforeEach(clearFirestore);

  it('515s that never reach a stable connection count towards the backoff (no reconnect loop)', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'loop', autoPairAfterMs: 20, timings });
    const looping = { on: false };
    const { session, sockets, writes } = testSession('loop', sim, {
      backoff: { baseMs: 100, maxMs: 800 },
      onConnect: (socket) => {
        socket.ev.on('connection.update', (u) => {
          // Every login is answered with a restart shortly after `open`.
          if (looping.on && u.connection === 'open') setTimeout(() => void socket.end(disconnectError(515)), 20);
        });
      },
    });
    try {
      await until(() => writes.some((w) => w.connection.state === 'open'), 10_000, 'open');
      looping.on = true;
      const from = sockets.length;
      await sim.socket('loop')!.end(disconnectError(515));
      await sleep(2_500);
      const loop = sockets.slice(from).map((s) => s.at);
      const gaps = loop.slice(1).map((t, i) => t - loop[i]!);
      // The first restart is at once; then 50–100, 100–200, 200–400, 400–800 ms, …: a handful in
      // 2.5 s where an immediate restart makes one every ~40 ms.
      assert.ok(loop.length >= 3 && loop.length <= 8, `${loop.length} sockets in 2.5 s (gaps ${gaps.join(', ')})`);
      assert.ok(gaps.at(-1)! >= 200, `the gaps grow: ${gaps.join(', ')} ms`);
      assert.ok(
        writes.some((w) => /restart required.*\(515\); reconnecting in/.test(w.connection.lastError ?? '')),
        'the loop is visible in lastError',
      );
    } finally {
      looping.on = false;
      await session.stop('test end');
    }
  });

  it('a temporary ban (402) is waited out for as long as the failure says, then it reconnects', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'ban', autoPairAfterMs: 20, timings });
    const { session, sockets, writes } = testSession('ban', sim);
    try {
      await until(() => writes.some((w) => w.connection.state === 'open'), 10_000, 'open');
      const before = sockets.length;
      const bannedAt = Date.now();
      await sim.socket('ban')!.end(temporaryBanError(1.5, 101));
      await until(() => /^temporary_ban:/.test(writes.at(-1)?.connection.lastError ?? ''), 2_000, 'the ban written');
      const banned = writes.at(-1)!.connection;
      assert.equal(banned.state, 'connecting');
      const until_ = /until (\S+), reconnecting then$/.exec(banned.lastError ?? '')?.[1];
      assert.ok(until_, banned.lastError);
      const liftedAt = Date.parse(until_);
      assert.ok(Math.abs(liftedAt - (bannedAt + 1_500)) < 500, `lifted at ${until_}`);
      assert.match(banned.lastError ?? '', /Connection Failure \(402\); ban code 101: sent to too many people/);
      await sleep(1_000);
      assert.equal(sockets.length, before, 'no connect while banned (the backoff would have retried after 50 ms)');
      await until(() => sockets.length > before, 3_000, 'a connect after the ban');
      assert.ok(sockets[before]!.at >= liftedAt - 50, 'not before the ban ends');
      await until(() => writes.at(-1)?.connection.state === 'open', 5_000, 'open again');
    } finally {
      await session.stop('test end');
    }
  });
});
