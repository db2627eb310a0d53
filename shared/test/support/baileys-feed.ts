/**
 * Feeding Baileys events the way a live socket produces them, with Baileys' own code:
 * - live messages: a stanza through `decodeMessageNode`, content set, `cleanMessage` (as
 *   `messages-recv.js` does), then `messages.upsert` and `processMessage` — which emits the
 *   `messages.update` of edits and revokes and the `messages.reaction` of reactions;
 * - history: a `HISTORY_SYNC_NOTIFICATION` with an inline (zlib) payload through `processMessage`,
 *   which runs `downloadAndProcessHistorySyncNotification` → `processHistoryMessage` and emits
 *   `messaging-history.set`;
 * - receipts and mappings: the payloads `handleReceipt` and app-state sync emit;
 * all into a `makeEventBuffer` emitter, buffered (Baileys' offline catch-up: events consolidated with
 * its `Object.assign` merges) or not. What comes out of `ev.process` is what the pipeline sees.
 */
import { deflateSync } from 'node:zlib';
import {
  type BaileysEventMap,
  type BinaryNode,
  cleanMessage,
  decodeMessageNode,
  makeEventBuffer,
  proto,
  type WAMessage,
} from '@whiskeysockets/baileys';
import processMessage from '@whiskeysockets/baileys/lib/Utils/process-message.js';
import type { SelfIdentity } from '../../src/identity/self.ts';
import { ME } from '../fixtures/wa-messages.ts';

export const SELF: SelfIdentity = { pn: ME.pn, lid: ME.lid };

/** A logger that swallows everything. */
export const silentLogger = {
  level: 'silent',
  child: () => silentLogger,
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

export type EventBuffer = ReturnType<typeof makeEventBuffer>;
export type EventMap = Partial<BaileysEventMap>;

/**
 * One thing the socket receives. `emit` builds fresh objects on every call: Baileys' buffer
 * mutates what it is given, so a delivery replayed must not see its earlier copy's mutations.
 */
export interface Delivery {
  name: string;
  /** The event's own time in seconds, for ordering a buffered window chronologically. */
  at: number;
  /**
   * Deliveries with the same loss key lose information when consolidated in one buffer
   * (`Object.assign` of two status updates of one message keeps only the last).
   */
  lossKey?: string;
  emit(ev: EventBuffer): Promise<void>;
}

const stubRepository = {
  lidMapping: { storeLIDPNMappings: async () => {}, getLIDForPN: async () => null, getPNForLID: async () => null },
};
const stubKeyStore = { get: async () => ({}), set: async () => {}, transaction: async (fn: () => unknown) => fn() };

async function process(ev: EventBuffer, message: WAMessage, shouldProcessHistoryMsg = false): Promise<void> {
  await processMessage(message, {
    shouldProcessHistoryMsg,
    placeholderResendCache: undefined,
    ev,
    creds: { me: { id: ME.device, lid: ME.lidDevice }, accountSettings: { unarchiveChats: false } },
    signalRepository: stubRepository,
    keyStore: stubKeyStore,
    logger: silentLogger,
    options: {},
    getMessage: async () => undefined,
  } as never);
}

/** A live message as the socket would handle it (stanza attrs as `decodeMessageNode` reads them). */
export function live(
  name: string,
  attrs: Record<string, string>,
  content: proto.IMessage,
  type: 'notify' | 'append' = 'notify',
): Delivery {
  return {
    name,
    at: Number(attrs.t),
    async emit(ev) {
      const stanza: BinaryNode = { tag: 'message', attrs: { ...attrs }, content: [] };
      const { fullMessage } = decodeMessageNode(stanza, ME.pn, ME.lid);
      fullMessage.message = proto.Message.fromObject(content);
      cleanMessage(fullMessage, ME.device, ME.lidDevice);
      ev.emit('messages.upsert', { messages: [fullMessage], type });
      await process(ev, fullMessage);
    },
  };
}

/** A history sync chunk, delivered as our phone's notification with an inline payload. */
export function history(name: string, at: number, sync: () => proto.IHistorySync): Delivery {
  return {
    name,
    at,
    async emit(ev) {
      const payload = deflateSync(proto.HistorySync.encode(proto.HistorySync.create(sync())).finish());
      const notification = proto.WebMessageInfo.fromObject({
        key: { remoteJid: ME.pn, fromMe: true, id: `HIST-${name}` },
        messageTimestamp: at,
        message: {
          protocolMessage: {
            type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION,
            historySyncNotification: { syncType: sync().syncType, initialHistBootstrapInlinePayload: payload },
          },
        },
      }) as WAMessage;
      ev.emit('messages.upsert', { messages: [notification], type: 'notify' });
      await process(ev, notification, true);
    },
  };
}

/** A one-to-one receipt of our message, as `handleReceipt` emits it. */
export function dmReceipt(name: string, peer: string, id: string, status: number, at: number): Delivery {
  return {
    name,
    at,
    lossKey: `status ${peer},${id}`,
    async emit(ev) {
      ev.emit('messages.update', [
        {
          key: { remoteJid: peer, id, fromMe: true, participant: undefined },
          update: { status, messageTimestamp: at },
        },
      ]);
    },
  };
}

/** A group receipt of our message by `reader`, as `handleReceipt` emits it. */
export function groupReceipt(
  name: string,
  group: string,
  id: string,
  reader: string,
  at: number,
  read: boolean,
): Delivery {
  return {
    name,
    at,
    async emit(ev) {
      ev.emit('message-receipt.update', [
        {
          key: { remoteJid: group, id, fromMe: true, participant: reader },
          receipt: { userJid: reader, [read ? 'readTimestamp' : 'receiptTimestamp']: at },
        },
      ]);
    },
  };
}

/** A LID ↔ PN mapping from app-state sync. */
export function mapping(name: string, at: number, lid: string, pn: string): Delivery {
  return {
    name,
    at,
    async emit(ev) {
      ev.emit('lid-mapping.update', { lid, pn });
    },
  };
}

/**
 * Deliver `deliveries` to a fresh socket emitter and return the event maps the pipeline would get.
 * Buffered: one consolidated map per flush (plus what Baileys flushes early); the window is replayed
 * in chronological order, as an offline queue is, and flushed before a delivery whose `lossKey` is
 * already in the buffer — a consolidation that loses information no writer could get back.
 */
export async function deliver(deliveries: readonly Delivery[], buffered: boolean): Promise<EventMap[]> {
  const ev = makeEventBuffer(silentLogger as never);
  const maps: EventMap[] = [];
  ev.process((map) => {
    maps.push(map as EventMap);
  });
  if (!buffered) {
    for (const delivery of deliveries) await delivery.emit(ev);
    return maps;
  }
  const ordered = [...deliveries].sort((a, b) => a.at - b.at);
  const keys = new Set<string>();
  ev.buffer();
  for (const delivery of ordered) {
    if (delivery.lossKey && keys.has(delivery.lossKey)) {
      await ev.flush();
      keys.clear();
      ev.buffer();
    }
    if (delivery.lossKey) keys.add(delivery.lossKey);
    await delivery.emit(ev);
  }
  await ev.flush();
  return maps;
}
