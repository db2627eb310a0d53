/**
 * The host's media side: one `MediaStore` on the media bucket, the host-wide download bound, and
 * an `AccountMedia` per owned account (opened with the account's pipeline, closed with it).
 *
 * `fetchMediaNow(accountId, ref)` is the one entry point for "fetch this message's media now":
 * the command executor runs `fetch_media` commands with it.
 */
import type { MediaState } from '@wasync/shared';
import type { MediaDownloadOptions } from '@whiskeysockets/baileys';
import type { Firestore } from 'firebase-admin/firestore';
import type { Fence } from '../accounts/fence.ts';
import type { Logger } from '../log.ts';
import type { AccountWriter } from '../pipeline/writer/account-writer.ts';
import { AccountMedia, type MediaFetchOptions, MediaLimits, type MediaSocket, type MessageRef } from './fetcher.ts';
import { MediaSourceStore } from './sources.ts';
import { type Bucket, MediaStore } from './store.ts';

export interface MediaServiceOptions {
  bucket: Bucket;
  maxBytes: number;
  /** Downloads of all accounts of the host at once (MEDIA_DOWNLOADS_PER_HOST). */
  perHost: number;
  fetch: Partial<MediaFetchOptions>;
  /** The transport's download options (the simulated media server). */
  downloadOptions?: MediaDownloadOptions;
}

/** What opening an account's media needs (the pipeline's `AccountContext` parts and its writer). */
export interface MediaAccountContext {
  accountId: string;
  fence: Fence;
  log: Logger;
  socket: () => MediaSocket | undefined;
  writer?: Pick<AccountWriter, 'onMessageWritten' | 'invalidate'>;
}

/** The account is not owned by this host (or not open yet): another host's listener takes the request. */
export class MediaAccountNotOpenError extends Error {
  override readonly name = 'MediaAccountNotOpenError';
  constructor(accountId: string) {
    super(`account ${accountId} is not open on this host`);
  }
}

export class MediaService {
  readonly store: MediaStore;
  readonly sources: MediaSourceStore;
  readonly limits: MediaLimits;
  readonly #open = new Map<string, AccountMedia>();

  constructor(
    private readonly db: Firestore,
    private readonly options: MediaServiceOptions,
    private readonly log: Logger,
  ) {
    this.store = new MediaStore({ bucket: options.bucket, maxBytes: options.maxBytes, log });
    this.sources = new MediaSourceStore(db);
    this.limits = new MediaLimits(options.perHost);
  }

  /** Opens an account's media fetching: hooks its writer, resumes fetches an earlier owner owed. */
  open(context: MediaAccountContext): AccountMedia {
    const media = new AccountMedia({
      db: this.db,
      accountId: context.accountId,
      fence: context.fence,
      log: context.log.child({ component: 'media' }),
      store: this.store,
      sources: this.sources,
      limits: this.limits,
      socket: context.socket,
      ...(this.options.downloadOptions && { downloadOptions: this.options.downloadOptions }),
      ...(context.writer && { onStateWritten: (path: string) => context.writer?.invalidate([path]) }),
      options: this.options.fetch,
    });
    context.writer?.onMessageWritten((path, doc) => media.messageWritten(path, doc));
    this.#open.set(context.accountId, media);
    void media.resume().catch((err) => context.log.warn({ err }, 'media fetches not resumed'));
    return media;
  }

  account(accountId: string): AccountMedia | undefined {
    return this.#open.get(accountId);
  }

  /** Fetch one message's media now, on this host (which must own the account). */
  async fetchMediaNow(accountId: string, ref: MessageRef): Promise<MediaState | undefined> {
    const media = this.#open.get(accountId);
    if (!media) throw new MediaAccountNotOpenError(accountId);
    return media.fetchNow(ref);
  }

  close(accountId: string, media: AccountMedia): void {
    if (this.#open.get(accountId) === media) this.#open.delete(accountId);
    media.close();
  }
}
