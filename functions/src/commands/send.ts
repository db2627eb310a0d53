/**
 * Sending a message: validate and resolve the recipient, choose the message id, write a `send`
 * command within the account's send budget (limits.ts). Returns at once; the socket host sends it
 * (the commands issue). Idempotent on `clientMessageId`: a replay returns the same
 * `{commandId, messageId}`, writes nothing and takes nothing from the budget.
 */
import { AppError, jidCategory, normalizeJid, paths, type SendPayload } from '@wasync/shared';
import type { SendAccepted, sendMessageInput } from '@wasync/shared/client';
import type { Firestore } from 'firebase-admin/firestore';
import type { z } from 'zod';
import { authorize, type Caller } from '../access/authorize.js';
import { config } from '../config.js';
import { sendIdKey } from '../secrets.js';
import { chosenMessageId, sendCommandId } from './ids.js';
import { admitSend } from './limits.js';
import { writeCommand } from './write.js';

export type SendInput = z.output<typeof sendMessageInput>;

/** A phone number as people write it: optional `+`, digits, spaces, dots, dashes, parentheses. */
const PHONE = /^\+?[0-9][0-9 ().-]{5,24}$/;

/**
 * The chat JID to send to for a `to` given as a JID or a phone number in international form.
 * Device suffixes are dropped; only chats `isSendable` accepts pass.
 */
export function recipientJid(to: string): string {
  if (PHONE.test(to)) {
    const digits = to.replace(/[^0-9]/g, '');
    if (digits.length < 7 || digits.length > 15 || digits.startsWith('0')) {
      throw invalidRecipient('to', 'a phone number needs 7–15 digits with the country code first');
    }
    return `${digits}@s.whatsapp.net`;
  }
  const jid = normalizeJid(to);
  if (jid === undefined || !isSendable(jid)) {
    throw invalidRecipient(
      'to',
      'expected a phone number, a user JID (…@s.whatsapp.net, …@lid) or a group JID (…@g.us)',
    );
  }
  return jid;
}

/**
 * Only one-to-one and group chats can be sent to: never WhatsApp Status (`status@broadcast`),
 * broadcast lists or newsletters, however the caller names the chat (by `to` or by `threadId`).
 */
function isSendable(jid: string): boolean {
  const category = jidCategory(jid);
  return category === 'dm' || category === 'group';
}

function invalidRecipient(field: 'to' | 'threadId', reason: string): AppError {
  return new AppError('invalid_argument', `Invalid input: ${field}: ${reason}`, { fields: [{ path: field, reason }] });
}

/** Limits a send is subject to (defaults: the functions' config). */
export interface SendLimits {
  sendBudgetPerMinute: number;
}

export async function sendMessage(
  db: Firestore,
  caller: Caller,
  input: SendInput,
  limits: SendLimits = config(),
): Promise<SendAccepted & { replayed: boolean }> {
  const { accountId, threadId, text, clientMessageId, quotedId } = input;
  // Validate the recipient before any read: bad input costs nothing.
  const givenTo = input.to === undefined ? undefined : recipientJid(input.to);
  await authorize(db, caller, accountId, 'agent');

  const messageId = chosenMessageId(sendIdKey(), accountId, clientMessageId);
  const commandId = sendCommandId(messageId);
  const { replayed } = await writeCommand(db, {
    accountId,
    commandId,
    type: 'send',
    payload: async (): Promise<SendPayload> => ({
      to: givenTo ?? (await threadJid(db, accountId, threadId!)),
      threadId,
      text,
      clientMessageId,
      messageId,
      quotedId,
    }),
    createdBy: caller.uid,
    admit: admitSend(db, accountId, limits.sendBudgetPerMinute),
    // What the caller asked for, not what it resolved to: a thread's JID may change (LID/PN
    // merge) between the request and its replay, and that must still count as the same send.
    sameRequest: (stored) =>
      stored.text === text &&
      stored.quotedId === quotedId &&
      stored.threadId === threadId &&
      (threadId !== undefined || stored.to === givenTo),
  });
  return { commandId, messageId, replayed };
}

/** The JID of thread `threadId`, which must exist and be a chat `isSendable` accepts. */
async function threadJid(db: Firestore, accountId: string, threadId: string): Promise<string> {
  const thread = await db.doc(paths.thread(accountId, threadId)).get();
  const jid: unknown = thread.get('jid');
  if (!thread.exists || typeof jid !== 'string') {
    // Not repeated in the message: thread ids are JIDs (phone numbers).
    throw new AppError('not_found', `the thread does not exist in account ${accountId}`);
  }
  if (!isSendable(jid)) {
    throw invalidRecipient(
      'threadId',
      'this thread is not a one-to-one or group chat (status, broadcast list or newsletter) and cannot be sent to',
    );
  }
  return jid;
}
