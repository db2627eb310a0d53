/**
 * The command executor joined to the host's event seam: for each owned account it opens the
 * inner consumer (the sync pipeline) and an `AccountCommands` beside it. Every event batch is
 * shown to the account's `ConnectionWatch` first (open, QR, backlog drained), then handed on, so
 * waiting sends learn about an open socket without waiting for the pipeline. History sets are
 * shown to it as they arrive, before the batches ahead of them are handled: a backfill's answer
 * is on time even while the pipeline is busy with an import.
 */
import type { MediaState } from '@wasync/shared';
import type { Firestore } from 'firebase-admin/firestore';
import type { SessionControl } from '../connection/session-control.ts';
import type {
  AccountContext,
  AccountEventConsumer,
  AccountEventSink,
  BaileysEventBatch,
  EventMeta,
} from '../pipeline/consumer.ts';
import type { SyncConsumer } from '../pipeline/sync-consumer.ts';
import { sessionControl } from './account-control.ts';
import { ConnectionWatch } from './connection-watch.ts';
import { AccountCommands, type BackfillRunner, type ExecutorOptions } from './executor.ts';

export interface CommandsConsumerOptions {
  executor: ExecutorOptions;
  /** The account's session under lease `epoch` (pairing, logout); undefined once it is let go. */
  sessionOf: (accountId: string, epoch: number) => SessionControl | undefined;
  /**
   * Backfill per account: its runner needs the account's watch, and `caughtUp` (resolves once the
   * batches arrived so far are handled and their history chunks imported).
   */
  backfill?: (context: AccountContext, watch: ConnectionWatch, caughtUp: () => Promise<void>) => BackfillRunner;
  /** Told when an open socket has delivered its offline backlog (backfill scheduling). */
  onBacklogDrained?: (context: AccountContext, socket: number) => void;
  onSend?: (accountId: string, commandId: string) => void;
  /** The host's media service: runs `fetch_media` commands (none without a bucket). */
  fetchMedia?: (accountId: string, ref: { threadId: string; messageDocId: string }) => Promise<MediaState | undefined>;
}

export class CommandsConsumer implements AccountEventConsumer {
  readonly #executors = new Map<string, AccountCommands>();

  constructor(
    private readonly db: Firestore,
    private readonly inner: AccountEventConsumer,
    /** The sync pipeline, whose writer sends go through (undefined: sends cannot run). */
    private readonly pipeline: SyncConsumer | undefined,
    private readonly options: CommandsConsumerOptions,
  ) {}

  /** The executor of an account this host owns now. */
  executor(accountId: string): AccountCommands | undefined {
    return this.#executors.get(accountId);
  }

  async openAccount(context: AccountContext): Promise<AccountEventSink> {
    const sink = await this.inner.openAccount(context);
    const watch = new ConnectionWatch();
    const { accountId } = context;
    const pipeline = this.pipeline;
    const delivery = new DeliveryCount();
    // What has arrived so far handled by the pipeline, and its history chunks imported.
    const caughtUp = async () => {
      await delivery.handled(delivery.arrivedSoFar);
      await pipeline?.account(accountId)?.historyImported();
    };
    const executor = new AccountCommands({
      db: this.db,
      accountId,
      fence: context.fence,
      control: sessionControl(() => this.options.sessionOf(accountId, context.epoch), context, watch),
      watch,
      writer: () => pipeline?.account(accountId),
      me: () => context.me(),
      ...(pipeline && this.options.backfill ? { backfill: this.options.backfill(context, watch, caughtUp) } : {}),
      ...(this.options.fetchMedia
        ? { fetchMedia: (ref: { threadId: string; messageDocId: string }) => this.options.fetchMedia!(accountId, ref) }
        : {}),
      options: this.options.executor,
      log: context.log.child({ component: 'commands' }),
      ...(this.options.onSend ? { onSend: (commandId: string) => this.options.onSend!(accountId, commandId) } : {}),
    });
    const onDrained = this.options.onBacklogDrained;
    if (onDrained) watch.onBacklogDrained((socket) => onDrained(context, socket));
    this.#executors.set(accountId, executor);
    executor.start();
    return {
      arrived: (events: BaileysEventBatch) => {
        delivery.arrived();
        watch.arrived(events);
        sink.arrived?.(events);
      },
      handle: async (events: BaileysEventBatch, meta: EventMeta) => {
        try {
          watch.observe(events, meta.socket);
          await sink.handle(events, meta);
        } finally {
          delivery.handledOne();
        }
      },
      close: async (reason: string) => {
        watch.close();
        if (this.#executors.get(accountId) === executor) this.#executors.delete(accountId);
        await executor.close();
        await sink.close(reason);
      },
    };
  }
}

/** Batches arrived and handled, in the queue's order: waits until the pipeline got past a point. */
class DeliveryCount {
  #arrived = 0;
  #handled = 0;
  #waiters: { upTo: number; resolve: () => void }[] = [];

  get arrivedSoFar(): number {
    return this.#arrived;
  }

  arrived(): void {
    this.#arrived++;
  }

  handledOne(): void {
    this.#handled++;
    const due = this.#waiters.filter((w) => w.upTo <= this.#handled);
    this.#waiters = this.#waiters.filter((w) => w.upTo > this.#handled);
    for (const waiter of due) waiter.resolve();
  }

  /** Resolves once `upTo` batches were handled (at once if they were). */
  handled(upTo: number): Promise<void> {
    if (upTo <= this.#handled) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ upTo, resolve }));
  }
}
