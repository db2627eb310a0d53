/**
 * The one error type for failures a client (or an operator reading logs) should understand.
 *
 * A machine-readable `code` says what went wrong, the HTTP status follows from the code through a
 * single table, and `toJSON()` is the response body the HTTPS API sends. Anything that is not an
 * `AppError` is a bug: `toAppError` turns it into an opaque `internal` error so that stack traces
 * and internals never reach a client (DESIGN I8: bad input gets a clear 4xx, never a 500).
 */
import type { z } from 'zod';

/** HTTP status of every error code; the only place this mapping lives. */
export const HTTP_STATUS_BY_CODE = {
  invalid_argument: 400,
  invalid_cursor: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 412,
  payload_too_large: 413,
  resource_exhausted: 429,
  config_invalid: 500,
  internal: 500,
} as const;

/** Machine-readable error code, stable across releases (clients switch on it). */
export type AppErrorCode = keyof typeof HTTP_STATUS_BY_CODE;

/** Anything `JSON.stringify` round-trips: the only kind of value allowed in `details`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The response body of a failed request. */
export interface AppErrorBody {
  error: { code: AppErrorCode; message: string; details?: JsonValue };
}

/** A failure with a machine-readable code, safe to show to the caller. */
export class AppError extends Error {
  override readonly name: string = 'AppError';

  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details?: JsonValue,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The HTTP status for this error's code (4xx for the caller's mistakes, 5xx for ours). */
  get httpStatus(): number {
    return HTTP_STATUS_BY_CODE[this.code];
  }

  /** `{ error: { code, message, details? } }`; the cause is deliberately left out. */
  toJSON(): AppErrorBody {
    const error: AppErrorBody['error'] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

/** One rejected input field: where it is (`items[0].text`, or `(root)`) and why. */
export type FieldProblem = { path: string; reason: string };

/** Formats a zod issue path as `a.b[0].c`; the empty path is the input itself. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : `${out === '' ? '' : '.'}${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * An `invalid_argument` error listing every rejected field, for input that failed a zod schema.
 * The message names the fields too, so a human reading only the message knows what to fix.
 */
export function appErrorFromZod(error: z.ZodError, what = 'input'): AppError {
  const fields: FieldProblem[] = error.issues.map((issue) => ({
    path: formatIssuePath(issue.path),
    reason: issue.message,
  }));
  const summary = fields.map((f) => `${f.path}: ${f.reason}`).join('; ');
  return new AppError('invalid_argument', `Invalid ${what}: ${summary}`, { fields });
}

/**
 * Any thrown value as an `AppError`: app errors pass through unchanged; everything else becomes
 * `internal` with a generic message (the original is kept as `cause` for server-side logging only).
 */
export function toAppError(thrown: unknown): AppError {
  if (thrown instanceof AppError) return thrown;
  return new AppError('internal', 'Internal error', undefined, { cause: thrown });
}
