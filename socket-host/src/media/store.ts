/**
 * Media files in Cloud Storage: one object per message at a deterministic path
 * (`mediaObjectPaths` in @wasync/shared), streamed from the decrypted download straight into a
 * resumable upload, so memory does not grow with the file, and checked against WhatsApp's
 * `fileSha256` on the way. A file whose hash differs is never visible, not even for a moment.
 *
 * Why a resumable session and not "upload under a temporary name, then move": a resumable upload
 * becomes an object only when it is finalised, and the request that would finalise it is held
 * back until the hash matched (`verify.ts`), so there is nothing to move, no temporary object a
 * crash could leave behind, and no second copy to pay for. The conformance suite
 * (test/storage-conformance) states the Cloud Storage behaviour this relies on.
 *
 * Crashes: the session URI is handed to `onSession` before the first byte is sent; a caller that
 * keeps it (server-side only: whoever holds it can upload into the session) and passes it back as
 * `resumeSession` on the next attempt — on any host — finishes the same session, sending only the
 * bytes Cloud Storage does not hold yet. The new attempt still reads and hashes the whole plaintext,
 * and the client library's CRC32C check compares the finished object with every byte it was given
 * (and deletes the object on a mismatch), so a resumed object is verified whole too. A failure this
 * process sees itself cancels the session: only a crash leaves one to resume.
 *
 * Idempotent: an object already at the path with the expected hash is the answer, without
 * downloading anything. Two hosts storing the same message write the same bytes to the same name.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type MediaOwner, mediaObjectPaths } from '@wasync/shared';
import type { getStorage } from 'firebase-admin/storage';
import type { Logger } from '../log.ts';
import { MediaError } from './errors.ts';
import { VerifiedPlaintext } from './verify.ts';

/** A firebase-admin (`@google-cloud/storage`) bucket. */
export type Bucket = ReturnType<ReturnType<typeof getStorage>['bucket']>;
type StorageFile = ReturnType<Bucket['file']>;

export interface MediaStoreOptions {
  bucket: Bucket;
  /** MEDIA_MAX_BYTES: larger files are refused (`too_large`) before or while downloading. */
  maxBytes: number;
  log?: Logger;
}

export interface StoreMediaRequest {
  owner: MediaOwner;
  /** WhatsApp's `fileSha256` (SHA-256 of the plaintext): the file is stored only if it matches. */
  fileSha256: Uint8Array;
  /** WhatsApp's `fileLength`, when known: over the limit means nothing is downloaded. */
  fileLength?: number | null;
  /** The object's Content-Type (WhatsApp's `mimetype`); octet-stream when unknown. */
  contentType?: string | null;
  /**
   * Opens the plaintext, e.g. `downloadMediaMessage(message, 'stream', …)`. Called only when the
   * file is not stored yet, before a session is started; a failure here or while reading is
   * `source_failed` (see `httpStatus`).
   */
  open(): Promise<Readable>;
  /** The session an earlier attempt got from `onSession` and did not finish (a crash). */
  resumeSession?: UploadSession;
  /** Receives a new session before any byte is sent; keep it server-side to resume after a crash. */
  onSession?(session: UploadSession): void | Promise<void>;
}

/**
 * A resumable upload session: its URI (a bearer credential for this one upload: keep it
 * server-side) and the object it creates, which was fixed when the session began.
 */
export interface UploadSession {
  uri: string;
  path: string;
}

export interface StoredMedia {
  path: string;
  /** Hex SHA-256 of the plaintext (WhatsApp's fileSha256). */
  sha256: string;
  size: number;
  /** When Cloud Storage created the object. */
  storedAt: number;
  /** `stored` now, `resumed` an earlier attempt's session, or found `already_stored` (nothing downloaded). */
  outcome: 'stored' | 'resumed' | 'already_stored';
}

/** What a session answers a status query: bytes held, or that it cannot go on. */
type SessionState = { open: true; held: number } | { open: false; status: number };

const SHA256_HEX = /^[0-9a-f]{64}$/;

export class MediaStore {
  constructor(private readonly options: MediaStoreOptions) {}

  /** Stores a message's media file (see the module comment); throws `MediaError`. */
  async store(request: StoreMediaRequest): Promise<StoredMedia> {
    const path = mediaObjectPaths(request.owner).original;
    const sha256 = Buffer.from(request.fileSha256).toString('hex');
    if (!SHA256_HEX.test(sha256))
      throw new MediaError('invalid_media', `fileSha256 has ${request.fileSha256.length} bytes, not 32`);
    const file = this.options.bucket.file(path);
    const existing = await storedWithHash(file, sha256);
    if (existing) return { path, sha256, ...existing, outcome: 'already_stored' };
    const declared = request.fileLength ?? 0;
    if (declared > this.options.maxBytes) {
      throw new MediaError(
        'too_large',
        `WhatsApp declares ${declared} bytes, over the limit of ${this.options.maxBytes}`,
      );
    }

    const resumable = await this.#resumable(path, request.resumeSession);
    // Opened before a session exists, so an expired link (the usual failure) costs no session;
    // nothing is read from it before the session is handed out.
    const source = await request.open().catch((err: unknown) => {
      throw new MediaError('source_failed', `could not open the media of ${path}`, { cause: err });
    });
    if (resumable) return this.#upload(file, source, sha256, resumable, 'resumed');
    let uri: string | undefined;
    try {
      [uri] = await file
        .createResumableUpload({
          metadata: { contentType: request.contentType || 'application/octet-stream', metadata: { sha256 } },
        })
        .catch((err: unknown) => {
          throw new MediaError('upload_failed', `could not start the upload of ${path}`, { cause: err });
        });
      await request.onSession?.({ uri, path });
    } catch (err) {
      source.destroy();
      if (uri) await cancelSession(uri);
      throw err;
    }
    return this.#upload(file, source, sha256, uri, 'stored');
  }

  /** The URI of `session` if it is this object's and still takes bytes. */
  async #resumable(path: string, session: UploadSession | undefined): Promise<string | undefined> {
    // A session creates the object it was started for, whatever the caller's file says: only resume our own.
    if (!session || session.path !== path) return undefined;
    const state = await sessionState(session.uri);
    if (state.open) {
      this.options.log?.info({ path, held: state.held }, 'resuming a media upload session');
      return session.uri;
    }
    this.options.log?.info({ path, status: state.status }, 'media upload session is gone; starting a new one');
    return undefined;
  }

  /**
   * Stores a message's `jpegThumbnail` as its own object beside the file (never inline in the
   * document). Thumbnails are a few kB: one atomic request, no session.
   */
  async storeThumbnail(owner: MediaOwner, jpeg: Uint8Array): Promise<Omit<StoredMedia, 'outcome'>> {
    const path = mediaObjectPaths(owner).thumbnail;
    const bytes = Buffer.from(jpeg);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const file = this.options.bucket.file(path);
    const existing = await storedWithHash(file, sha256);
    if (existing) return { path, sha256, ...existing };
    await file
      .save(bytes, { resumable: false, contentType: 'image/jpeg', metadata: { metadata: { sha256 } } })
      .catch((err: unknown) => {
        throw new MediaError('upload_failed', `uploading ${path} failed`, { cause: err });
      });
    return { path, sha256, size: bytes.length, storedAt: timeCreated(file.metadata) };
  }

  async #upload(
    file: StorageFile,
    source: Readable,
    sha256: string,
    uri: string,
    outcome: 'stored' | 'resumed',
  ): Promise<StoredMedia> {
    const started = Date.now();
    let sourceError: unknown;
    source.once('error', (err) => {
      sourceError = err;
    });
    const verified = new VerifiedPlaintext(sha256, this.options.maxBytes);
    try {
      // No `contentLength`: a declared total would let Cloud Storage finalise the object when the
      // last byte arrives, before the hash is checked. Undeclared, only the request's end does.
      await pipeline(source, verified, file.createWriteStream({ uri, resumable: true, validation: 'crc32c' }));
    } catch (err) {
      await cancelSession(uri);
      if (err instanceof MediaError) throw err;
      if (sourceError !== undefined) {
        throw new MediaError('source_failed', `reading the media of ${file.name} failed`, { cause: sourceError });
      }
      throw new MediaError('upload_failed', `uploading ${file.name} failed`, { cause: err });
    }
    const metadata = file.metadata;
    const stored = { path: file.name, sha256, size: Number(metadata.size), storedAt: timeCreated(metadata), outcome };
    this.options.log?.info({ ...stored, ms: Date.now() - started }, 'media stored');
    return stored;
  }
}

/** Size and time of the object at `file` if it holds the plaintext with this hash. */
async function storedWithHash(
  file: StorageFile,
  sha256: string,
): Promise<{ size: number; storedAt: number } | undefined> {
  try {
    const [metadata] = await file.getMetadata();
    if (metadata.metadata?.sha256 !== sha256) return undefined;
    return { size: Number(metadata.size), storedAt: timeCreated(metadata) };
  } catch (err) {
    if ((err as { code?: unknown }).code === 404) return undefined;
    throw new MediaError('upload_failed', `could not read the metadata of ${file.name}`, { cause: err });
  }
}

function timeCreated(metadata: { timeCreated?: string }): number {
  const ms = Date.parse(metadata.timeCreated ?? '');
  return Number.isFinite(ms) ? ms : Date.now();
}

/**
 * A session's status query (`PUT`, `Content-Range: bytes *\/*`): `308` while it takes bytes (with
 * `Range` when it holds some), anything else when it is finished, cancelled or expired. The
 * session URI itself is the credential, so no authorization is sent.
 */
async function sessionState(uri: string): Promise<SessionState> {
  const res = await fetch(uri, { method: 'PUT', headers: { 'content-range': 'bytes */*' } }).catch(() => undefined);
  if (!res) return { open: false, status: 0 };
  await res.arrayBuffer().catch(() => undefined);
  if (res.status !== 308) return { open: false, status: res.status };
  const range = res.headers.get('range');
  return { open: true, held: range ? Number(range.split('-')[1]) + 1 : 0 };
}

/** Cancels a session (`DELETE` its URI) so nothing can finish it later; best effort. */
async function cancelSession(uri: string): Promise<void> {
  await fetch(uri, { method: 'DELETE' })
    .then((res) => res.arrayBuffer())
    .catch(() => undefined);
}
