/**
 * Structured request logging: every line is one JSON entry with `severity` and `message` (Cloud
 * Logging's format, written by the firebase-functions logger) and the request's id, so all lines
 * of one request can be found from the `X-Request-Id` a client reports.
 *
 * No phone numbers or JIDs: thread ids are JIDs and paths carry them, so request lines name the
 * route template (`/api/whatsapp/messages/:accountId/:threadId`) and the ids only as keyed hashes
 * (`logId`): the same id always hashes alike, so one thread's requests can be found, and nobody
 * without the secret can test a phone number against the logs.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { logger } from 'firebase-functions';

export type Severity = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

/** One log entry; `requestId` is added by `requestLogger`. */
export interface LogEntry {
  severity: Severity;
  message: string;
  [field: string]: unknown;
}

/** Where entries go: Cloud Logging in production, a list in tests. */
export type LogSink = (entry: LogEntry) => void;

export const cloudLogSink: LogSink = (entry) => logger.write(entry);

/** A logger bound to one request: every entry carries its id. */
export interface RequestLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function requestLogger(sink: LogSink, requestId: string): RequestLog {
  const write = (severity: Severity) => (message: string, fields?: Record<string, unknown>) =>
    sink({ ...fields, severity, message, requestId });
  return { info: write('INFO'), warn: write('WARNING'), error: write('ERROR') };
}

/** A caller-supplied id is kept when it is short and plain (it ends up in logs and headers). */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * The id of a request: the client's `X-Request-Id` when it is plain, else the trace id Google's
 * front end puts in `X-Cloud-Trace-Context` (so our lines join the platform's), else a new UUID.
 */
export function requestIdOf(header: (name: string) => string | undefined): string {
  const given = header('x-request-id');
  if (given !== undefined && CLIENT_REQUEST_ID.test(given)) return given;
  const trace = /^([0-9a-f]{32})(?:\/|$)/i.exec(header('x-cloud-trace-context') ?? '')?.[1];
  return trace ?? randomUUID();
}

/**
 * A short keyed hash of an id for logs (12 base64url characters, 72 bits). Without a usable key
 * (a deployment missing SEND_ID_SECRET) the id is left out rather than logged in the clear.
 */
export function logId(id: string, key: () => string): string | undefined {
  try {
    return createHmac('sha256', key()).update(`wasync-log\u0000${id}`).digest('base64url').slice(0, 12);
  } catch {
    return undefined;
  }
}

/** The request's account and thread ids (path or query), hashed for the request log line. */
export function loggedIds(
  params: Record<string, unknown>,
  query: Record<string, unknown>,
  key: () => string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['accountId', 'threadId']) {
    const value = params[name] ?? query[name];
    const hashed = typeof value === 'string' ? logId(value, key) : undefined;
    if (hashed !== undefined) out[name] = hashed;
  }
  return out;
}
