/**
 * Why a media file was not stored, as a machine-readable code the fetcher turns into the message's
 * `media.state` and `media.error` (`MediaInfo` in shared/src/schema.ts).
 */
import type { MediaState } from '@wasync/shared';

export const MEDIA_ERROR_CODES = {
  /** The message's media fields cannot be used (no 32-byte fileSha256, no media key, …). */
  invalid_media: 'failed',
  /** Over MEDIA_MAX_BYTES, declared (WhatsApp's `fileLength`) or counted while streaming. */
  too_large: 'too_large',
  /** The plaintext's SHA-256 differs from WhatsApp's `fileSha256`: never stored. */
  sha256_mismatch: 'failed',
  /** Opening or reading the plaintext failed (download, decryption); `httpStatus` says if WhatsApp answered. */
  source_failed: 'failed',
  /** Cloud Storage refused or failed the upload. */
  upload_failed: 'failed',
} as const satisfies Record<string, MediaState>;

export type MediaErrorCode = keyof typeof MEDIA_ERROR_CODES;

export class MediaError extends Error {
  override readonly name = 'MediaError';

  constructor(
    readonly code: MediaErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The `media.state` this failure leaves the message in. */
  get state(): MediaState {
    return MEDIA_ERROR_CODES[this.code];
  }

  /**
   * The HTTP status WhatsApp's media server answered, when the source failed because of it (a 404
   * or 410 means the file expired there: ask the phone to re-upload it).
   */
  get httpStatus(): number | undefined {
    return this.code === 'source_failed' ? httpStatusOf(this.cause) : undefined;
  }
}

/**
 * The HTTP status in an error from Baileys' media download: a Boom whose `output.statusCode` is
 * the media server's answer. (Not `error.status`, which Boom does not set — the reason rc14's own
 * `downloadMediaMessage` never calls its `reuploadRequest`, see transport/simulated/media.ts.)
 */
export function httpStatusOf(err: unknown): number | undefined {
  const status = (err as { output?: { statusCode?: unknown } } | undefined)?.output?.statusCode;
  return typeof status === 'number' ? status : undefined;
}
