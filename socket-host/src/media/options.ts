/** The media settings of the host, resolved once from the validated configuration. */
import type { HostConfig } from '@wasync/shared';

export interface MediaOptions {
  /** The media bucket; undefined when neither MEDIA_BUCKET nor a project id says which. */
  bucket: string | undefined;
  maxBytes: number;
}

export function mediaOptions(config: Pick<HostConfig, 'mediaBucket' | 'mediaMaxBytes' | 'projectId'>): MediaOptions {
  // The default bucket of Firebase projects created since 2024-10; older ones set MEDIA_BUCKET.
  const fallback = config.projectId ? `${config.projectId}.firebasestorage.app` : undefined;
  return { bucket: config.mediaBucket ?? fallback, maxBytes: config.mediaMaxBytes };
}
