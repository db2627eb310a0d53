/**
 * The sync pipeline as the host's event consumer: one `AccountSync` per owned account, all of
 * them sharing the host's write budget. The default consumer of `npm start` and production.
 */
import type { Firestore } from 'firebase-admin/firestore';
import type { MediaService } from '../media/service.ts';
import { AccountSync, type SyncOptions } from './account-sync.ts';
import type { AccountContext, AccountEventConsumer } from './consumer.ts';
import { WriteBudget, type WriteBudgetOptions } from './writer/write-budget.ts';

export interface PipelineOptions {
  sync: Partial<SyncOptions>;
  budget: WriteBudgetOptions;
}

export class SyncConsumer implements AccountEventConsumer {
  readonly budget: WriteBudget;
  readonly #open = new Map<string, AccountSync>();

  constructor(
    private readonly db: Firestore,
    private readonly options: PipelineOptions,
    /** Media fetching (live eagerly, history lazily); without it messages keep media metadata only. */
    private readonly media?: MediaService,
  ) {
    this.budget = new WriteBudget(options.budget);
  }

  /** The pipeline of an account this host owns now (the command executor writes through it). */
  account(accountId: string): AccountSync | undefined {
    return this.#open.get(accountId);
  }

  async openAccount(context: AccountContext): Promise<AccountSync> {
    const sync = await AccountSync.open({
      db: this.db,
      accountId: context.accountId,
      epoch: context.epoch,
      fence: context.fence,
      log: context.log,
      me: context.me,
      socket: context.socket,
      contents: context.contents,
      budget: this.budget,
      options: this.options.sync,
    });
    this.#open.set(context.accountId, sync);
    const media = this.media?.open({
      accountId: context.accountId,
      fence: context.fence,
      log: context.log,
      socket: context.socket,
      writer: sync.writer,
    });
    if (media) sync.attachMedia(media);
    sync.onClose(() => {
      if (this.#open.get(context.accountId) === sync) this.#open.delete(context.accountId);
      if (media) this.media?.close(context.accountId, media);
    });
    return sync;
  }
}
