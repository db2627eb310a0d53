/**
 * chats.js `upsertMessage` for the simulated socket: every message the socket receives goes out as
 * `messages.upsert` (with the sender's push name as `contacts.update`), then through Baileys'
 * `processMessage` — history notifications processed when the host's `shouldSyncHistoryMessage`
 * and PROCESSABLE_HISTORY_TYPES allow, with chats.js' history milestones. Buffered like Baileys'
 * (`createBufferedFunction`).
 */
import {
  type AuthenticationCreds,
  getHistoryMsg,
  jidNormalizedUser,
  type MessageUpsertType,
  type makeEventBuffer,
  PROCESSABLE_HISTORY_TYPES,
  type SignalKeyStoreWithTransaction,
  type WAMessage,
} from '@whiskeysockets/baileys';
import type { makeLibSignalRepository } from '@whiskeysockets/baileys/lib/Signal/libsignal.js';
import type { ILogger } from '@whiskeysockets/baileys/lib/Utils/logger.js';
import processMessage from '@whiskeysockets/baileys/lib/Utils/process-message.js';
import type { ConnectOptions } from '../types.ts';
import { HistoryMilestones } from './history-delivery.ts';

export interface UpsertContext {
  readonly ev: ReturnType<typeof makeEventBuffer>;
  readonly creds: AuthenticationCreds;
  readonly keys: SignalKeyStoreWithTransaction;
  readonly signalRepository: ReturnType<typeof makeLibSignalRepository>;
  readonly logger: ILogger;
  readonly options: Pick<ConnectOptions, 'shouldSyncHistoryMessage' | 'getMessage'>;
}

export function makeUpsertMessage(ctx: UpsertContext): (msg: WAMessage, type: MessageUpsertType) => Promise<void> {
  const { ev, creds, keys, signalRepository, logger, options } = ctx;
  const milestones = new HistoryMilestones(ev);
  return ev.createBufferedFunction(async (msg: WAMessage, type: MessageUpsertType) => {
    ev.emit('messages.upsert', { messages: [msg], type });
    if (msg.pushName && !msg.key.fromMe) {
      const jid = jidNormalizedUser(msg.key.participant || msg.key.remoteJid!);
      ev.emit('contacts.update', [{ id: jid, notify: msg.pushName }]);
    }
    const historyMsg = getHistoryMsg(msg.message!);
    const shouldProcessHistoryMsg = historyMsg
      ? options.shouldSyncHistoryMessage(historyMsg) &&
        (PROCESSABLE_HISTORY_TYPES as readonly number[]).includes(historyMsg.syncType ?? -1)
      : false;
    if (historyMsg && shouldProcessHistoryMsg) milestones.seen(historyMsg);
    await processMessage(msg, {
      shouldProcessHistoryMsg,
      ev,
      creds,
      keyStore: keys,
      signalRepository,
      logger,
      options: {},
      getMessage: options.getMessage,
    });
  });
}
