/**
 * One error shape for every failure: `{ error: { code, message, details? } }` with the HTTP status
 * of `code` (shared/src/errors.ts). Errors raised by express itself and body-parser (malformed
 * JSON, oversized bodies, bad percent-encoding in the path) are the caller's mistakes and become
 * 4xx with a code too; only genuine bugs and outages are 500, logged with their stack and
 * answered without it (DESIGN I8).
 */
import { AppError, toAppError } from '@wasync/shared';
import type { NextFunction, Request, Response } from 'express';
import { context } from './context.js';

/** Messages for the error types body-parser and the router attach (`err.type`). */
const HTTP_ERROR_MESSAGES: Record<string, string> = {
  'entity.parse.failed': 'the request body is not valid JSON',
  'entity.too.large': 'the request body is too large',
  'entity.verify.failed': 'the request body could not be verified',
  'encoding.unsupported': 'unsupported Content-Encoding',
  'charset.unsupported': 'unsupported charset; send UTF-8 JSON',
  'request.aborted': 'the request was aborted',
  'request.size.invalid': 'the request body does not match its Content-Length',
  'stream.encoding.set': 'the request body could not be read',
  'parameters.too.many': 'too many parameters',
};

/** Any thrown value as the AppError the client sees. */
export function toApiError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const { status, type } = (err ?? {}) as { status?: unknown; type?: unknown };
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 404) return new AppError('not_found', 'not found');
    const known = typeof type === 'string' ? HTTP_ERROR_MESSAGES[type] : undefined;
    // The router's decodeURIComponent failures are URIErrors with status 400.
    const message = known ?? (err instanceof URIError ? 'malformed percent-encoding in the path' : 'bad request');
    return new AppError('invalid_argument', message, { reason: typeof type === 'string' ? type : `http_${status}` });
  }
  return toAppError(err);
}

/** Express error middleware: the one place a response to a failure is written. */
export function errorHandler(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
  const error = toApiError(err);
  const { log } = context(res);
  if (error.httpStatus >= 500) {
    const cause = error.cause ?? err;
    log.error('request failed', {
      code: error.code,
      error: cause instanceof Error ? cause.stack : String(cause),
    });
  } else {
    log.info('request rejected', { code: error.code, reason: error.message });
  }
  if (res.headersSent) return;
  res.status(error.httpStatus).json(error.toJSON());
}

/** The last route: anything not matched above. */
export function noRoute(req: Request): never {
  const path = req.path.length > 200 ? `${req.path.slice(0, 200)}…` : req.path;
  throw new AppError('not_found', `no route ${req.method} ${path}`);
}
