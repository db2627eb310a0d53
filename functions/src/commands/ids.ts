/**
 * Deterministic ids for command documents and sent messages.
 *
 * A send's WhatsApp id is chosen here, before the host sends (see shared/src/commands.ts for why):
 * `3EB0` + 18 uppercase hex digits, the format of Baileys' `generateMessageIDV2`, taken from a
 * SHA-256 of (accountId, clientMessageId). Same key on the same account → same id; different
 * accounts never share one. Baileys' generator itself is not used: it is random by design and
 * lives in a module that would pull Baileys' runtime into the functions bundle.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CommandType } from '@wasync/shared';

function sha256Hex(...parts: string[]): string {
  // NUL cannot occur in any part (all are validated ids), so the joined input is unambiguous.
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/** The WhatsApp message id of the send with idempotency key `clientMessageId` on `accountId`. */
export function chosenMessageId(accountId: string, clientMessageId: string): string {
  return `3EB0${sha256Hex('wasync-send', accountId, clientMessageId).slice(0, 18).toUpperCase()}`;
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
