/**
 * How the phone's history reaches the companion: a HISTORY_SYNC_NOTIFICATION protocol message with
 * the payload inline (Baileys inflates and decodes it exactly like a downloaded blob), upserted and
 * processed like any message, and chats.js' `messaging-history.status` milestones.
 */
import { deflateSync } from 'node:zlib';
import { type BaileysEventEmitter, jidNormalizedUser, proto, type WAMessage } from '@whiskeysockets/baileys';
import { stableMessageId } from './random.ts';

/** The notification message our phone sends for `history` (`requestId`: the ON_DEMAND request it answers). */
export function historyNotification(
  history: proto.IHistorySync,
  meJid: string,
  socketId: string,
  requestId?: string,
): WAMessage {
  const notification: proto.Message.IHistorySyncNotification = {
    syncType: history.syncType,
    chunkOrder: history.chunkOrder,
    progress: history.progress,
    initialHistBootstrapInlinePayload: deflateSync(proto.HistorySync.encode(history).finish()),
    ...(requestId ? { peerDataRequestSessionId: requestId } : {}),
  };
  return {
    key: {
      remoteJid: jidNormalizedUser(meJid),
      fromMe: true,
      id: stableMessageId(socketId, 'hist', String(history.syncType), String(history.chunkOrder), requestId ?? ''),
    },
    messageTimestamp: Math.floor(Date.now() / 1000),
    message: {
      protocolMessage: {
        type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION,
        historySyncNotification: notification,
      },
    },
  };
}

/**
 * `messaging-history.status` as chats.js `upsertMessage` emits it, before the notification is
 * processed (the event is not bufferable, so it can arrive before its `messaging-history.set`):
 * INITIAL_BOOTSTRAP complete on arrival, RECENT complete with progress 100. Baileys' `paused`
 * (no RECENT chunk for 120 s) cannot happen here: the phone always sends RECENT to 100.
 */
export class HistoryMilestones {
  /** chats.js `historySyncStatus`: which milestones this connection has reported. */
  readonly #done = { initialBootstrap: false, recent: false };

  constructor(private readonly ev: BaileysEventEmitter) {}

  seen({ syncType, progress }: proto.Message.IHistorySyncNotification): void {
    const { INITIAL_BOOTSTRAP, RECENT } = proto.HistorySync.HistorySyncType;
    if (syncType === INITIAL_BOOTSTRAP && !this.#done.initialBootstrap) {
      this.#done.initialBootstrap = true;
      this.ev.emit('messaging-history.status', { syncType: INITIAL_BOOTSTRAP, status: 'complete', explicit: true });
    }
    if (syncType === RECENT && progress === 100 && !this.#done.recent) {
      this.#done.recent = true;
      this.ev.emit('messaging-history.status', { syncType: RECENT, status: 'complete', explicit: true });
    }
  }
}
