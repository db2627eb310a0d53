/** What the middleware leaves in `res.locals` for the handlers after it. */
import { AppError } from '@wasync/shared';
import type { Response } from 'express';
import type { Caller } from '../access/authorize.js';
import type { RequestLog } from './log.js';

export interface RequestContext {
  requestId: string;
  log: RequestLog;
  /** Set by `authenticate`. */
  caller?: Caller;
  /** The matched route's template and its ids as keyed hashes (for the request log line). */
  route?: string;
  ids?: Record<string, string>;
}

export function context(res: Response): RequestContext {
  return res.locals as RequestContext;
}

/** The authenticated caller; only routes behind `authenticate` may ask. */
export function callerOf(res: Response): Caller {
  const caller = context(res).caller;
  if (!caller) throw new AppError('internal', 'route reached without authentication');
  return caller;
}
