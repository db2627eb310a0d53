/**
 * Events Baileys' buffer holds when a socket closes reach the consumer. A logged-in socket buffers
 * from connect until its offline backlog is delivered (socket.js), and Baileys' `end` destroys the
 * buffer without flushing it; the simulated socket does both with Baileys' own `makeEventBuffer`.
 * Here the first login after pairing is closed while its history is still buffered — by the host
 * (shutdown, rebalancing, lease loss all stop the session) and by the server.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import { unfenced } from '../../src/accounts/fence.ts';
import { Keyring } from '../../src/auth-state/crypto.ts';
import { AccountAuthStore } from '../../src/auth-state/store.ts';
import { AccountSession } from '../../src/connection/account-session.ts';
import type { ConnectionPatch, ConnectionWriter } from '../../src/connection/connection-writer.ts';
import { createLogger } from '../../src/log.ts';
import type { AccountEventConsumer, BaileysEventBatch, EventMeta } from '../../src/pipeline/consumer.ts';
import { FirestoreMessageContentStore } from '../../src/pipeline/message-content.ts';
import { SimulatedWhatsApp } from '../../src/transport/simulated/simulator.ts';

const log = createLogger(process.env.WASYNC_TEST_LOG ?? 'silent');
const keyring = new Keyring(randomBytes(32));

function recordingSession(accountId: string, sim: SimulatedWhatsApp) {
  const seen: { events: BaileysEventBatch; meta: EventMeta }[] = [];
  const consumer: AccountEventConsumer = {
    openAccount: () => ({ handle: async (events, meta) => void seen.push({ events, meta }), close: async () => {} }),
  };
  const fence = unfenced(testDb(), accountId);
  const session = new AccountSession({
    accountId,
    epoch: 1,
    fence,
    isOwner: () => true,
    leaseHolder: async () => 'this host',
    transport: sim.transport(),
    auth: new AccountAuthStore({ db: testDb(), keyring, log }, accountId, fence),
    contents: new FirestoreMessageContentStore(testDb()),
    consumer,
    connection: {
      write: async (_: ConnectionPatch) => {},
      flush: async () => {},
    } as unknown as ConnectionWriter,
    options: {
      syncFullHistory: true,
      backoff: { baseMs: 50, maxMs: 100, maxFailures: 3, stableMs: 60_000 },
      drainTimeoutMs: 2_000,
    },
    log,
    baileysLog: log,
  }).start();
  return { session, seen };
}

async function until(probe: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
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
      const { session, seen } = recordingSession(id, sim);
      try {
        // The first chunk arrived (its status is not bufferable) and was processed into the buffer.
        await until(() => seen.some((s) => s.events['messaging-history.status']));
        const socket = seen.find((s) => s.events['messaging-history.status'])!.meta.socket;
        await until(() => sim.socket(id)?.ev.isBuffering() === true);
        await new Promise((r) => setTimeout(r, 150));
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
