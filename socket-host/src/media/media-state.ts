/**
 * Writes where a message's media stands (`media.state`, `path`, `sha256`, `storedAt`,
 * `thumbnailPath`, `error`) onto its message document, without racing the sync pipeline.
 *
 * The pipeline writes whole message documents, each under a precondition on the update time it
 * read. This write is a fenced transaction (the lease first, like every pipeline commit) that
 * reads the document and updates only `media` and `updatedAt` from what it read, so:
 * - a pipeline commit planned before this write fails its precondition and re-plans on the new
 *   document; the join (`mergeMessageDoc`) keeps the storage fields of the side further along, so
 *   the re-plan keeps `stored` and its path;
 * - a pipeline commit that lands first makes this transaction read its document (Firestore
 *   serialises them), so the receipt or history sighting it wrote stays.
 * Neither side overwrites the other (socket-host/test/media/state-race.test.ts).
 */
import type { MediaInfo, MessageDoc } from '@wasync/shared';
import type { Firestore } from 'firebase-admin/firestore';
import type { Fence } from '../accounts/fence.ts';
import { documents } from '../pipeline/store/documents.ts';

/** The storage fields this write owns (WhatsApp's metadata beside them stays as the pipeline wrote it). */
export type MediaStorageFields = Pick<MediaInfo, 'state' | 'path' | 'sha256' | 'storedAt' | 'thumbnailPath' | 'error'>;

const STORAGE_KEYS = ['state', 'path', 'sha256', 'storedAt', 'thumbnailPath', 'error'] as const;

/** `media` with its storage fields replaced by `storage` (absent ones removed). */
export function withStorage(media: MediaInfo, storage: MediaStorageFields): MediaInfo {
  const next: MediaInfo = { ...media };
  for (const key of STORAGE_KEYS) delete next[key];
  for (const key of STORAGE_KEYS) if (storage[key] !== undefined) Object.assign(next, { [key]: storage[key] });
  return next;
}

/**
 * Sets the storage fields of the message at `path`. Returns the document as written, or undefined
 * when there is nothing to write to (the message is gone — moved by a thread merge — or has no media).
 */
export async function writeMediaState(
  db: Firestore,
  fence: Fence,
  path: string,
  storage: MediaStorageFields,
  now = Date.now(),
): Promise<MessageDoc | undefined> {
  const ref = db.doc(path);
  return fence.run(async (tx) => {
    const snap = await tx.get(ref);
    if (!snap.exists) return undefined;
    const doc = documents.message.fromFirestore(snap.data() as never);
    if (!doc.media) return undefined;
    const next: MessageDoc = {
      ...doc,
      media: withStorage(doc.media, storage),
      updatedAt: Math.max(now, doc.updatedAt),
    };
    const stored = documents.message.toFirestore(next);
    tx.update(ref, { media: stored.media, updatedAt: stored.updatedAt });
    return next;
  });
}
