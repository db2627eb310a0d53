/**
 * Events Baileys' buffer holds when a socket closes reach the consumer. A logged-in socket buffers
 * from connect until its offline backlog is delivered (socket.js), and Baileys' `end` destroys the
 * buffer without flushing it; the simulated socket does both with Baileys' own `makeEventBuffer`.
 * Here the first login after pairing is closed while its history is still buffered — by the host
 * (shutdown, rebalancing, lease loss all stop the session) and by the server.
 */
import assert from 'node:assert/strict';
import { clearFirestore } from '../../../test/support/firestore.ts';
import type { AccountSession } from '../../src/connection/account-session.ts';
import { SimulatedWhatsApp } from '../../src/transport/simulated/simulator.ts';
import { testSession, until } from '../support/session.ts';

/** A session whose sockets count the history sets Baileys emits into their event buffers. */
function recordingSession(accountId: string, sim: SimulatedWhatsApp) {
  const emitted = { historySets: 0 };
  const { session, seen } = testSession(accountId, sim, {
    onConnect: (socket) => {
      const emit = socket.ev.emit.bind(socket.ev);
      socket.ev.emit = (event, data) => {
        if (event === 'messaging-history.set') emitted.historySets++;
        return emit(event, data);
      };
    },
  });
  return { session, seen, emitted };
}

describe('AccountSession: events buffered at close', function () {
  this.timeout(20_000);
  beforeEach(clearFirestore);

  const closes = {
    'the host stops the session (shutdown, rebalancing, lease lost)': async (
      _sim: SimulatedWhatsApp,
      _id: string,
      session: AccountSession,
    ) => session.stop('test'),
    'the server closes the connection (428)': async (sim: SimulatedWhatsApp, id: string) => sim.disconnect(id, 428),
  };

  for (const [how, close] of Object.entries(closes)) {
    it(`reach the consumer when ${how}`, async () => {
      const id = `flush-${how.length}`;
      // Chunks far apart: the socket is still buffering its offline backlog when it closes.
      const sim = new SimulatedWhatsApp({
        seed: id,
        autoPairAfterMs: 20,
        timings: { connectMs: 10, historyChunkMs: 400 },
      });
      const { session, seen, emitted } = recordingSession(id, sim);
      try {
        // The first chunk was processed into the buffer of the logged-in socket.
        await until(() => emitted.historySets > 0);
        const socket = seen.find((s) => s.events['messaging-history.status'])!.meta.socket;
        assert.equal(sim.socket(id)?.ev.isBuffering(), true);
        assert.ok(
          !seen.some((s) => s.events['messaging-history.set']),
          'precondition: the history is still in the buffer',
        );
        await close(sim, id, session);
        await until(() =>
          seen.some((s) => s.meta.socket === socket && s.events['connection.update']?.connection === 'close'),
        );
        const ofSocket = seen.filter((s) => s.meta.socket === socket);
        const history = ofSocket.findIndex((s) => s.events['messaging-history.set']?.messages.length);
        const closed = ofSocket.findIndex((s) => s.events['connection.update']?.connection === 'close');
        assert.ok(history >= 0, 'the buffered history reached the consumer');
        assert.ok(history < closed, 'before the close');
        assert.ok(
          ofSocket[history]!.events['messages.upsert']?.messages.length,
          'with the buffered upserts of the same flush',
        );
      } finally {
        await session.stop('test end');
      }
    });
  }
});
