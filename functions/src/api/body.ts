/**
 * Request bodies, the same wherever the app runs.
 *
 * In Cloud Functions (and the Functions emulator) the runtime reads and parses every body before
 * the app sees the request — up to Cloud Run's 32 MiB, before authentication — and keeps the
 * bytes as `req.rawBody`. In-process (tests) nothing has been read. So the app never trusts the
 * runtime's parse: it
 *
 * 1. refuses a body over `BODY_LIMIT` before anything else it does, token check included
 *    (`limitBody`: from `Content-Length`, or the bytes the runtime already holds);
 * 2. after authentication, takes the bytes (the runtime's, or reads them itself with the same
 *    limit), requires a JSON content type and UTF-8, and parses them itself (`jsonBody`), so bad
 *    JSON under any `application/*+json` type gets the API's error shape.
 *
 * What the app cannot answer: a body the runtime itself fails to parse — JSON that does not
 * parse under `Content-Type: application/json`, a charset or encoding body-parser refuses, or a
 * body over 32 MiB — is answered by the runtime (a 4xx in its own plain format) before any code of
 * this project runs. functions-framework 5 (server.ts) and the emulator's runtime offer no hook
 * there; only serving the API from a server of our own would.
 */
import { AppError } from '@wasync/shared';
import express, { type NextFunction, type Request, type Response } from 'express';

/** Bodies are small JSON objects (a message text is at most 64 KiB of characters). */
export const BODY_LIMIT_BYTES = 300 * 1024;
const JSON_TYPES = ['application/json', 'application/*+json'];

/** What the Functions runtime leaves on the request once it read the body. */
type RuntimeRequest = Request & { rawBody?: unknown };

function tooLarge(): AppError {
  return new AppError('payload_too_large', `the request body is larger than ${BODY_LIMIT_BYTES / 1024} KiB`, {
    reason: 'too_large',
    limitBytes: BODY_LIMIT_BYTES,
  });
}

/** First middleware after the request id: oversized bodies go no further. */
export function limitBody(req: RuntimeRequest, _res: Response, next: NextFunction): void {
  const declared = Number(req.get('content-length') ?? 0);
  const held = Buffer.isBuffer(req.rawBody) ? req.rawBody.length : 0;
  if (declared > BODY_LIMIT_BYTES || held > BODY_LIMIT_BYTES) throw tooLarge();
  next();
}

/** Reads the body in-process (the runtime already has, then this passes): bytes, same limit. */
const readBytes = express.raw({ type: () => true, limit: BODY_LIMIT_BYTES });

/** The JSON body middleware of routes that take one (after authentication). */
export function jsonBody(): ((req: Request, res: Response, next: NextFunction) => void)[] {
  return [readBytes, parseJson];
}

function parseJson(req: RuntimeRequest, _res: Response, next: NextFunction): void {
  const bytes = Buffer.isBuffer(req.rawBody) ? req.rawBody : Buffer.isBuffer(req.body) ? req.body : undefined;
  if (bytes === undefined || bytes.length === 0) {
    req.body = undefined;
    next();
    return;
  }
  if (bytes.length > BODY_LIMIT_BYTES) throw tooLarge();
  if (!req.is(JSON_TYPES)) {
    throw new AppError('invalid_argument', 'send the body as JSON with Content-Type: application/json', {
      reason: 'content_type',
    });
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.get('content-type') ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new AppError('invalid_argument', 'unsupported charset; send UTF-8 JSON', { reason: 'charset' });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new AppError('invalid_argument', 'the request body is not valid JSON', { reason: 'invalid_json' });
  }
  // `null`, a number or a string is JSON, but no request body of this API: never read as "none".
  if (typeof parsed !== 'object' || parsed === null) {
    throw new AppError('invalid_argument', 'the request body must be a JSON object', { reason: 'not_object' });
  }
  req.body = parsed;
  next();
}
