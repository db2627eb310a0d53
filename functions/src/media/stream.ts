/**
 * Streams a media object from the bucket the way browsers and players expect: `Content-Type`,
 * `Content-Length`, a strong `ETag` (the plaintext's SHA-256 when known, else Cloud Storage's
 * MD5/generation), `Accept-Ranges`, one byte range per request (`206` with `Content-Range`; `416`
 * for a range outside the file), and `304` for a matching `If-None-Match`. Memory does not grow
 * with the file: the object is piped through.
 */
import { pipeline } from 'node:stream/promises';
import { AppError } from '@wasync/shared';
import type { Request, Response } from 'express';
import type { Bucket } from './bucket.js';

export interface StreamedObject {
  path: string;
  contentType: string;
  sha256?: string | undefined;
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` against `size`; undefined: the whole file; 'invalid': 416. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | undefined | 'invalid' {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges, or another unit: answer the whole file (allowed by RFC 9110).
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'invalid';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'invalid';
  return { start, end };
}

export async function streamObject(bucket: Bucket, object: StreamedObject, req: Request, res: Response): Promise<void> {
  const file = bucket.file(object.path);
  const [metadata] = await file.getMetadata().catch((err: { code?: number }) => {
    if (err.code === 404) {
      // Deleted by the lifecycle rule (MEDIA_RETENTION_DAYS) or with its account.
      throw new AppError('not_found', 'this media is no longer stored', { mediaState: 'deleted' });
    }
    throw err;
  });
  const size = Number(metadata.size);
  const etag = `"${object.sha256 ?? metadata.md5Hash ?? metadata.generation}"`;
  res.set({
    ETag: etag,
    'Accept-Ranges': 'bytes',
    // Members only: never in shared caches.
    'Cache-Control': 'private, max-age=3600',
  });
  if (req.get('if-none-match') === etag) {
    res.status(304).end();
    return;
  }
  const range = parseRange(req.get('range'), size);
  if (range === 'invalid') {
    // 416 Range Not Satisfiable, in the one error shape (its code says what was wrong with the input).
    res.set('Content-Range', `bytes */${size}`);
    const error = new AppError('invalid_argument', `the range is outside the file (${size} bytes)`, { size });
    res.status(416).json(error.toJSON());
    return;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  res.status(range ? 206 : 200);
  res.set('Content-Type', object.contentType);
  res.set('Content-Length', String(end - start + 1));
  if (range) res.set('Content-Range', `bytes ${start}-${end}/${size}`);
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  await pipeline(file.createReadStream({ start, end, validation: false }), res);
}
