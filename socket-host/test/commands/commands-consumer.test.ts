/**
 * The command executor's view of the event seam (commands-consumer.ts), fed through the host's
 * `EventQueue`: a backfill answer reaches the account's watch when it arrives from Baileys, even
 * while the pipeline is still busy with the batches before it (a slow import held a CI run's
 * answers past the request timeout, and answered requests were asked again); `caughtUp` resolves
 * only once those batches are handled.
 */
import assert from 'node:assert/strict';
import { proto } from '@whiskeysockets/baileys';
import { clearFirestore, firestoreHost, testDb } from '../../../test/support/firestore.ts';
import { unfenced } from '../../src/accounts/fence.ts';
import { CommandsConsumer } from '../../src/commands/commands-consumer.ts';
import type { ConnectionWatch } from '../../src/commands/connection-watch.ts';
import { loadHostConfig } from '../../src/host.ts';
import { createLogger } from '../../src/log.ts';
import { hostOptions } from '../../src/options.ts';
import type { AccountContext, AccountEventConsumer, BaileysEventBatch } from '../../src/pipeline/consumer.ts';
import { EventQueue } from '../../src/pipeline/consumer.ts';
import type { HistorySet } from '../../src/pipeline/history/raw-codec.ts';
import { FirestoreMessageContentStore } from '../../src/pipeline/message-content.ts';
import { SyncConsumer } from '../../src/pipeline/sync-consumer.ts';

const ACCOUNT = 'commands-consumer';
const log = createLogger('silent');

/** An inner consumer whose `handle` waits until `release()`: a pipeline busy with an import. */
function busyPipeline() {
  let release!: () => void;
  const busy = new Promise<void>((resolve) => {
    release = resolve;
  });
  const handled: BaileysEventBatch[] = [];
  const consumer: AccountEventConsumer = {
    openAccount: () => ({
      handle: async (events) => {
        await busy;
        handled.push(events);
      },
      close: async () => {},
    }),
  };
  return { consumer, handled, release };
}

function context(): AccountContext {
  const db = testDb();
  return {
    accountId: ACCOUNT,
    epoch: 1,
    transport: 'simulated',
    log,
    isOwner: () => true,
    fence: unfenced(db, ACCOUNT),
    contents: new FirestoreMessageContentStore(db),
    me: () => undefined,
    socket: () => undefined,
  };
}

const answer: HistorySet = {
  syncType: proto.HistorySync.HistorySyncType.ON_DEMAND,
  chats: [],
  contacts: [],
  messages: [],
  peerDataRequestSessionId: 'req-1',
};

describe('commands: the executor on the event seam', () => {
  beforeEach(clearFirestore);

  it('a history answer reaches the watch on arrival while the pipeline is busy; caughtUp waits for the pipeline', async () => {
    const db = testDb();
    const options = hostOptions(
      loadHostConfig({
        GCLOUD_PROJECT: 'demo-wasync',
        HOST_ID: 'h',
        PORT: '0',
        FIRESTORE_EMULATOR_HOST: firestoreHost(),
      }),
    );
    const pipeline = busyPipeline();
    let seam: { watch: ConnectionWatch; caughtUp: () => Promise<void> } | undefined;
    const commands = new CommandsConsumer(db, pipeline.consumer, new SyncConsumer(db, options.pipeline), {
      executor: options.commands,
      sessionOf: () => undefined,
      backfill: (_context, watch, caughtUp) => {
        seam = { watch, caughtUp };
        return { run: async () => {} };
      },
    });
    const sink = await commands.openAccount(context());
    assert.ok(seam, 'the backfill runner was made');
    const seen: HistorySet[] = [];
    seam.watch.onHistory((set) => seen.push(set));
    const queue = new EventQueue(sink, log);
    try {
      queue.push({ 'chats.upsert': [] }, 1); // the pipeline is busy with this one
      queue.push({ 'messaging-history.set': answer }, 1);
      assert.deepEqual(seen, [answer], 'the answer is seen as it arrives');
      let caughtUp = false;
      const waiting = seam.caughtUp().then(() => {
        caughtUp = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(caughtUp, false, 'not caught up while the pipeline still holds the batches');
      pipeline.release();
      await waiting;
      assert.equal(pipeline.handled.length, 2, 'caught up once both batches were handled');
    } finally {
      pipeline.release();
      await queue.close('test end');
    }
  });
});
