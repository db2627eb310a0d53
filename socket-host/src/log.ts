/**
 * Structured logs for Cloud Logging: JSON lines on stdout with `severity` and `message`.
 * Baileys takes a child of this logger (its ILogger is pino-compatible).
 */
import { pino } from 'pino';

const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export type Logger = pino.Logger;

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      messageKey: 'message',
      base: { service: 'socket-host' },
      formatters: { level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT', level: label }) },
      // Auth state and keys must never reach a log line, whatever object gets logged.
      redact: { paths: ['authStateKey', '*.authStateKey', 'creds', '*.creds', 'keys', '*.keys'], censor: '<redacted>' },
    },
    destination,
  );
}
