/** The media settings of the host, resolved once from the validated configuration. */
import type { HostConfig } from '@wasync/shared';
import type { MediaFetchOptions } from './fetcher.ts';

export interface MediaOptions {
  /** The media bucket; undefined when neither MEDIA_BUCKET nor a project id says which. */
  bucket: string | undefined;
  maxBytes: number;
  perHost: number;
  fetch: Partial<MediaFetchOptions>;
}

const DAY_MS = 24 * 3_600_000;

export function mediaOptions(
  config: Pick<HostConfig, 'mediaBucket' | 'mediaMaxBytes' | 'projectId'> &
    Partial<
      Pick<
        HostConfig,
        | 'mediaDownloadsPerAccount'
        | 'mediaDownloadsPerHost'
        | 'mediaPrefetchNewest'
        | 'mediaRetentionDays'
        | 'mediaEagerTypes'
      >
    >,
): MediaOptions {
  // The default bucket of Firebase projects created since 2024-10; older ones set MEDIA_BUCKET.
  const fallback = config.projectId ? `${config.projectId}.firebasestorage.app` : undefined;
  const fetch: Partial<MediaFetchOptions> = {};
  if (config.mediaDownloadsPerAccount !== undefined) fetch.perAccount = config.mediaDownloadsPerAccount;
  if (config.mediaPrefetchNewest !== undefined) fetch.prefetchNewest = config.mediaPrefetchNewest;
  if (config.mediaRetentionDays) fetch.maxAgeMs = config.mediaRetentionDays * DAY_MS;
  if (config.mediaEagerTypes !== undefined) fetch.eagerTypes = config.mediaEagerTypes;
  return {
    bucket: config.mediaBucket ?? fallback,
    maxBytes: config.mediaMaxBytes,
    perHost: config.mediaDownloadsPerHost ?? 12,
    fetch,
  };
}
