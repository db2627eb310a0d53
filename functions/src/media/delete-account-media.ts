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

export async function deleteAccountMedia(
  db: Firestore,
  bucket: Bucket,
  accountId: string,
): Promise<{ objects: number }> {
  const prefix = accountMediaPrefix(accountId);
  const [files] = await bucket.getFiles({ prefix });
  await bucket.deleteFiles({ prefix, force: true });
  await db.recursiveDelete(db.collection(paths.mediaSources(accountId)));
  return { objects: files.length };
}
