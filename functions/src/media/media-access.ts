/**
 * A message's media for a member (viewer and up): where its object is when stored; otherwise the
 * `fetch_media` command that asks the owning socket host to fetch it now, and when to ask again.
 *
 * At most one fetch is asked per message per `FETCH_WINDOW_MS` (the command id is derived from the
 * message and the window), so clients polling `202`s, or many members opening the same photo,
 * write one command, not one per request; a `failed` fetch is tried again in the next window,
 * unless it failed for good (`FINAL_MEDIA_ERRORS`: 412 with `details.mediaError`).
 */
import { AppError, FINAL_MEDIA_ERRORS, isValidDocId, type MediaInfo, paths } from '@wasync/shared';
import type { Firestore } from 'firebase-admin/firestore';
import { authorize, type Caller } from '../access/authorize.js';
import { commandIdFor } from '../commands/ids.js';
import { writeCommand } from '../commands/write.js';

/** One fetch request per message per window. */
export const FETCH_WINDOW_MS = 5 * 60_000;
/** What `Retry-After` says while a fetch runs (seconds). */
export const RETRY_AFTER_S = 2;

export interface MediaRequest {
  accountId: string;
  threadId: string;
  messageId: string;
  variant: 'original' | 'thumbnail';
}

export type MediaAnswer =
  | { kind: 'stored'; path: string; sha256?: string | undefined; contentType: string }
  | { kind: 'fetching'; commandId: string; retryAfterSeconds: number };

export async function mediaFor(db: Firestore, caller: Caller, input: MediaRequest): Promise<MediaAnswer> {
  for (const [name, id] of Object.entries({ threadId: input.threadId, messageId: input.messageId })) {
    if (!isValidDocId(id)) throw new AppError('invalid_argument', `${name} is not a valid document id`);
  }
  await authorize(db, caller, input.accountId, 'viewer');
  const snap = await db.doc(paths.message(input.accountId, input.threadId, input.messageId)).get();
  if (!snap.exists) throw new AppError('not_found', 'no such message in this thread');
  const media = snap.get('media') as MediaInfo | undefined;
  if (!media || snap.get('deleted') === true) throw new AppError('not_found', 'this message has no media');
  if (input.variant === 'thumbnail') {
    if (!media.thumbnailPath) throw new AppError('not_found', 'this media has no thumbnail (yet)');
    return { kind: 'stored', path: media.thumbnailPath, contentType: 'image/jpeg' };
  }
  if (media.state === 'failed' && media.error && FINAL_MEDIA_ERRORS.includes(media.error.code)) {
    // Another failure may pass next time: asked again below.
    throw new AppError('failed_precondition', `this media cannot be stored: ${media.error.message}`, {
      mediaState: 'failed',
      mediaError: media.error.code,
    });
  }
  switch (media.state) {
    case 'stored':
      return {
        kind: 'stored',
        path: media.path!,
        sha256: media.sha256,
        contentType: media.mimetype || 'application/octet-stream',
      };
    case 'expired':
      throw new AppError('not_found', 'WhatsApp no longer has this media (the phone could not re-upload it)', {
        mediaState: 'expired',
      });
    case 'too_large':
      throw new AppError('failed_precondition', 'this media is larger than MEDIA_MAX_BYTES and was not stored', {
        mediaState: 'too_large',
      });
    default: {
      // Not looked at yet (history), pending, or failed: ask the owning host to fetch it now.
      const window = Math.floor(Date.now() / FETCH_WINDOW_MS);
      const commandId = commandIdFor(
        'fetch_media',
        input.accountId,
        `${input.threadId}\u0000${input.messageId}\u0000${window}`,
      );
      await writeCommand(db, {
        accountId: input.accountId,
        commandId,
        type: 'fetch_media',
        payload: { threadId: input.threadId, messageId: input.messageId },
        createdBy: caller.uid,
      });
      return { kind: 'fetching', commandId, retryAfterSeconds: RETRY_AFTER_S };
    }
  }
}
