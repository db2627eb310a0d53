/**
 * Resumable uploads for firebase-tools' Storage emulator, done the way Cloud Storage does them.
 *
 * firebase-tools (15.x) answers every PUT to an upload session by reading the whole body into
 * memory (at most 130 MB), appending it and finalising the object at once. Against it, a chunked
 * upload ends after its first chunk; a status query (`Content-Range: bytes *\/*`, empty body)
 * finalises whatever the session holds, so a partial object becomes visible; a request that
 * breaks off keeps nothing; and no object over 130 MB can be uploaded. Cloud Storage
 * (https://cloud.google.com/storage/docs/performing-resumable-uploads) instead:
 *
 * - keeps the bytes a request delivered, also when the request broke off;
 * - answers `308` with `Range: bytes=0-<last byte kept>` (no `Range` when it holds nothing) while
 *   the object is incomplete, which is how a client learns where to resume;
 * - creates the object only once the bytes up to a declared total (`bytes a-b/N`, `bytes *\/N`)
 *   have arrived, or when a request of undeclared total (`bytes a-*\/*`, the Node client's
 *   single-request form) completes; before that nothing is visible;
 * - answers a finished session with `200` and the object;
 * - cancels a session on `DELETE` (answering `499`); a cancelled session takes no more bytes and
 *   never becomes an object.
 *
 * `handleResumableUpload` takes those requests over in front of firebase-tools' router, streaming each
 * request body to the emulator's own upload service (so memory does not grow with the object) and
 * finalising through its own storage layer; every other request stays firebase-tools'.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The parts of firebase-tools' storage emulator this handler uses (it ships no types). */
export interface EmulatorUpload {
  id: string;
  bucketId: string;
  objectId: string;
  status: 'active' | 'cancelled' | 'final';
  size: number;
}
export interface EmulatorUploadService {
  getResumableUpload(uploadId: string): EmulatorUpload;
  continueResumableUpload(uploadId: string, bytes: Buffer): EmulatorUpload;
  finalizeResumableUpload(uploadId: string): EmulatorUpload;
  cancelResumableUpload(uploadId: string): EmulatorUpload;
}
export interface EmulatorStorageLayer {
  uploadObject(upload: EmulatorUpload): Promise<object>;
  getMetadata(bucketId: string, objectId: string): object | undefined;
}
export interface ResumableContext {
  uploadService: EmulatorUploadService;
  adminStorageLayer: EmulatorStorageLayer;
  /** firebase-tools' `CloudStorageObjectMetadata`: the JSON API's object resource. */
  toResource(metadata: object): object;
}

/** A parsed `Content-Range` of an upload request; `undefined` bounds are `*`. */
export type UploadRange =
  | { kind: 'status'; total: number | undefined }
  | { kind: 'data'; first: number; last: number | undefined; total: number | undefined };

const UPLOAD_PATH = /^\/upload\/storage\/v1\/b\/[^/]+\/o$/;
const CONTENT_RANGE = /^bytes (?:\*|(\d+)-(\d+|\*))\/(\d+|\*)$/;

/** Parses `Content-Range`; a request without one sends the whole object (`bytes 0-*\/*`). */
export function parseUploadRange(header: string | undefined): UploadRange | undefined {
  if (header === undefined) return { kind: 'data', first: 0, last: undefined, total: undefined };
  const match = CONTENT_RANGE.exec(header.trim());
  if (!match) return undefined;
  const [, first, last, total] = match;
  const totalBytes = total === '*' ? undefined : Number(total);
  if (first === undefined) return { kind: 'status', total: totalBytes };
  const lastByte = last === '*' ? undefined : Number(last);
  if (lastByte !== undefined && lastByte < Number(first)) return undefined;
  return { kind: 'data', first: Number(first), last: lastByte, total: totalBytes };
}

/**
 * Serves `PUT` and `DELETE /upload/storage/v1/b/{bucket}/o?upload_id=…` and returns true, or
 * returns false for any other request (firebase-tools serves those).
 */
export function handleResumableUpload(req: IncomingMessage, res: ServerResponse, ctx: ResumableContext): boolean {
  if (req.method !== 'PUT' && req.method !== 'DELETE') return false;
  const url = new URL(req.url ?? '/', 'http://emulator');
  const uploadId = url.searchParams.get('upload_id');
  if (!uploadId || !UPLOAD_PATH.test(url.pathname)) return false;
  const serve = req.method === 'PUT' ? put : cancel;
  serve(req, res, ctx, uploadId).catch((err: unknown) => {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(err));
  });
  return true;
}

function findUpload(ctx: ResumableContext, uploadId: string): EmulatorUpload | undefined {
  try {
    return ctx.uploadService.getResumableUpload(uploadId);
  } catch {
    return undefined; // firebase-tools throws NotFoundError
  }
}

async function put(req: IncomingMessage, res: ServerResponse, ctx: ResumableContext, uploadId: string) {
  const upload = findUpload(ctx, uploadId);
  if (!upload) return reply(req, res, 404, `no upload session ${uploadId}`);
  const range = parseUploadRange(req.headers['content-range']);
  if (!range) return reply(req, res, 400, `bad Content-Range: ${req.headers['content-range']}`);
  if (upload.status === 'final') return replyFinished(req, res, ctx, upload);
  // Cloud Storage's answer for a cancelled session.
  if (upload.status === 'cancelled') return reply(req, res, 499, 'upload session cancelled');

  if (range.kind === 'data') {
    // A request starting beyond what is kept would leave a gap: say what is kept instead.
    if (range.first > upload.size) return replyIncomplete(req, res, upload);
    const complete = await append(req, ctx.uploadService, uploadId, upload.size - range.first);
    // A request that broke off keeps what arrived and gets no answer (its client is gone).
    if (!complete) return;
  }
  const total = range.total ?? (range.kind === 'data' && range.last === undefined ? upload.size : undefined);
  if (total === undefined || upload.size < total) return replyIncomplete(req, res, upload);
  if (upload.size > total) return reply(req, res, 400, `received ${upload.size} bytes, more than the ${total} declared`);
  ctx.uploadService.finalizeResumableUpload(uploadId);
  const metadata = await ctx.adminStorageLayer.uploadObject(upload);
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ctx.toResource(metadata)));
}

async function cancel(req: IncomingMessage, res: ServerResponse, ctx: ResumableContext, uploadId: string) {
  const upload = findUpload(ctx, uploadId);
  if (!upload) return reply(req, res, 404, `no upload session ${uploadId}`);
  if (upload.status === 'final') return reply(req, res, 400, 'the upload is finished; delete the object instead');
  if (upload.status === 'active') ctx.uploadService.cancelResumableUpload(uploadId);
  return reply(req, res, 499, 'upload session cancelled');
}

/** Appends the request body, minus its first `skip` bytes (already kept); false if it broke off. */
async function append(req: IncomingMessage, uploads: EmulatorUploadService, uploadId: string, skip: number) {
  let toSkip = skip;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      const skipped = Math.min(toSkip, chunk.length);
      toSkip -= skipped;
      if (skipped < chunk.length) uploads.continueResumableUpload(uploadId, chunk.subarray(skipped));
    }
  } catch {
    return false;
  }
  return req.complete;
}

async function replyFinished(req: IncomingMessage, res: ServerResponse, ctx: ResumableContext, upload: EmulatorUpload) {
  const metadata = ctx.adminStorageLayer.getMetadata(upload.bucketId, upload.objectId);
  if (!metadata) return reply(req, res, 404, `object ${upload.objectId} of this finished session was deleted`);
  await drain(req);
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ctx.toResource(metadata)));
}

async function replyIncomplete(req: IncomingMessage, res: ServerResponse, upload: EmulatorUpload) {
  await drain(req);
  res.writeHead(308, upload.size > 0 ? { range: `bytes=0-${upload.size - 1}` } : {}).end();
}

async function reply(req: IncomingMessage, res: ServerResponse, status: number, message: string) {
  await drain(req);
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code: status, message } }));
}

async function drain(req: IncomingMessage): Promise<void> {
  try {
    for await (const _ of req) {
      // discard
    }
  } catch {
    // the client went away; nothing to answer
  }
}
