/**
 * The `getMediaUrl` callable's use case: where an app reads a message's media. With
 * MEDIA_SIGNED_URLS a V4 signed URL of the object, valid `SIGNED_URL_TTL_MS` (Cloud Storage serves
 * it directly, ranges included; signing goes through IAM `signBlob`, which needs the functions'
 * service account to hold Service Account Token Creator on itself); otherwise, or when signing
 * fails, the HTTPS API's media route, which checks membership on every request.
 */
import { AppError } from '@wasync/shared';
import { type getMediaUrlInput, type MediaUrlResult, mediaApiPath } from '@wasync/shared/client';
import type { Firestore } from 'firebase-admin/firestore';
import { logger } from 'firebase-functions';
import type { z } from 'zod';
import type { Caller } from '../access/authorize.js';
import { config } from '../config.js';
import type { Bucket } from './bucket.js';
import { mediaFor } from './media-access.js';

export const SIGNED_URL_TTL_MS = 5 * 60_000;

/** A V4 read URL of `path`, valid for `ttlMs`. */
export async function signedMediaUrl(bucket: Bucket, path: string, ttlMs = SIGNED_URL_TTL_MS, now = Date.now()) {
  const expiresAt = now + ttlMs;
  const [url] = await bucket.file(path).getSignedUrl({ version: 'v4', action: 'read', expires: expiresAt });
  return { url, expiresAt };
}

export async function mediaUrl(
  db: Firestore,
  bucket: () => Bucket,
  caller: Caller,
  input: z.output<typeof getMediaUrlInput>,
  sign = config().mediaSignedUrls,
): Promise<MediaUrlResult> {
  const answer = await mediaFor(db, caller, input);
  if (answer.kind === 'fetching') return answer;
  if (sign) {
    try {
      return {
        kind: 'url',
        signed: true,
        contentType: answer.contentType,
        ...(await signedMediaUrl(bucket(), answer.path)),
      };
    } catch (err) {
      if (err instanceof AppError) throw err;
      logger.warn('media URL not signed; answering the API route', { error: String(err) });
    }
  }
  const url = mediaApiPath(input.accountId, input.threadId, input.messageId, input.variant);
  return { kind: 'url', signed: false, url, contentType: answer.contentType };
}
