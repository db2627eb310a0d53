/**
 * Ingesting history outside a live socket — the entry point for tools (`import-history`,
 * `replay-history`, benchmarks): Baileys event maps, or decoded `HistorySync` protobufs, for one
 * account into whatever Firestore `db` is, through exactly the path live sync takes (`AccountSync`:
 * raw store, history lane, writer with its reads, preconditions, retries and budget), with the
 * counters a summary prints.
 *
 *   const ingest = await HistoryIngest.open({ db, accountId, me: await accountIdentity(db, accountId), source: 'import' });
 *   await ingest.historySyncs(decodedFiles);          // or ingest.events(maps), ingest.replayStored('all')
 *   const summary = await ingest.finish();            // { messages, threads, skipped, reads, writes, commits, seconds, … }
 */
import { AppError, type MessageSource, paths } from '@wasync/shared';
import { type BaileysEventMap, processHistoryMessage, proto } from '@whiskeysockets/baileys';
import type { Firestore } from 'firebase-admin/firestore';
import { type Fence, unfenced } from '../accounts/fence.ts';
import { createLogger, type Logger } from '../log.ts';
import { AccountSync, type SyncCounters, type SyncOptions } from './account-sync.ts';
import type { AccountIdentity, BaileysEventBatch } from './consumer.ts';
import { FirestoreMessageContentStore, type MessageContentStore } from './message-content.ts';
import type { WriteBudget } from './writer/write-budget.ts';

export interface IngestOptions {
  db: Firestore;
  accountId: string;
  /** Who the account is (`accounts/{id}.me`: see `accountIdentity`). */
  me: AccountIdentity;
  /** Source of the history messages: `import` for files, `history` (default; `backfill` for ON_DEMAND) as live. */
  source?: MessageSource;
  /** Default: unfenced (a tool runs outside any lease; stop the account's host first). */
  fence?: Fence;
  log?: Logger;
  contents?: MessageContentStore;
  budget?: WriteBudget;
  options?: Partial<SyncOptions>;
}

export interface IngestSummary extends SyncCounters {
  seconds: number;
}

/** `accounts/{accountId}.me`, or a clear error when the account is missing or was never paired. */
export async function accountIdentity(db: Firestore, accountId: string): Promise<AccountIdentity> {
  const snapshot = await db.doc(paths.account(accountId)).get();
  if (!snapshot.exists) throw new AppError('not_found', `account ${accountId} does not exist`, { accountId });
  const me = snapshot.get('me') as Partial<AccountIdentity> | undefined;
  if (typeof me?.id !== 'string' || me.id === '') {
    throw new AppError(
      'failed_precondition',
      `account ${accountId} has no identity (accounts/${accountId}.me): pair it first, history is keyed by who the account is`,
      { accountId },
    );
  }
  return { id: me.id, ...(me.lid ? { lid: me.lid } : {}) };
}

export class HistoryIngest {
  readonly #startedAt = Date.now();
  #seq = 0;

  private constructor(readonly sync: AccountSync) {}

  static async open(options: IngestOptions): Promise<HistoryIngest> {
    const { db, accountId, me } = options;
    const sync = await AccountSync.open({
      db,
      accountId,
      epoch: options.fence?.epoch ?? 0,
      fence: options.fence ?? unfenced(db, accountId),
      log: options.log ?? createLogger('silent'),
      me: () => me,
      socket: () => undefined,
      contents: options.contents ?? new FirestoreMessageContentStore(db),
      ...(options.budget ? { budget: options.budget } : {}),
      options: { ...options.options, ...(options.source ? { historySource: options.source } : {}) },
    });
    return new HistoryIngest(sync);
  }

  get counters(): SyncCounters {
    return this.sync.counters;
  }

  /** Each map as one batch the seam would deliver (history stored raw first, the rest on the live lane). */
  async events(maps: readonly BaileysEventBatch[], receivedAt = Date.now()): Promise<void> {
    for (const map of maps) await this.sync.handle(map, { socket: 0, seq: ++this.#seq, receivedAt });
  }

  /** Decoded `HistorySync` protobufs, each as Baileys turns one notification into `messaging-history.set`. */
  async historySyncs(syncs: readonly proto.IHistorySync[], receivedAt = Date.now()): Promise<void> {
    // One at a time, as Baileys turns each notification into its event: the next one is converted
    // while the pipeline works on this one, and only one converted chunk is held at once.
    for (const sync of syncs) {
      const set = processHistoryMessage(sync instanceof proto.HistorySync ? sync : proto.HistorySync.fromObject(sync));
      await this.events([{ 'messaging-history.set': set as BaileysEventMap['messaging-history.set'] }], receivedAt);
    }
  }

  /** Re-runs the account's stored raw history (`pending`: what is not done; `all`: everything); returns the chunk count. */
  async replayStored(which: 'pending' | 'all'): Promise<number> {
    return this.sync.replayStored(which);
  }

  /** Waits until everything given is written, closes the pipeline, and sums up. */
  async finish(): Promise<IngestSummary> {
    await this.sync.drain();
    await this.sync.close('ingest finished');
    return { ...this.sync.counters, seconds: (Date.now() - this.#startedAt) / 1000 };
  }
}
