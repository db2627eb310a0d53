/**
 * What the host does when a socket closes, by Baileys' disconnect reason (baileys-v7-brief.md §8).
 * Pure: the session acts on the result. Parking (a state no host runs until someone acts) is only
 * for reasons an operator must act on; an outage of WhatsApp or of the network never parks.
 *
 * | reason                                    | reaction                                                  |
 * |-------------------------------------------|-----------------------------------------------------------|
 * | 401 loggedOut, 403 forbidden, 406 banned, | `logged_out`: wipe the auth state, park the account; only  |
 * | 411 multi-device mismatch                 | a new pairing helps                                        |
 * | 515 restartRequired                       | `restart`: new socket at once (expected right after        |
 * |                                           | pairing); 515s that never reach a stable open count        |
 * |                                           | towards the backoff, so a 515 loop slows down              |
 * | 440 connectionReplaced                    | `replaced`: never reconnect by itself. If another host     |
 * |                                           | holds the lease now, yield quietly; otherwise another      |
 * |                                           | client uses this session: park (`closed`), not fight it    |
 * | 408 "QR refs attempts ended"              | `qr_expired`: nobody scanned the QR (or entered the code   |
 * |                                           | within its validity); park (`closed`), no loop             |
 * | 405 "Connection Failure" (outdated      | `refresh_version`: ask WhatsApp Web for its version again; |
 * | client)                                   | a newer one: reconnect at once, not a failure; none:       |
 * |                                           | counted like `unknown`                                     |
 * | 402 temporary ban                         | `temporary_ban`: wait until the ban ends (the failure's    |
 * |                                           | `expire`, seconds; an hour when absent), then reconnect    |
 * | 408 lost, 428, 429, 5xx, any WebSocket    | `retry`: transient. Exponential backoff with jitter up to  |
 * | error, no status, errors that are not Boom| the cap, then at the cap for as long as it lasts; never    |
 * |                                           | parks                                                      |
 * | any other status (400, 405, 409, …)       | `unknown`: backoff like `retry`; after `maxFailures` of    |
 * |                                           | them in a row, park (`error`) for someone to look at       |
 */
import { DisconnectReason } from '@whiskeysockets/baileys';
import { OUTDATED_CLIENT } from '../transport/wa-version.ts';

export type Reaction =
  | { kind: 'logged_out'; code: number; reason: string }
  | { kind: 'restart'; code: number; reason: string }
  | { kind: 'replaced'; code: number; reason: string }
  | { kind: 'qr_expired'; code: number; reason: string }
  | { kind: 'refresh_version'; code: number; reason: string }
  | { kind: 'temporary_ban'; code: number; reason: string; waitMs: number }
  | { kind: 'retry'; code: number | undefined; reason: string }
  | { kind: 'unknown'; code: number; reason: string };

/** Baileys' message for an unscanned QR; it shares 408 with a lost connection. */
export const QR_REFS_ENDED = 'QR refs attempts ended';

/** `<failure reason="402">` (whatsmeow: ConnectFailureTempBanned); Baileys has no name for it. */
export const TEMPORARY_BAN = 402;

/** How long to wait out a temporary ban whose failure carries no `expire`. */
export const TEMPORARY_BAN_UNKNOWN_MS = 60 * 60_000;

const LOGGED_OUT: ReadonlySet<number> = new Set([
  DisconnectReason.loggedOut,
  DisconnectReason.forbidden,
  406, // banned (no Baileys name; whatsmeow: BANNED)
  DisconnectReason.multideviceMismatch,
]);

/** Passes by itself: the connection, the network or WhatsApp's servers, not this account. */
const TRANSIENT: ReadonlySet<number> = new Set([
  DisconnectReason.connectionLost, // 408 (keep-alive lost, a connect that timed out, ENOTFOUND, …)
  DisconnectReason.connectionClosed, // 428
  429, // too many requests (an HTTP answer to the WebSocket upgrade)
]);

/** Why WhatsApp banned the number for a while (the failure's `code`; names as whatsmeow has them). */
const BAN_REASONS: Record<string, string> = {
  '101': 'sent to too many people',
  '102': 'blocked by too many users',
  '103': 'created too many groups with people who do not have the number',
  '104': 'sent the same message to too many people',
  '106': 'sent too many messages to a broadcast list',
};

export function statusCodeOf(error: unknown): number | undefined {
  const code = (error as { output?: { statusCode?: unknown } } | undefined)?.output?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

export function reactionTo(error: unknown): Reaction {
  const code = statusCodeOf(error);
  const message =
    error instanceof Error ? error.message : error === undefined ? 'closed without an error' : String(error);
  const reason = code === undefined ? message : `${message} (${code})`;
  if (code === undefined) return { kind: 'retry', code, reason };
  // socket.js `mapWebSocketError`: the network, or a server's HTTP answer to the upgrade — never a
  // verdict on the account, even when it maps to 401 or 403.
  if (message.startsWith('WebSocket Error')) return { kind: 'retry', code, reason };
  if (LOGGED_OUT.has(code)) return { kind: 'logged_out', code, reason };
  if (code === DisconnectReason.restartRequired) return { kind: 'restart', code, reason };
  if (code === DisconnectReason.connectionReplaced) return { kind: 'replaced', code, reason };
  if (code === OUTDATED_CLIENT) return { kind: 'refresh_version', code, reason };
  if (code === DisconnectReason.timedOut && message.includes(QR_REFS_ENDED))
    return { kind: 'qr_expired', code, reason };
  if (code === TEMPORARY_BAN) return temporaryBan(error, code, reason);
  if (TRANSIENT.has(code) || code >= 500) return { kind: 'retry', code, reason };
  return { kind: 'unknown', code, reason };
}

/** socket.js passes the `<failure>` node's attributes as the Boom's data: `expire` (seconds) and `code`. */
function temporaryBan(error: unknown, code: number, reason: string): Reaction {
  const data = (error as { data?: { expire?: unknown; code?: unknown } }).data;
  const expireS = Number(data?.expire);
  const waitMs = Number.isFinite(expireS) && expireS > 0 ? expireS * 1000 : TEMPORARY_BAN_UNKNOWN_MS;
  const why = data?.code === undefined ? '' : `; ban code ${data.code}: ${BAN_REASONS[String(data.code)] ?? 'unknown'}`;
  return { kind: 'temporary_ban', code, reason: `${reason}${why}`, waitMs };
}
