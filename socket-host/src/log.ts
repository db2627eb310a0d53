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

const SECRET_FIELDS = [
  'authStateKey',
  'creds',
  'keys',
  'qr',
  'noiseKey',
  'signedIdentityKey',
  'signedPreKey',
  'advSecretKey',
  'pairingEphemeralKeyPair',
  'private',
  'initialHistBootstrapInlinePayload',
];
const REDACTED_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      messageKey: 'message',
      base: { service: 'socket-host' },
      formatters: { level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT', level: label }) },
      // Auth state, keys and QR codes (a QR links a device while it lives) must never reach a log
      // line, whatever object gets logged; Baileys logs some of these objects at debug level.
      redact: { paths: REDACTED_PATHS, censor: '<redacted>' },
    },
    destination,
  );
}
