/**
 * The seam between sockets and the sync pipeline.
 *
 * The host hands every Baileys event of an account to ONE consumer, in the order Baileys emitted
 * it, one event map at a time (the next waits until the previous `handle` settled). Both
 * transports feed it the same way: a real `makeWASocket` and the simulated WhatsApp both emit
 * through Baileys' event buffer, and the host subscribes with `ev.process`.
 *
 * An event map is what `ev.process` delivers: several event types at once after a buffer flush
 * (history chunks merged, upserts merged, …) or a single event. Baileys' buffer already changed
 * the payload by then (see baileys-v7-brief.md §1: merged chunks, dropped `lidPnMappings`,
 * receipt time in `messages.update`); the pipeline must read it with that in mind.
 *
 * Lifetime: `openAccount` is called when this host starts owning an account (a new lease epoch)
 * and the sink lives until the host lets go of the account — across the reconnects in between,
 * which is why `handle` gets the socket's sequence number. `close` comes last: flush what is
 * pending. After the lease is lost, `context.isOwner()` turns false and fenced writes throw
 * LeaseLostError; stop writing then (the new owner replays from WhatsApp/history as needed).
 */
import type { EpochMs } from '@wasync/shared';
import type { BaileysEventMap } from '@whiskeysockets/baileys';
import type { Fence } from '../accounts/fence.ts';
import type { Logger } from '../log.ts';
import type { WhatsAppSocket } from '../transport/types.ts';
import type { MessageContentStore } from './message-content.ts';

/** One `ev.process` delivery: any subset of Baileys' events. */
export type BaileysEventBatch = Partial<BaileysEventMap>;

export interface AccountContext {
  accountId: string;
  /** Fencing epoch of the lease these events arrive under. */
  epoch: number;
  /** Which transport produced the events (the pipeline treats both the same). */
  transport: 'baileys' | 'simulated';
  log: Logger;
  /** True while this host still owns the account under `epoch`. */
  isOwner(): boolean;
  /** Transactions that first check the lease: use for writes a stale owner must not make. */
  fence: Fence;
  /** Where raw message content goes, so `getMessage` can answer retry receipts. */
  contents: MessageContentStore;
  /**
   * Who the account is, from the socket's creds (`creds.me`, JIDs normalised, no device part);
   * undefined until the account is paired. Read it per batch: pairing sets it mid-ownership.
   */
  me(): AccountIdentity | undefined;
  /**
   * The live socket; undefined between sockets (reconnects, pairing restarts). The pipeline uses
   * only its `PipelineSocket` part; the command executor sends and asks for history through it.
   */
  socket(): WhatsAppSocket | undefined;
}

/** `accounts/{id}.me` as the host publishes it. */
export interface AccountIdentity {
  /** Phone-number JID (`<digits>@s.whatsapp.net`). */
  id: string;
  /** LID JID (`<digits>@lid`), once WhatsApp told it. */
  lid?: string;
  name?: string;
}

/**
 * The live socket's parts the pipeline reads: Baileys' LID ↔ PN store (`signalRepository.lidMapping`,
 * which learns pairs the event buffer may have dropped from merged history) and the group list
 * (`groupFetchAllParticipating`, which also emits `groups.update`), and the media re-upload request
 * (`updateMediaMessage`) for media whose link expired.
 */
export type PipelineSocket = Pick<
  WhatsAppSocket,
  'signalRepository' | 'groupFetchAllParticipating' | 'updateMediaMessage'
>;

export interface EventMeta {
  /** 1 for the first socket of this ownership, +1 per reconnect. */
  socket: number;
  /** Position of this batch among all batches of the ownership (1, 2, …). */
  seq: number;
  /**
   * When the host received the batch from Baileys (taken once, on arrival at the seam, not when the
   * sink gets to it): normalisation clamps future timestamps to it, so a replay must reuse it.
   */
  receivedAt: EpochMs;
}

export interface AccountEventSink {
  /**
   * Each event map as it arrives from Baileys, before it waits its turn for `handle` behind the
   * batches still being handled: synchronous, no I/O. For what must not wait for the pipeline — an
   * answer to a history request is the phone's answer when it arrives, however long Firestore
   * takes with what came before it.
   */
  arrived?(events: BaileysEventBatch): void;
  /** Every event map of the account, in order; the next call waits for this one to settle. */
  handle(events: BaileysEventBatch, meta: EventMeta): Promise<void>;
  /** The host lets go of the account (shutdown, lease lost, rebalancing): flush and finish. */
  close(reason: string): Promise<void>;
}

/** What the sync pipeline implements (one instance per host). */
export interface AccountEventConsumer {
  openAccount(context: AccountContext): AccountEventSink | Promise<AccountEventSink>;
}

/** Stores nothing: for tests of the host's lifecycle that need no pipeline (the default is `SyncConsumer`). */
export const discardingConsumer: AccountEventConsumer = {
  openAccount: () => ({ handle: async () => {}, close: async () => {} }),
};

/** When the account's socket is paused because its events wait for the pipeline (`EventQueue`). */
export interface QueueLimits {
  /** Waiting batches from which the socket is paused. */
  pauseAt: number;
  /** Waiting history batches (each one a decoded chunk, up to tens of MB) from which the socket is paused. */
  pauseAtHistory: number;
  /** A paused socket comes back once no history and at most this many batches wait. */
  resumeAt: number;
  /** From this many waiting batches a warning is logged (doubling). */
  warnAt: number;
}

export const DEFAULT_QUEUE_LIMITS: QueueLimits = { pauseAt: 5_000, pauseAtHistory: 8, resumeAt: 500, warnAt: 1_000 };

/**
 * Delivers an account's event maps to its sink strictly one after another. `ev.process` listeners
 * are not awaited by Baileys, so without this queue two batches would be handled concurrently and
 * could complete out of order. A sink that throws does not stop the stream (DESIGN I8): the error
 * is logged with the batch's event names, and the next batch is delivered.
 *
 * Memory, and the policy when the pipeline falls behind. Nothing here can push back on Baileys,
 * which does not wait for its listeners, and nothing in it is ever dropped: Baileys has already
 * acknowledged every message it emitted, so WhatsApp will not deliver it again. The sync
 * pipeline's sink takes a batch as soon as its history is stored raw — durable first, so it may
 * leave memory: the import keeps at most two payloads decoded and reloads the rest from the raw
 * store when their turn comes — and its live events once their content is kept. So the queue stays
 * short while Firestore takes writes, however long or slow an import is; it grows when Firestore
 * cannot take them (an outage, a throttled project). Then it is bounded by pausing the source:
 * from `pauseAt` waiting batches, or `pauseAtHistory` waiting history chunks, `full` turns true and
 * the session closes the socket. WhatsApp keeps what it has not delivered to a device that is
 * offline and hands it over as the offline backlog when the socket comes back (`whenResumable`:
 * no history and at most `resumeAt` batches left). Live traffic is delayed, never dropped.
 */
export class EventQueue {
  #tail: Promise<void> = Promise.resolve();
  #depth = 0;
  #historyDepth = 0;
  #seq = 0;
  #closed = false;
  #warnedAt = 0;
  #drained: (() => void)[] = [];
  readonly #limits: QueueLimits;

  constructor(
    private readonly sink: AccountEventSink,
    private readonly log: Logger,
    limits: Partial<QueueLimits> = {},
  ) {
    this.#limits = { ...DEFAULT_QUEUE_LIMITS, ...limits };
  }

  get depth(): number {
    return this.#depth;
  }

  /** Too much waits: the source must pause (see the class comment). */
  get full(): boolean {
    return this.#depth >= this.#limits.pauseAt || this.#historyDepth >= this.#limits.pauseAtHistory;
  }

  /** Resolves once a paused source may come back: no history and at most `resumeAt` batches wait. */
  whenResumable(): Promise<void> {
    if (this.#resumable()) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  push(events: BaileysEventBatch, socket: number): void {
    if (this.#closed) return;
    try {
      this.sink.arrived?.(events);
    } catch (err) {
      this.log.error({ err, events: Object.keys(events) }, 'event consumer failed on an arriving batch');
    }
    const meta: EventMeta = { socket, seq: ++this.#seq, receivedAt: Date.now() };
    const history = events['messaging-history.set'] ? 1 : 0;
    this.#depth++;
    this.#historyDepth += history;
    if (this.#depth >= this.#limits.warnAt && this.#depth >= this.#warnedAt * 2) {
      this.#warnedAt = this.#depth;
      this.log.warn({ depth: this.#depth }, 'event consumer falls behind');
    }
    this.#tail = this.#tail.then(async () => {
      try {
        await this.sink.handle(events, meta);
      } catch (err) {
        this.log.error({ err, events: Object.keys(events), seq: meta.seq }, 'event consumer failed on a batch');
      } finally {
        this.#depth--;
        this.#historyDepth -= history;
        if (this.#drained.length > 0 && this.#resumable()) for (const resolve of this.#drained.splice(0)) resolve();
      }
    });
  }

  /** Delivers what is queued, then closes the sink. */
  async close(reason: string): Promise<void> {
    this.#closed = true;
    await this.#tail;
    await this.sink.close(reason);
  }

  #resumable(): boolean {
    return this.#historyDepth === 0 && this.#depth <= this.#limits.resumeAt;
  }
}
