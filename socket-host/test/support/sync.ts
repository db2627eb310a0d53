/** An account's sync pipeline on the test Firestore, outside any host (no lease: unfenced). */
import { randomUUID } from 'node:crypto';
import { SELF } from '../../../shared/test/support/baileys-feed.ts';
import { testDb } from '../../../test/support/firestore.ts';
import { type Fence, unfenced } from '../../src/accounts/fence.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { AccountSync, type SyncOptions } from '../../src/pipeline/account-sync.ts';
import type { BaileysEventBatch, EventMeta, PipelineSocket } from '../../src/pipeline/consumer.ts';
import { FirestoreMessageContentStore, type MessageContentStore } from '../../src/pipeline/message-content.ts';
import type { WriteBudget } from '../../src/pipeline/writer/write-budget.ts';

export const ME = { id: SELF.pn, lid: SELF.lid as string };

export interface TestSyncOptions {
  accountId?: string;
  fence?: Fence;
  log?: Logger;
  socket?: PipelineSocket;
  options?: Partial<SyncOptions>;
  /** `updatedAt` of every written document. */
  now?: number;
  budget?: WriteBudget;
  contents?: MessageContentStore;
}

export async function openSync(o: TestSyncOptions = {}): Promise<AccountSync> {
  const db = testDb();
  const accountId = o.accountId ?? `sync-${randomUUID()}`;
  await db.doc(`accounts/${accountId}`).set({ displayName: accountId }, { merge: true });
  return AccountSync.open({
    db,
    accountId,
    epoch: 1,
    fence: o.fence ?? unfenced(db, accountId),
    log: o.log ?? createLogger(process.env.WASYNC_TEST_LOG ?? 'silent'),
    me: () => ME,
    socket: () => o.socket,
    contents: o.contents ?? new FirestoreMessageContentStore(db),
    ...(o.budget ? { budget: o.budget } : {}),
    options: {
      ...o.options,
      writer: { ...(o.now ? { now: () => o.now! } : {}), retry: { baseMs: 1, maxMs: 20 }, ...o.options?.writer },
    },
  });
}

/** Feeds event maps as the host would (seq from 1, the same receive time for all). */
export async function feed(sync: AccountSync, maps: readonly BaileysEventBatch[], receivedAt: number, from = 1) {
  for (const [i, map] of maps.entries()) {
    const meta: EventMeta = { socket: 1, seq: from + i, receivedAt };
    await sync.handle(map, meta);
  }
}
