/**
 * What the host does when a socket closes, by Baileys' disconnect reason (baileys-v7-brief.md §8).
 * Pure: the session acts on the result.
 *
 * | reason                                   | reaction                                                   |
 * |------------------------------------------|------------------------------------------------------------|
 * | 401 loggedOut, 403 forbidden, 406 banned,| `logged_out`: wipe the auth state, park the account; only   |
 * | 411 multi-device mismatch                | a new pairing helps                                         |
 * | 515 restartRequired                      | `restart`: new socket at once with the saved creds (expected|
 * |                                          | right after pairing)                                        |
 * | 440 connectionReplaced                   | `replaced`: never reconnect by itself. If another host holds|
 * |                                          | the lease now, yield quietly; otherwise another client uses |
 * |                                          | this session: park (`closed`) rather than fight it         |
 * | 408 "QR refs attempts ended"             | `qr_expired`: nobody scanned; park (`closed`), no loop      |
 * | 405 "Connection Failure" (outdated client)| `refresh_version`: ask WhatsApp Web for its version again;  |
 * |                                          | a newer one: reconnect at once, not a failure; none: `retry`|
 * | anything else (408 lost, 428, 500, 503,  | `retry`: exponential backoff with jitter, up to a cap of   |
 * | 402, no status, non-Boom errors)         | consecutive failures, then park (`error`)                   |
 */
import { DisconnectReason } from '@whiskeysockets/baileys';
import { OUTDATED_CLIENT } from '../transport/wa-version.ts';

export type Reaction =
  | { kind: 'logged_out'; code: number; reason: string }
  | { kind: 'restart'; code: number; reason: string }
  | { kind: 'replaced'; code: number; reason: string }
  | { kind: 'qr_expired'; code: number; reason: string }
  | { kind: 'refresh_version'; code: number; reason: string }
  | { kind: 'retry'; code: number | undefined; reason: string };

/** Baileys' message for an unscanned QR; it shares 408 with a lost connection. */
export const QR_REFS_ENDED = 'QR refs attempts ended';

const LOGGED_OUT: ReadonlySet<number> = new Set([
  DisconnectReason.loggedOut,
  DisconnectReason.forbidden,
  406, // banned (no Baileys name; whatsmeow: BANNED)
  DisconnectReason.multideviceMismatch,
]);

export function statusCodeOf(error: unknown): number | undefined {
  const code = (error as { output?: { statusCode?: unknown } } | undefined)?.output?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

export function reactionTo(error: unknown): Reaction {
  const code = statusCodeOf(error);
  const message =
    error instanceof Error ? error.message : error === undefined ? 'closed without an error' : String(error);
  const reason = code === undefined ? message : `${message} (${code})`;
  if (code !== undefined && LOGGED_OUT.has(code)) return { kind: 'logged_out', code, reason };
  if (code === DisconnectReason.restartRequired) return { kind: 'restart', code, reason };
  if (code === DisconnectReason.connectionReplaced) return { kind: 'replaced', code, reason };
  if (code === OUTDATED_CLIENT) return { kind: 'refresh_version', code, reason };
  if (code === DisconnectReason.timedOut && message.includes(QR_REFS_ENDED))
    return { kind: 'qr_expired', code, reason };
  return { kind: 'retry', code, reason };
}
