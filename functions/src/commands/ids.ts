/**
 * Deterministic ids for command documents and sent messages.
 *
 * A send's WhatsApp id is chosen here, before the host sends (see shared/src/commands.ts for why):
 * `3EB0` + 18 uppercase hex digits, the format of Baileys' `generateMessageIDV2`, taken from an
 * HMAC-SHA256 of (accountId, clientMessageId) under the server secret SEND_ID_SECRET. Same key on
 * the same account → same id; different accounts never share one; and the recipient, who sees the
 * id, cannot test guesses of a readable key (`order-4711-shipped`) without the secret. Rotating
 * the secret changes the id of a key retried across the rotation, so rotate only with no sends in
 * flight. Baileys' generator itself is not used: it is random by design and lives in a module that
 * would pull Baileys' runtime into the functions bundle.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { CommandType } from '@wasync/shared';

// NUL cannot occur in any part (all are validated ids), so the joined input is unambiguous.
const joined = (parts: string[]) => parts.join('\u0000');

function sha256Hex(...parts: string[]): string {
  return createHash('sha256').update(joined(parts)).digest('hex');
}

/**
 * The WhatsApp message id of the send with idempotency key `clientMessageId` on `accountId`,
 * keyed with `secret` (`sendIdKey()`).
 */
export function chosenMessageId(secret: string, accountId: string, clientMessageId: string): string {
  const mac = createHmac('sha256', secret).update(joined(['wasync-send', accountId, clientMessageId]));
  return `3EB0${mac.digest('hex').slice(0, 18).toUpperCase()}`;
}

/** The command id of a send: one per message id, hence per idempotency key. */
export function sendCommandId(messageId: string): string {
  return `send-${messageId}`;
}

/**
 * The id of any other command: derived from the caller's idempotency key when given (a replay
 * finds the same document), random otherwise. Hashed either way, so ids never grow sequentially
 * (Firestore hotspots on monotonically increasing ids).
 */
export function commandIdFor(type: CommandType, accountId: string, requestId?: string): string {
  const suffix =
    requestId === undefined
      ? randomBytes(16).toString('hex')
      : sha256Hex('wasync-command', type, accountId, requestId).slice(0, 32);
  return `${type}-${suffix}`;
}
