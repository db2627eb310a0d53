/**
 * The sync pipeline of one owned account — the event sink the host feeds in order:
 *
 *   batch ─┬─ messaging-history.set ─► raw store (durable) ─► history lane ─► writer (history)
 *          └─ everything else ───────► normalise ─► live lane (≤ 250 ms / 500 events) ─► writer (live)
 *
 * `handle` returns once history is durable and live events are queued, so the host's event queue
 * never waits for an import. On open, chunks an earlier owner left unfinished are replayed first.
 * The same object serves the CLI (`import-history`, `replay-history`) through `ingest.ts`.
 */
import type { LidPnPair, MessageSource, PlannerEvent, SelfIdentity } from '@wasync/shared';
import {
  type NormalizedBatch,
  normalizeBaileysEvents,
  normalizeMessage,
  type PollVoteDecrypter,
} from '@wasync/shared/normalize';
import { jidNormalizedUser, type WAMessage } from '@whiskeysockets/baileys';
import type { Firestore } from 'firebase-admin/firestore';
import type { Fence } from '../accounts/fence.ts';
import { isLeaseLost } from '../accounts/lease-errors.ts';
import type { Logger } from '../log.ts';
import type { AccountEventSink, AccountIdentity, BaileysEventBatch, EventMeta, PipelineSocket } from './consumer.ts';
import { contentsToKeep, createsPollOrEvent } from './content-policy.ts';
import { type ChunkLanding, type HistoryItem, HistoryLane } from './history/history-lane.ts';
import { refileMergedRevokes } from './history/merged-revokes.ts';
import { type ChunkDone, HistoryProgress, type RiddenProgress } from './history/progress.ts';
import type { HistorySet, RawHistory } from './history/raw-codec.ts';
import { RawHistoryStore } from './history/raw-store.ts';
import { historySlices } from './history/slices.ts';
import { LiveLane } from './live/live-lane.ts';
import type { MessageContentStore } from './message-content.ts';
import { pollVoteDecrypter } from './poll-votes.ts';
import type { AlongsideWrite } from './store/commit-executor.ts';
import { AccountWriter, type WriterCounters, type WriterOptions, WriteStoppedError } from './writer/account-writer.ts';
import { withRetry } from './writer/retry.ts';
import type { WriteBudget } from './writer/write-budget.ts';

export interface SyncOptions {
  /** `WHATSAPP_HISTORY_SYNC_DRY_RUN`: plan history against Firestore, log a summary, write nothing of it. */
  historyDryRun: boolean;
  includeStatusBroadcast: boolean;
  /** Source of history messages; default `history` (`backfill` for ON_DEMAND). The CLI imports as `import`. */
  historySource?: MessageSource;
  /** Live flush: after this long, or at `liveMaxEvents`, whichever comes first. */
  liveFlushMs: number;
  liveMaxEvents: number;
  /** History messages per plan (memory per plan does not grow with a chunk's size). */
  historyMessagesPerPlan: number;
  /** Queued history chunks that keep their decoded payload in memory; the rest reload from the raw store. */
  historyChunksInMemory: number;
  rawHistoryRetentionMs: number;
  /** Start importing (replays included) only once the account's socket is open (the host); the CLI imports at once. */
  importAfterConnect: boolean;
  writer: Partial<WriterOptions>;
}

export const DEFAULT_SYNC_OPTIONS: SyncOptions = {
  historyDryRun: false,
  includeStatusBroadcast: false,
  liveFlushMs: 250,
  liveMaxEvents: 500,
  historyMessagesPerPlan: 2_000,
  historyChunksInMemory: 2,
  rawHistoryRetentionMs: 30 * 24 * 3_600_000,
  importAfterConnect: false,
  writer: {},
};

/** Everything an account's pipeline needs; the host builds it from the `AccountContext`. */
export interface AccountSyncDeps {
  db: Firestore;
  accountId: string;
  epoch: number;
  fence: Fence;
  log: Logger;
  me: () => AccountIdentity | undefined;
  socket: () => PipelineSocket | undefined;
  contents: MessageContentStore;
  budget?: WriteBudget;
  options?: Partial<SyncOptions>;
}

/** What the pipeline did for an account (logs, the CLI's summary, benchmarks). */
export interface SyncCounters extends WriterCounters {
  historyChunks: number;
  /** History messages imported (counted as each slice of a chunk lands). */
  historyMessages: number;
  /** Events normalisation could not use, by reason (I8). */
  skipped: Record<string, number>;
}

/**
 * Where media messages the pipeline sees are reported (the media fetcher, `media/fetcher.ts`):
 * `eager` for live ones and sends (fetched once written), `lazy` for history and backfill.
 */
export interface MediaSightings {
  seen(messages: readonly WAMessage[], mode: 'eager' | 'lazy'): Promise<void>;
}

/** How often a replay waiting for the account's identity looks again. */
const IDENTITY_POLL_MS = 100;

/** `creds.me` as the domain's `SelfIdentity`. */
export function selfOf(me: AccountIdentity | undefined): SelfIdentity | undefined {
  return me ? { pn: me.id, lid: me.lid ?? null } : undefined;
}

/** The batch without its history set (what the live lane takes). */
function liveEvents(events: BaileysEventBatch): BaileysEventBatch {
  const { 'messaging-history.set': _history, ...rest } = events;
  return rest;
}

function isLid(jid: string | null | undefined): jid is string {
  return typeof jid === 'string' && (jid.endsWith('@lid') || jid.endsWith('@hosted.lid'));
}

/** `promise` settled, its outcome dropped: what the next history write waits for. */
function settled(promise: Promise<unknown>): Promise<void> {
  return promise.then(
    () => undefined,
    () => undefined,
  );
}

export class AccountSync implements AccountEventSink {
  readonly options: SyncOptions;
  readonly writer: AccountWriter;
  readonly raw: RawHistoryStore;
  readonly progress: HistoryProgress;
  readonly #deps: AccountSyncDeps;
  readonly #live: LiveLane;
  readonly #history: HistoryLane;
  readonly #skipped: Record<string, number> = {};
  readonly #background = new Set<Promise<unknown>>();
  #historyChunks = 0;
  #historyMessages = 0;
  /** The last history write under way (settled: never rejects); the next slice's commits follow it. */
  #historyTail: Promise<unknown> = Promise.resolve();
  /** Chunks whose writes are under way (at most two: one committing, the next one planning). */
  #chunksImporting = 0;
  #closed = false;
  /** A socket of this ownership reached `open` (see `importAfterConnect`). */
  #online = false;
  #replayedAtOpen = 0;
  readonly #onClose: Array<() => void> = [];
  #media: MediaSightings | undefined;

  private constructor(deps: AccountSyncDeps, writer: AccountWriter) {
    this.#deps = deps;
    this.options = { ...DEFAULT_SYNC_OPTIONS, ...deps.options };
    this.writer = writer;
    this.raw = new RawHistoryStore(deps.db, deps.accountId, deps.fence, this.options.rawHistoryRetentionMs);
    this.progress = new HistoryProgress(deps.db, deps.accountId, deps.fence, deps.log, writer.options.retry);
    this.#live = new LiveLane(
      (events) => this.#writeLive(events),
      {
        flushMs: this.options.liveFlushMs,
        maxEvents: this.options.liveMaxEvents,
      },
      deps.log,
    );
    this.#history = new HistoryLane(
      (item, open) => this.#importChunk(item, open),
      this.options.historyChunksInMemory,
      deps.log,
    );
  }

  /** Opens the account: its writer (pairs, pending ids), its progress, and the replay of unfinished history. */
  static async open(deps: AccountSyncDeps): Promise<AccountSync> {
    const options = { ...DEFAULT_SYNC_OPTIONS, ...deps.options };
    const writer = AccountWriter.create({
      db: deps.db,
      accountId: deps.accountId,
      fence: deps.fence,
      self: () => selfOf(deps.me()),
      budget: deps.budget,
      log: deps.log,
      options: options.writer,
    });
    const sync = new AccountSync(deps, writer);
    // One round trip before the socket may start: a takeover must not wait for the pipeline.
    const [pending] = await Promise.all([
      options.historyDryRun ? Promise.resolve([]) : sync.raw.pending(),
      writer.load(),
      sync.progress.load(),
    ]);
    if (pending.length > 0) {
      deps.log.info(
        { chunks: pending.length, messages: pending.reduce((n, c) => n + c.messages, 0) },
        'replaying history chunks an earlier owner left unfinished',
      );
    }
    for (const ref of pending) sync.#history.push({ ref });
    sync.#replayedAtOpen = pending.length;
    return sync;
  }

  /**
   * Queues stored raw history again (the CLI's `replay-history`): `pending` was queued when the
   * account was opened; `all` also re-imports the chunks already done (a replay changes nothing
   * that is right, and repairs what is not). Returns how many chunks the replay covers.
   */
  async replayStored(which: 'pending' | 'all'): Promise<number> {
    if (which === 'pending') return this.#replayedAtOpen;
    const done = (await this.raw.all()).filter((chunk) => chunk.state === 'done');
    for (const ref of done) this.#history.push({ ref });
    return this.#replayedAtOpen + done.length;
  }

  get counters(): SyncCounters {
    return {
      ...this.writer.counters,
      historyChunks: this.#historyChunks,
      historyMessages: this.#historyMessages,
      skipped: { ...this.#skipped },
    };
  }

  async handle(events: BaileysEventBatch, meta: EventMeta): Promise<void> {
    if (this.#closed) return;
    if (events['connection.update']?.connection === 'open') {
      this.#online = true;
      this.#fetchGroups();
    }
    const history = events['messaging-history.set'];
    if (history) {
      // The history part is normalised apart from the rest of the map: undo the buffer's one merge across them first.
      refileMergedRevokes(history, events['messages.upsert']?.messages);
      await this.acceptHistory(history, meta);
    }
    await this.acceptLive(liveEvents(events), meta.receivedAt);
  }

  /** Store a history payload durably and queue its import (in a dry run: plan it now and log). */
  async acceptHistory(set: HistorySet, meta: Pick<EventMeta, 'seq' | 'receivedAt'>): Promise<void> {
    const raw: RawHistory = { set, pairs: await this.#lookupPairs(set) };
    if (this.options.historyDryRun) {
      await this.#dryRun(raw, meta.receivedAt);
      return;
    }
    const { historySource: source } = this.options;
    const ref = await this.#retry(() =>
      this.raw.put(raw, { receivedAt: meta.receivedAt, seq: meta.seq, ...(source ? { source } : {}) }),
    );
    this.#history.push({ ref, raw });
    // Polls' secrets now, not after the import (minutes for a fresh account): a vote arriving
    // meanwhile is opened with them. The import stores them again (a replay has only the raw store).
    await this.#keepContents((set.messages ?? []).filter(createsPollOrEvent));
  }

  /**
   * Normalise the non-history events of a batch and queue them on the live lane. Poll votes are
   * opened first (their polls' contents may need a read).
   */
  async acceptLive(events: BaileysEventBatch, receivedAt: number): Promise<void> {
    if (Object.keys(events).length === 0) return;
    const me = this.#deps.me();
    const self = selfOf(me);
    if (!me || !self) return; // before pairing nothing is a message (QR and creds updates)
    const upsert = events['messages.upsert'];
    const messages = upsert?.messages ?? [];
    // Retried: a read that failed for a reason that passes must not make the votes "poll unknown".
    const decryptPollVote = await this.#retry(() =>
      pollVoteDecrypter(messages, {
        accountId: this.#deps.accountId,
        contents: this.#deps.contents,
        me,
        alternateOf: (jid) => this.writer.alternateOf(jid),
      }),
    ).catch((err) => {
      this.#deps.log.warn({ err }, 'poll votes not opened');
      return undefined;
    });
    const batch = this.#normalize(events, self, receivedAt, decryptPollVote);
    // notify: received now; append: ours, sent from this or another device. Both are live.
    if (upsert && this.#media) this.#track(this.#media.seen(messages, 'eager'));
    this.#live.push(batch.events);
    // Awaited: the next batch may hold a vote on a poll of this one, opened with the stored secret.
    if (upsert) await this.#keepContents(contentsToKeep(messages, upsert.type));
  }

  /**
   * For other work on this account — the command executor's sends, backfill answers it collects:
   * Baileys messages written now on the live lane as `source` (`send` for ours: their content is
   * kept for `getMessage`, stored beside the write). `alongside`: the caller's own writes, landing
   * in the same fenced transaction as the messages (`AccountWriter.write`). Resolves once they
   * landed; throws what the writer throws.
   */
  async writeMessages(
    messages: readonly WAMessage[],
    source: MessageSource,
    receivedAt = Date.now(),
    alongside?: AlongsideWrite,
  ): Promise<void> {
    const self = selfOf(this.#deps.me());
    if (!self) throw new Error(`account ${this.#deps.accountId} has no identity yet`);
    const events: PlannerEvent[] = [];
    for (const message of messages) {
      const result = normalizeMessage(message, {
        source,
        receivedAt,
        self,
        includeStatusBroadcast: this.options.includeStatusBroadcast,
      });
      if (result.kind === 'skip') this.#skipped[result.reason] = (this.#skipped[result.reason] ?? 0) + 1;
      else events.push(result);
    }
    if (this.#media) this.#track(this.#media.seen(messages, source === 'backfill' ? 'lazy' : 'eager'));
    // Our content is needed once the message is out (retry receipts), not by the write: both at once.
    const contents = source === 'send' ? messages.filter((m) => m.message) : [];
    await Promise.all([
      contents.length > 0 ? this.#retry(() => this.#deps.contents.put(this.#deps.accountId, contents)) : undefined,
      this.writer.write(events, 'live', undefined, alongside),
    ]);
  }

  /** Resolves once everything accepted so far is written (live flushed, history imported). */
  async drain(): Promise<void> {
    await this.#live.flush();
    await this.#history.idle();
    await Promise.all(this.#background);
    await this.progress.flush();
  }

  /** Resolves once the history chunks queued so far are imported (backfill picks its threads after). */
  historyImported(): Promise<void> {
    return this.#history.idle();
  }

  /** Media messages seen from now on are reported to `media` (set once, right after opening). */
  attachMedia(media: MediaSightings): void {
    this.#media = media;
  }

  /** Called once the pipeline closed. */
  onClose(listener: () => void): void {
    this.#onClose.push(listener);
  }

  async close(reason: string): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const listener of this.#onClose) listener();
    this.#deps.log.info({ reason, counters: this.#summary() }, 'account pipeline closing');
    // Live events are written; the history import stops after its commit step in progress (what
    // is left stays pending in the raw store for the next owner).
    await Promise.all([this.#live.close(), this.#history.close()]);
    await Promise.all(this.#background);
    await this.progress.flush();
    this.writer.close();
  }

  // ── history ────────────────────────────────────────────────────────────────────────────────

  /** Planner events of a stored payload, normalised with its own receive time. */
  #historyEvents(raw: RawHistory, receivedAt: number, self: SelfIdentity, source?: MessageSource): PlannerEvent[] {
    const batch = this.#normalize({ 'messaging-history.set': raw.set }, self, receivedAt, undefined, source);
    if (raw.pairs.length > 0) batch.events.unshift({ kind: 'aliases', receivedAt, pairs: raw.pairs });
    return batch.events;
  }

  /** A payload's events in plans of at most `historyMessagesPerPlan` (`history/slices.ts`). */
  #slices(events: PlannerEvent[]): PlannerEvent[][] {
    return historySlices(events, this.options.historyMessagesPerPlan);
  }

  /**
   * Imports one chunk, slice by slice, each slice planned while the one before commits (`write`'s
   * `after`) — the first while the previous chunk's last slice commits — so planning and Firestore
   * work at the same time, and the commits still land in order: the chunk's `done` (in its last
   * commit) after all its documents, and after the chunk before it. Returns once its last slice is
   * under way, with the promise of that slice landing (`HistoryLane` awaits it).
   */
  async #importChunk(item: HistoryItem, stillOpen: () => boolean): Promise<ChunkLanding | undefined> {
    const self = await this.#identity(stillOpen);
    if (!self) return undefined;
    const { events, chunk } = await this.#prepareChunk(item, self);
    const progress = this.progress.rideAlong(chunk);
    // The chunk's "done" (and its progress, when due) land in its last commit: all or nothing
    // with its last documents, and no commit of their own (two per chunk before).
    const done: AlongsideWrite = (tx) => {
      this.raw.markDoneIn(tx, item.ref);
      progress.write(tx);
    };
    const slices = this.#slices(events);
    if (slices.length === 0) slices.push([]);
    this.#chunksImporting += 1;
    let previous: Promise<unknown> = this.#historyTail;
    let latest = previous;
    try {
      for (const [i, slice] of slices.entries()) {
        if (!stillOpen()) throw new WriteStoppedError(this.writer.accountId, 'the account was let go');
        const last = i === slices.length - 1;
        const write = this.writer
          .write(slice, 'history', stillOpen, last ? done : undefined, previous)
          // Counted per slice, so a tool's progress moves within a large chunk.
          .then(() => {
            this.#historyMessages += slice.filter((e) => e.kind === 'message').length;
          });
        write.catch(() => undefined); // awaited below or by the lane; a failure is theirs to report
        latest = write;
        // At most one slice planned ahead: wait for the one before while this one plans.
        await previous;
        previous = write;
      }
    } catch (err) {
      // A slice still committing finishes its step first (closing waits for it, as before).
      this.#historyTail = settled(latest);
      await this.#historyTail;
      this.#chunksLanded(progress);
      throw err;
    }
    const landed = previous.then(() => {
      this.#historyChunks += 1;
      // With chunks still queued (or the next one under way), a state not carried waits for the next one's last commit.
      this.progress.chunkDone(chunk, progress, this.#history.waiting > 0 || this.#chunksImporting > 1);
    });
    const finished = landed.finally(() => this.#chunksLanded(progress));
    this.#historyTail = settled(finished);
    return { landed: finished };
  }

  /** A chunk's writes are over, landed or not. */
  #chunksLanded(progress: RiddenProgress): void {
    this.#chunksImporting -= 1;
    this.progress.settle(progress);
  }

  /**
   * A chunk's planner events and what its "done" records, and everything else that needs its
   * decoded payload. Apart from `#importChunk`, so that the payload (2.4 MB for 2,500 messages)
   * goes with this call: an async function keeps its locals for all its awaits, and the chunk's
   * writes take as long as its commits (long under the write budget, for every account at once).
   */
  async #prepareChunk(item: HistoryItem, self: SelfIdentity): Promise<{ events: PlannerEvent[]; chunk: ChunkDone }> {
    const raw = item.raw ?? (await this.#retry(() => this.raw.load(item.ref)));
    delete item.raw;
    // A replay imports a chunk as what it was stored as (the CLI's files stay `import`).
    const events = this.#historyEvents(raw, item.ref.receivedAt, self, item.ref.source);
    if (this.#media) this.#track(this.#media.seen(raw.set.messages ?? [], 'lazy'));
    // Before the chunk can be marked done (idempotent: a replay stores them again).
    const creations = (raw.set.messages ?? []).filter(createsPollOrEvent);
    if (creations.length > 0) await this.#retry(() => this.#deps.contents.put(this.#deps.accountId, creations));
    return { events, chunk: this.#chunkInfo(raw.set, events) };
  }

  /**
   * Who the account is, once an import may start. A replay is queued when the account is opened,
   * before the socket has loaded the creds that say who it is; with `importAfterConnect` it also
   * waits for the socket to open, so a host taking accounts over brings their sockets up before it
   * spends Firestore and CPU on their imports. Undefined if the lane closes first.
   */
  async #identity(stillOpen: () => boolean): Promise<SelfIdentity | undefined> {
    for (;;) {
      const self = selfOf(this.#deps.me());
      const may = this.#online || !this.options.importAfterConnect;
      if ((self && may) || !stillOpen()) return self;
      await new Promise((resolve) => setTimeout(resolve, IDENTITY_POLL_MS));
    }
  }

  #chunkInfo(set: HistorySet, events: PlannerEvent[]): ChunkDone {
    const messages = events.filter((e) => e.kind === 'message').length;
    return { syncType: set.syncType, progress: set.progress, isLatest: set.isLatest, messages };
  }

  async #dryRun(raw: RawHistory, receivedAt: number): Promise<void> {
    const self = selfOf(this.#deps.me());
    if (!self) return;
    const events = this.#historyEvents(raw, receivedAt, self);
    const plans = await Promise.all(this.#slices(events).map((slice) => this.writer.plan(slice)));
    const total = (pick: (p: (typeof plans)[number]) => number) => plans.reduce((n, p) => n + pick(p), 0);
    this.#deps.log.info(
      {
        syncType: raw.set.syncType,
        progress: raw.set.progress,
        messages: events.filter((e) => e.kind === 'message').length,
        wouldWrite: {
          messages: total((p) => p.stats.messagesWritten),
          threads: total((p) => p.stats.threadsWritten),
          pendingUpdates: total((p) => p.stats.pendingWritten),
          pairs: total((p) => p.stats.pairsLearned),
          writes: total((p) => p.commits.reduce((n, c) => n + c.writes, 0)),
          commits: total((p) => p.commits.length),
        },
      },
      'history sync dry run: nothing written',
    );
  }

  // ── live ───────────────────────────────────────────────────────────────────────────────────

  async #writeLive(events: PlannerEvent[]): Promise<void> {
    try {
      await this.writer.write(events, 'live');
    } catch (err) {
      if (isLeaseLost(err)) this.#deps.log.warn({ events: events.length }, 'lease lost; live events not written');
      else throw err;
    }
  }

  /** Stores raw contents for `getMessage` and poll votes (retried; a failure is logged, never thrown). */
  async #keepContents(messages: WAMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.#retry(() => this.#deps.contents.put(this.#deps.accountId, messages)).catch((err) =>
      this.#deps.log.warn({ err, messages: messages.length }, 'message content not stored'),
    );
  }

  /** One group list after each connect: `groupFetchAllParticipating` emits `groups.update` with every subject. */
  #fetchGroups(): void {
    const socket = this.#deps.socket();
    if (!socket) return;
    this.#track(
      socket.groupFetchAllParticipating().catch((err) => this.#deps.log.warn({ err }, 'group list not fetched')),
    );
  }

  // ── shared ─────────────────────────────────────────────────────────────────────────────────

  #normalize(
    events: BaileysEventBatch,
    self: SelfIdentity,
    receivedAt: number,
    decryptPollVote?: PollVoteDecrypter,
    historySource = this.options.historySource,
  ): NormalizedBatch {
    const batch = normalizeBaileysEvents(events, {
      self,
      receivedAt,
      includeStatusBroadcast: this.options.includeStatusBroadcast,
      ...(historySource ? { historySource } : {}),
      ...(decryptPollVote ? { decryptPollVote } : {}),
    });
    for (const skip of batch.skipped) this.#skipped[skip.reason] = (this.#skipped[skip.reason] ?? 0) + 1;
    if (batch.skipped.length > 0) {
      this.#deps.log.debug(
        { skipped: batch.skipped.slice(0, 20), total: batch.skipped.length },
        'events skipped by normalisation',
      );
    }
    return batch;
  }

  /**
   * LID ↔ PN pairs for the LIDs of a history payload, from Baileys' mapping store: Baileys stores
   * the payload's mappings there before emitting it, and its event buffer may then drop them
   * from a merged payload (`lidPnMappings`). Kept with the raw payload, so a replay learns the same.
   */
  async #lookupPairs(set: HistorySet): Promise<LidPnPair[]> {
    const store = this.#deps.socket()?.signalRepository?.lidMapping;
    if (!store) return [];
    const lids = new Set<string>();
    for (const chat of set.chats ?? []) if (isLid(chat.id) && !chat.pnJid) lids.add(jidNormalizedUser(chat.id));
    for (const contact of set.contacts ?? []) if (isLid(contact.id) && !contact.phoneNumber) lids.add(contact.id);
    for (const m of set.messages ?? []) {
      for (const jid of [m.key?.remoteJid, m.key?.participant]) if (isLid(jid)) lids.add(jidNormalizedUser(jid));
    }
    if (lids.size === 0) return [];
    try {
      const found = (await store.getPNsForLIDs([...lids])) ?? [];
      return found
        .map(({ lid, pn }) => ({ lid: jidNormalizedUser(lid), pn: jidNormalizedUser(pn) }))
        .filter((p) => p.lid && p.pn)
        .sort((a, b) => (a.lid < b.lid ? -1 : a.lid > b.lid ? 1 : 0));
    } catch (err) {
      this.#deps.log.warn({ err }, 'LID mapping lookup failed');
      return [];
    }
  }

  /** A Firestore call of the pipeline, retried like commits while the account is ours. */
  #retry<T>(fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, this.writer.options.retry, {
      shouldStop: () => this.writer.closed,
      onRetry: (err, attempt) => this.#deps.log.warn({ err, attempt }, 'Firestore call failed; retrying'),
    });
  }

  #track(promise: Promise<unknown>): void {
    this.#background.add(promise);
    void promise.finally(() => this.#background.delete(promise));
  }

  #summary(): Record<string, unknown> {
    const { reads, writes, commits, messagesWritten, threadsWritten, replans, retries } = this.writer.counters;
    return {
      reads,
      writes,
      commits,
      messagesWritten,
      threadsWritten,
      replans,
      retries,
      historyChunks: this.#historyChunks,
    };
  }
}
