/**
 * The real Baileys transport feeds the same seam as the simulated one. Without network, a
 * `makeWASocket` pointed at a closed local port still runs its whole connection lifecycle:
 * `connecting`, then `close` with a Boom error — which the host treats as a failed connect, a
 * transient one (no network): it keeps reconnecting with backoff and never parks the account.
 */
import assert from 'node:assert/strict';
import { clearFirestore } from '../../../test/support/firestore.ts';
import type { RunningHost } from '../../src/host.ts';
import type { AccountEventConsumer, BaileysEventBatch } from '../../src/pipeline/consumer.ts';
import { makeBaileysTransport } from '../../src/transport/baileys.ts';
import { createAccount, startTestHost, stateIs, waitForAccount } from '../support/host.ts';

describe('Baileys transport (real makeWASocket, no network)', function () {
  this.timeout(30_000);
  let host: RunningHost | undefined;
  beforeEach(clearFirestore);
  afterEach(() => host?.shutdown.run('test end'));

  it('feeds the event seam and goes through the failure policy', async () => {
    const batches: BaileysEventBatch[] = [];
    const consumer: AccountEventConsumer = {
      openAccount: () => ({ handle: async (e) => void batches.push(e), close: async () => {} }),
    };
    await createAccount('real-1');
    host = await startTestHost({
      hostId: 'host-real',
      transport: makeBaileysTransport({ waWebSocketUrl: 'ws://127.0.0.1:1/ws/chat' }),
      consumer,
      backoff: { baseMs: 50, maxMs: 100, maxFailures: 2 },
    });
    const updates = () => batches.flatMap((b) => (b['connection.update'] ? [b['connection.update']] : []));
    const deadline = Date.now() + 15_000;
    while (updates().filter((u) => u.connection === 'close').length < 4 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const retrying = await waitForAccount('real-1', (d) => stateIs('connecting')(d) && d.connection.lastError);
    assert.match(
      retrying.connection.lastError,
      /^WebSocket Error \(connect ECONNREFUSED 127\.0\.0\.1:1\) \(408\); reconnecting in [\d.]+ s \(\d+ in a row\)$/,
      'more failures than maxFailures, still not parked',
    );
    assert.deepEqual(
      updates()
        .slice(0, 8)
        .map((u) => u.connection),
      ['connecting', 'close', 'connecting', 'close', 'connecting', 'close', 'connecting', 'close'],
      'real sockets, each connecting then closing',
    );
    assert.equal((updates()[1]?.lastDisconnect?.error as { isBoom?: boolean } | undefined)?.isBoom, true);
  });
});
