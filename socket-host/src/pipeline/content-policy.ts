/**
 * Which messages' raw content is kept for Baileys' `getMessage` (the server-only
 * `messageContent` store): only where Baileys needs it, so it costs almost no writes per message.
 * - Messages this socket sent: a recipient device that fails to decrypt sends a retry receipt,
 *   and Baileys re-encrypts the content it gets from `getMessage` (messages-recv.js). They come
 *   back as an `append` upsert of ours with status PENDING (`emitOwnEvents`; messages from our
 *   other devices arrive as SERVER_ACK `notify`, and those devices answer their own retries).
 * - Poll and event creation messages, any author: their `messageContextInfo.messageSecret`
 *   decrypts the votes (the pipeline, `poll-votes.ts`) and event responses (Baileys, through
 *   `getMessage`).
 */
import { normalizeMessageContent, proto, type WAMessage } from '@whiskeysockets/baileys';

const SECRET_CONTENT = [
  'pollCreationMessage',
  'pollCreationMessageV2',
  'pollCreationMessageV3',
  'pollCreationMessageV5',
  'eventMessage',
] as const;

/** Whether the message creates a poll or an event (its content carries the secret of its votes/responses). */
export function createsPollOrEvent(message: WAMessage): boolean {
  const content = normalizeMessageContent(message.message);
  if (!content) return false;
  if (SECRET_CONTENT.some((type) => content[type])) return true;
  // Poll v4 comes wrapped in a FutureProofMessage.
  const v4 = content.pollCreationMessageV4?.message;
  return !!v4 && SECRET_CONTENT.some((type) => v4[type]);
}

/** A message this socket just sent (see the module comment). */
export function sentByThisSocket(message: WAMessage, upsertType: string | undefined): boolean {
  return (
    upsertType === 'append' && message.key?.fromMe === true && message.status === proto.WebMessageInfo.Status.PENDING
  );
}

/** The messages of an upsert whose content `getMessage` must be able to return. */
export function contentsToKeep(messages: readonly WAMessage[], upsertType?: string): WAMessage[] {
  return messages.filter((m) => m.message && (sentByThisSocket(m, upsertType) || createsPollOrEvent(m)));
}
