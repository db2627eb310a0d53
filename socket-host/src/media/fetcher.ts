/**
 * One account's media fetching: which media is fetched when, how many at once, and what a failure
 * leaves on the message.
 *
 * - **Live** media (`messages.upsert` notify/append, our own sends) of the `eagerTypes`
 *   (MEDIA_EAGER_TYPES) is fetched as soon as its message document landed (eager), marked `wanted`
 *   on its source first so a host that takes the account over after a crash finishes it.
 * - **History and backfill** media, and live media of other types, is fetched lazily: on the
 *   first request (`fetchNow`, from the API's `fetch_media` command) and by a background pass over
 *   each thread's newest `prefetchNewest` messages, once per thread per ownership, after its
 *   messages landed.
 * - **Bounds**: at most `perAccount` downloads of this account at once, and at most `perHost` of
 *   all accounts of the host together (`MediaLimits`); requests go before the background pass.
 * - **Failures**: a 404/410 from WhatsApp's media server means the link expired: one re-upload
 *   request through the socket (`updateMediaMessage`; Baileys rc14 never does it by itself, see
 *   errors.ts), then one more download; failing again is `expired`. Other download or upload
 *   failures are retried `attempts` times with exponential backoff and jitter, then `failed`. Too
 *   large and hash mismatches are final at once.
 */
import { MEDIA_TYPES, type MediaState, type MediaType, type MessageDoc, type MessageType } from '@wasync/shared';
import {
  downloadMediaMessage,
  getContentType,
  type MediaDownloadOptions,
  type WAMessage,
} from '@whiskeysockets/baileys';
import type { Firestore } from 'firebase-admin/firestore';
import PQueue from 'p-queue';
import type { Fence } from '../accounts/fence.ts';
import { isLeaseLost } from '../accounts/lease-errors.ts';
import type { Logger } from '../log.ts';
import { documents } from '../pipeline/store/documents.ts';
import { MediaError } from './errors.ts';
import { type MediaStorageFields, writeMediaState } from './media-state.ts';
import { type MediaSource, type MediaSourceStore, mediaContent, mediaTypeOf } from './sources.ts';
import type { MediaStore } from './store.ts';

export interface MediaFetchOptions {
  /** Downloads of one account at once (MEDIA_DOWNLOADS_PER_ACCOUNT). */
  perAccount: number;
  /** Background pass: each thread's newest N messages with media not stored yet (MEDIA_PREFETCH_NEWEST; 0: none). */
  prefetchNewest: number;
  /** Attempts on transient failures before `failed`. */
  attempts: number;
  /** First backoff delay; doubles per attempt (full jitter). */
  backoffMs: number;
  /** MEDIA_RETENTION_DAYS: media of older messages is not fetched (the lifecycle rule would delete it); 0: no limit. */
  maxAgeMs: number;
  /** MEDIA_EAGER_TYPES: live media of these types is fetched on arrival, of the others lazily. */
  eagerTypes: readonly MediaType[];
}

export const DEFAULT_MEDIA_FETCH_OPTIONS: MediaFetchOptions = {
  perAccount: 3,
  prefetchNewest: 20,
  attempts: 3,
  backoffMs: 500,
  maxAgeMs: 0,
  eagerTypes: MEDIA_TYPES,
};

/** The host-wide bound: every account's downloads pass through one queue of `perHost`. */
export class MediaLimits {
  readonly queue: PQueue;
  constructor(readonly perHost: number) {
    this.queue = new PQueue({ concurrency: perHost });
  }
}

/** What a fetch needs of the account's live socket. */
export interface MediaSocket {
  updateMediaMessage(message: WAMessage): Promise<WAMessage>;
}

export interface AccountMediaDeps {
  db: Firestore;
  accountId: string;
  fence: Fence;
  log: Logger;
  store: MediaStore;
  sources: MediaSourceStore;
  limits: MediaLimits;
  /** The account's socket now (undefined between sockets): the re-upload request goes through it. */
  socket: () => MediaSocket | undefined;
  /** The transport's third argument of `downloadMediaMessage` (the simulated media server's dispatcher). */
  downloadOptions?: MediaDownloadOptions;
  /** Told after each media state write (the pipeline's writer drops the document from its cache). */
  onStateWritten?: (path: string) => void;
  options?: Partial<MediaFetchOptions>;
}

/** Where a message document is: `accounts/{a}/threads/{t}/messages/{m}`. */
export interface MessageRef {
  threadId: string;
  messageDocId: string;
}

/** Counters for logs, tests and benchmarks. */
export interface MediaCounters {
  stored: number;
  expired: number;
  tooLarge: number;
  failed: number;
  reuploads: number;
  retries: number;
  /** Stored by finishing an upload session an earlier attempt (a crashed host) left. */
  resumed: number;
  /** Downloads of this account running now, and the most there ever were at once. */
  active: number;
  peakActive: number;
}

const PRIORITY = { request: 2, live: 1, background: 0 } as const;
type Reason = keyof typeof PRIORITY;

/** States a fetch does not undo by itself (a request may still retry `failed`). */
const SETTLED: ReadonlySet<MediaState | undefined> = new Set(['stored', 'too_large', 'expired']);

export class AccountMedia {
  readonly options: MediaFetchOptions;
  readonly counters: MediaCounters = {
    stored: 0,
    expired: 0,
    tooLarge: 0,
    failed: 0,
    reuploads: 0,
    retries: 0,
    resumed: 0,
    active: 0,
    peakActive: 0,
  };
  readonly #deps: AccountMediaDeps;
  readonly #queue: PQueue;
  /** Fetches queued or running, by message path: one at a time per message. */
  readonly #inflight = new Map<string, Promise<MediaState | undefined>>();
  /** Source writes in flight by source id: a fetch waits for its message's source. */
  readonly #sourcePuts = new Map<string, Promise<unknown>>();
  /** Live messages whose source is `wanted`, by `fromMe:id`, until their document lands. */
  readonly #eager = new Set<string>();
  readonly #prefetched = new Set<string>();
  readonly #prefetchDue = new Set<string>();
  #prefetchTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(deps: AccountMediaDeps) {
    this.#deps = deps;
    this.options = { ...DEFAULT_MEDIA_FETCH_OPTIONS, ...deps.options };
    this.#queue = new PQueue({ concurrency: this.options.perAccount });
  }

  get accountId(): string {
    return this.#deps.accountId;
  }

  /**
   * Media messages the pipeline saw: their sources are kept; `eager` (live, sends) ones of the
   * eager types are marked wanted and fetched once their document is written (`messageWritten`).
   */
  seen(messages: readonly WAMessage[], mode: 'eager' | 'lazy'): Promise<void> {
    const media = messages.filter((m) => m.key.id && m.message && hasMedia(m));
    if (media.length === 0 || this.#closed) return Promise.resolve();
    const isEager = (m: WAMessage) => mode === 'eager' && this.#eagerType(mediaTypeOf(mediaContent(m.message)!));
    const eager = media.filter(isEager);
    for (const m of eager) this.#eager.add(eagerKey(!!m.key.fromMe, m.key.id!));
    const lazy = media.filter((m) => !isEager(m));
    return Promise.all([this.#putSources(eager, true), this.#putSources(lazy, false)]).then(() => undefined);
  }

  /** Keeps the sources of `media` (`wanted` when eager); a fetch of one of them waits for it. */
  #putSources(media: readonly WAMessage[], wanted: boolean): Promise<void> {
    if (media.length === 0) return Promise.resolve();
    const put = this.#deps.sources.put(this.accountId, media, wanted);
    for (const m of media) {
      const id = eagerKey(!!m.key.fromMe, m.key.id!);
      this.#sourcePuts.set(id, put);
      void put.finally(() => {
        if (this.#sourcePuts.get(id) === put) this.#sourcePuts.delete(id);
      });
    }
    return put.then(
      () => undefined,
      (err) => this.#deps.log.warn({ err, messages: media.length }, 'media sources not stored'),
    );
  }

  /** Whether live media of `type` is fetched on arrival (MEDIA_EAGER_TYPES). */
  #eagerType(type: MessageType | undefined): boolean {
    return type !== undefined && (this.options.eagerTypes as readonly string[]).includes(type);
  }

  /** The pipeline's writer landed a message document (`AccountWriter.onMessageWritten`). */
  messageWritten(path: string, doc: MessageDoc): void {
    if (this.#closed || !doc.media || doc.deleted) return;
    const key = eagerKey(doc.fromMe, doc.id);
    const live = doc.source === 'realtime' || doc.source === 'send';
    if (this.#eager.delete(key) || (live && this.#eagerType(doc.type))) {
      if (doc.media.state === undefined) void this.#enqueue(path, 'live');
      return;
    }
    if (doc.media.state === undefined && this.options.prefetchNewest > 0) this.#duePrefetch(doc.threadId);
  }

  /** Fetch one message's media now (an API request): resolves with its `media.state` afterwards. */
  async fetchNow(ref: MessageRef): Promise<MediaState | undefined> {
    return this.#enqueue(this.#path(ref), 'request', true);
  }

  /** Resumes fetches a previous owner owed (live media, requests), e.g. after a crash mid-upload. */
  async resume(): Promise<number> {
    const wanted = await this.#deps.sources.wanted(this.accountId);
    let resumed = 0;
    for (const source of wanted) {
      if (!source.owner) continue;
      resumed++;
      void this.#enqueue(this.#path(source.owner), 'request', true);
    }
    if (resumed > 0) this.#deps.log.info({ resumed }, 'resuming media fetches an earlier owner left');
    return resumed;
  }

  /** Resolves once nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0 || this.#prefetchDue.size > 0) {
      if (this.#prefetchDue.size > 0 && this.#prefetchTimer) {
        clearTimeout(this.#prefetchTimer);
        this.#prefetchTimer = undefined;
        await this.#prefetch();
      }
      await Promise.allSettled([...this.#inflight.values()]);
    }
  }

  /**
   * Stops taking work. Downloads in progress are not waited for (a 100 MB file must not hold a
   * handover up): their state write is fenced and fails once the lease moved, and what is not
   * settled stays `wanted` on its source (with its upload session) for the next owner.
   */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#prefetchTimer);
    this.#queue.clear();
  }

  #path({ threadId, messageDocId }: MessageRef): string {
    return `accounts/${this.accountId}/threads/${threadId}/messages/${messageDocId}`;
  }

  #enqueue(path: string, reason: Reason, force = false): Promise<MediaState | undefined> {
    const running = this.#inflight.get(path);
    if (running) return running;
    if (this.#closed) return Promise.resolve(undefined);
    const priority = PRIORITY[reason];
    const job = this.#queue
      .add(() => this.#deps.limits.queue.add(() => this.#run(path, reason, force), { priority }), { priority })
      .catch((err: unknown) => {
        if (isLeaseLost(err)) return undefined;
        this.#deps.log.warn({ err, path }, 'media fetch failed');
        return undefined;
      })
      .finally(() => this.#inflight.delete(path)) as Promise<MediaState | undefined>;
    this.#inflight.set(path, job);
    return job;
  }

  async #run(path: string, reason: Reason, force: boolean): Promise<MediaState | undefined> {
    if (this.#closed) return undefined;
    const doc = await this.#read(path);
    if (!doc?.media || doc.deleted) return undefined;
    if (SETTLED.has(doc.media.state) || (doc.media.state === 'failed' && !force)) return doc.media.state;
    if (this.options.maxAgeMs > 0 && doc.timestamp < Date.now() - this.options.maxAgeMs) {
      const message = 'the message is older than MEDIA_RETENTION_DAYS';
      return this.#settle(path, undefined, { state: 'expired', error: { code: 'past_retention', message } });
    }
    const id = eagerKey(doc.fromMe, doc.id);
    await this.#sourcePuts.get(id)?.catch(() => undefined);
    const source = await this.#deps.sources.get(this.accountId, doc.fromMe, doc.id);
    if (!source) {
      // Media seen before media storage existed, or a history sighting whose source write failed.
      return this.#settle(path, undefined, {
        state: 'failed',
        error: { code: 'no_source', message: 'the download details of this media were never kept' },
      });
    }
    const owner = ownerOf(path);
    if (!source.owner || reason === 'request') {
      await this.#deps.sources.update(this.accountId, source.id, { owner, wanted: true });
    }
    this.counters.active++;
    this.counters.peakActive = Math.max(this.counters.peakActive, this.counters.active);
    try {
      // Members watching the message see its download under way (a failure tried again, no longer failed).
      await writeMediaState(this.#deps.db, this.#deps.fence, path, { state: 'pending' });
      const storage = await this.#download(source, owner, doc);
      return await this.#settle(path, source, storage);
    } finally {
      this.counters.active--;
    }
  }

  /** Download and store, with one re-upload request on an expired link and retries on transient failures. */
  async #download(source: MediaSource, owner: MessageRef, doc: MessageDoc): Promise<MediaStorageFields> {
    const { store, accountId } = { store: this.#deps.store, accountId: this.accountId };
    let message = source.message;
    let resumeSession = source.session;
    let reuploaded = false;
    const content = mediaEntry(message);
    const thumbnailPath = await this.#thumbnail(owner, content?.jpegThumbnail);
    for (let attempt = 1; ; attempt++) {
      try {
        const entry = mediaEntry(message);
        if (!entry?.fileSha256) throw new MediaError('invalid_media', 'the media has no fileSha256');
        const current = message;
        const stored = await store.store({
          owner: { accountId, threadId: owner.threadId, messageDocId: owner.messageDocId },
          fileSha256: entry.fileSha256,
          fileLength: entry.fileLength == null ? null : Number(entry.fileLength),
          contentType: entry.mimetype ?? doc.media?.mimetype ?? null,
          open: () => downloadMediaMessage(current, 'stream', this.#deps.downloadOptions ?? {}),
          ...(resumeSession && { resumeSession }),
          onSession: (session) => this.#deps.sources.update(accountId, source.id, { session }),
        });
        resumeSession = undefined;
        if (stored.outcome === 'resumed') this.counters.resumed++;
        return {
          state: 'stored',
          path: stored.path,
          sha256: stored.sha256,
          storedAt: stored.storedAt,
          ...(thumbnailPath && { thumbnailPath }),
        };
      } catch (err) {
        resumeSession = undefined;
        if (!(err instanceof MediaError)) throw err;
        const status = err.httpStatus;
        if (status === 404 || status === 410) {
          if (reuploaded) return failure('expired', 'media_expired', err, thumbnailPath);
          reuploaded = true;
          const renewed = await this.#reupload(message, source);
          if (renewed === 'refused') return failure('expired', 'media_expired', err, thumbnailPath);
          // The phone never got the request (no socket, timed out, connection closed): not the
          // phone's answer, so `failed`, which the next request or background pass tries again.
          if (renewed === 'unavailable') return failure('failed', 'media_reupload_unavailable', err, thumbnailPath);
          message = renewed;
          await this.#deps.sources.update(accountId, source.id, { message: renewed });
          continue;
        }
        if (err.state !== 'failed' || err.code === 'sha256_mismatch' || err.code === 'invalid_media') {
          return failure(err.state, err.code, err, thumbnailPath);
        }
        if (attempt >= this.options.attempts) return failure('failed', err.code, err, thumbnailPath);
        this.counters.retries++;
        const delay = Math.floor(Math.random() * this.options.backoffMs * 2 ** (attempt - 1));
        this.#deps.log.info({ err, attempt, delay, id: doc.id }, 'media fetch failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
        if (this.#closed) throw err;
      }
    }
  }

  /**
   * One re-upload request to the phone: the renewed message; `refused` when the phone answered that
   * it cannot (Baileys' Boom with the device's result: 404 not found, 412 decryption error, 418
   * general error); `unavailable` when it never got or never answered the request (no socket
   * between reconnects, Baileys' 408 timeout or 428 connection closed).
   */
  async #reupload(message: WAMessage, source: MediaSource): Promise<WAMessage | 'refused' | 'unavailable'> {
    const socket = this.#deps.socket();
    if (!socket) {
      this.#deps.log.info({ id: message.key.id }, 'media link expired while no socket is open; trying again later');
      return 'unavailable';
    }
    this.counters.reuploads++;
    await this.#deps.sources.update(this.accountId, source.id, { reuploadRequested: true });
    try {
      const renewed = await socket.updateMediaMessage({ key: message.key, message: structuredClone(message.message) });
      this.#deps.log.info({ id: message.key.id }, 'media re-uploaded by the phone');
      return renewed;
    } catch (err) {
      const status = (err as { output?: { statusCode?: number } }).output?.statusCode;
      if (status === 404 || status === 412 || status === 418) {
        this.#deps.log.info({ err, id: message.key.id }, 'media re-upload refused by the phone: expired');
        return 'refused';
      }
      this.#deps.log.warn({ err, id: message.key.id }, 'media re-upload request unanswered; trying again later');
      return 'unavailable';
    }
  }

  async #thumbnail(owner: MessageRef, jpeg: Uint8Array | null | undefined): Promise<string | undefined> {
    if (!jpeg?.length) return undefined;
    try {
      const stored = await this.#deps.store.storeThumbnail({ accountId: this.accountId, ...owner }, jpeg);
      return stored.path;
    } catch (err) {
      this.#deps.log.warn({ err }, 'media thumbnail not stored');
      return undefined;
    }
  }

  async #settle(
    path: string,
    source: MediaSource | undefined,
    storage: MediaStorageFields,
  ): Promise<MediaState | undefined> {
    const written = await writeMediaState(this.#deps.db, this.#deps.fence, path, storage);
    this.#deps.onStateWritten?.(path);
    if (source) await this.#deps.sources.update(this.accountId, source.id, { wanted: false, session: null });
    const state = storage.state;
    if (state === 'stored') this.counters.stored++;
    else if (state === 'expired') this.counters.expired++;
    else if (state === 'too_large') this.counters.tooLarge++;
    else if (state === 'failed') this.counters.failed++;
    const log = state === 'stored' ? this.#deps.log.info : this.#deps.log.warn;
    log.call(this.#deps.log, { path, state, error: storage.error, written: !!written }, 'media fetch settled');
    return state;
  }

  async #read(path: string): Promise<MessageDoc | undefined> {
    const snap = await this.#deps.db.doc(path).get();
    return snap.exists ? documents.message.fromFirestore(snap.data() as never) : undefined;
  }

  #duePrefetch(threadId: string): void {
    if (this.#prefetched.has(threadId)) return;
    this.#prefetchDue.add(threadId);
    // After history stops landing for a moment: one pass per thread, not one per chunk.
    clearTimeout(this.#prefetchTimer);
    this.#prefetchTimer = setTimeout(() => void this.#prefetch(), 1_000);
    this.#prefetchTimer.unref();
  }

  /** The background pass: each due thread's newest `prefetchNewest` messages with media not looked at yet. */
  async #prefetch(): Promise<void> {
    const threads = [...this.#prefetchDue];
    this.#prefetchDue.clear();
    for (const threadId of threads) {
      if (this.#closed) return;
      this.#prefetched.add(threadId);
      try {
        const snap = await this.#deps.db
          .collection(`accounts/${this.accountId}/threads/${threadId}/messages`)
          .orderBy('timestamp', 'desc')
          .limit(this.options.prefetchNewest)
          .get();
        for (const m of snap.docs) {
          const media = m.get('media') as { state?: MediaState } | undefined;
          if (media && media.state === undefined && !m.get('deleted')) void this.#enqueue(m.ref.path, 'background');
        }
      } catch (err) {
        this.#deps.log.warn({ err, threadId }, 'media background pass failed for a thread');
      }
    }
  }
}

function eagerKey(fromMe: boolean, id: string): string {
  return `${fromMe ? 1 : 0}:${id}`;
}

function ownerOf(path: string): MessageRef {
  const parts = path.split('/');
  return { threadId: parts[3]!, messageDocId: parts[5]! };
}

type MediaEntry = {
  fileSha256?: Uint8Array | null;
  fileLength?: number | Long | null;
  mimetype?: string | null;
  jpegThumbnail?: Uint8Array | null;
};

function mediaEntry(message: WAMessage): MediaEntry | undefined {
  const type = message.message ? getContentType(message.message) : undefined;
  return type ? (message.message![type] as MediaEntry) : undefined;
}

function hasMedia(message: WAMessage): boolean {
  return mediaContent(message.message) !== undefined;
}

function failure(state: MediaState, code: string, err: Error, thumbnailPath: string | undefined): MediaStorageFields {
  return { state, error: { code, message: err.message.slice(0, 500) }, ...(thumbnailPath && { thumbnailPath }) };
}
