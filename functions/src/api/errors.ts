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
import { API_BASE } from './routes.js';

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
    if (status === 413)
      return new AppError('payload_too_large', 'the request body is too large', { reason: 'too_large' });
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
    // The code and what was wrong, not the message: messages may repeat what the caller sent.
    log.info('request rejected', { code: error.code, ...rejectionDetails(error) });
  }
  if (res.headersSent) return;
  const retryAfter = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  if (error.code === 'resource_exhausted' && typeof retryAfter === 'number') res.set('Retry-After', String(retryAfter));
  res.status(error.httpStatus).json(error.toJSON());
}

/** The machine-readable part of a rejection, for its log line: a reason and the fields at fault. */
function rejectionDetails(error: AppError): { reason?: string; fields?: string[] } {
  const details = (error.details ?? {}) as { reason?: unknown; fields?: { path?: unknown }[] };
  const out: { reason?: string; fields?: string[] } = {};
  if (typeof details.reason === 'string') out.reason = details.reason;
  if (Array.isArray(details.fields)) out.fields = details.fields.map((f) => String(f.path));
  return out;
}

/** The last route: anything not matched above. The path is not repeated (it may carry JIDs). */
export function noRoute(req: Request): never {
  throw new AppError('not_found', `no such route for ${req.method}; see ${API_BASE}/openapi.json`);
}
