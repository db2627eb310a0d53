/**
 * One place that turns callable requests into domain calls: it requires a signed-in caller,
 * validates `data` with a zod schema, and maps every failure to an `HttpsError` carrying the
 * machine-readable `AppError` code in `details.code`. Unknown errors are logged and become
 * `internal` without leaking their message.
 */
import { AppError, appErrorFromZod } from '@wasync/shared';
import { logger } from 'firebase-functions';
import {
  type CallableOptions,
  type CallableRequest,
  type FunctionsErrorCode,
  HttpsError,
  onCall,
} from 'firebase-functions/v2/https';
import type { z } from 'zod';
import type { Caller } from '../access/authorize.js';
import { authLookup, callerOf } from '../access/caller.js';
import { config } from '../config.js';
import { callableOptions } from '../deploy-options.js';
import { auth } from '../firebase.js';

const HTTPS_CODES: Record<number, FunctionsErrorCode> = {
  400: 'invalid-argument',
  401: 'unauthenticated',
  403: 'permission-denied',
  404: 'not-found',
  409: 'already-exists',
  412: 'failed-precondition',
  413: 'invalid-argument',
  429: 'resource-exhausted',
};

/**
 * Maps any failure to the HttpsError a callable client sees; unknown errors never leak their
 * message. Our own failures (5xx, AppError or not) are logged with their cause's stack, as the
 * API's error handler does.
 */
export function toHttpsError(err: unknown, name: string): HttpsError {
  if (err instanceof HttpsError) return err;
  if (err instanceof AppError) {
    if (err.httpStatus >= 500) logFailure(name, err.cause ?? err);
    const httpsCode = HTTPS_CODES[err.httpStatus] ?? 'internal';
    return new HttpsError(httpsCode, err.message, { code: err.code, details: err.details });
  }
  logFailure(name, err);
  return new HttpsError('internal', 'internal error', { code: 'internal' });
}

function logFailure(name: string, cause: unknown): void {
  logger.error(`callable ${name} failed`, { error: cause instanceof Error ? cause.stack : String(cause) });
}

const lookupUser = authLookup((uid) => auth().getUser(uid));

/** Declares a callable whose input is validated by `schema` and whose caller must be signed in. */
export function authedCallable<S extends z.ZodType, R>(
  name: string,
  schema: S,
  handler: (input: z.output<S>, caller: Caller) => Promise<R>,
  options: CallableOptions = {},
) {
  return onCall({ ...callableOptions(config()), ...options }, async (request: CallableRequest<unknown>) => {
    try {
      if (!request.auth) throw new AppError('unauthenticated', 'sign in first');
      const parsed = schema.safeParse(request.data ?? {});
      if (!parsed.success) throw appErrorFromZod(parsed.error);
      const caller = await callerOf(request.auth.uid, request.auth.token, lookupUser);
      return await handler(parsed.data, caller);
    } catch (err) {
      throw toHttpsError(err, name);
    }
  });
}
