/**
 * Deleting an account's media: every object under `accounts/{accountId}/media/` in the media
 * bucket (files and thumbnails) and the account's media sources (`mediaSources/{accountId}`, the
 * download details with their media keys). There is no account deletion path yet (operators
 * delete accounts by hand, see docs/runbook.md); whatever deletes an account calls this, and
 * `createAccount` refuses an id whose sources are still there.
 */
import { accountMediaPrefix, paths } from '@wasync/shared';
import type { Firestore } from 'firebase-admin/firestore';
import type { Bucket } from './bucket.js';

/** Objects listed per page, and deleted at once: memory stays flat however many an account has. */
const PAGE = 100;

export async function deleteAccountMedia(
  db: Firestore,
  bucket: Bucket,
  accountId: string,
  onProgress: (objects: number) => void = () => {},
): Promise<{ objects: number }> {
  const prefix = accountMediaPrefix(accountId);
  let objects = 0;
  // Always the first page: what was deleted no longer lists, so no page token can go stale.
  for (;;) {
    const [files] = await bucket.getFiles({ prefix, maxResults: PAGE, autoPaginate: false });
    if (files.length === 0) break;
    await Promise.all(files.map((file) => file.delete({ ignoreNotFound: true })));
    objects += files.length;
    onProgress(objects);
  }
  await db.recursiveDelete(db.collection(paths.mediaSources(accountId)));
  return { objects };
}
