/**
 * One simulated connection: the stand-in for `makeWASocket` that the simulated transport returns.
 *
 * It follows Baileys' socket (lib/Socket/socket.js, chats.js, messages-recv.js) step by step and
 * produces its events with Baileys' own functions, so the host and the pipeline see what a real
 * socket would emit:
 *
 * - events go through `makeEventBuffer`; a registered account buffers from connect until the
 *   offline backlog is handled, as socket.js does, so history chunks and upserts arrive merged;
 * - QR pairing: `connection.update {qr}` built with `buildPairingQRData`, 60 s then 20 s per ref,
 *   `QR refs attempts ended` (408) when no ref is left; a scan is a real `pair-success` stanza
 *   checked by `configureSuccessfulPairing`, then `isNewLogin` and a 515 restart from the server;
 * - login: `creds.update {me.lid}`, `open`, own LID mapping stored through Baileys' signal
 *   repository (so `lid-mapping` and `device-list` keys land in the auth store);
 * - history: inline-payload HISTORY_SYNC_NOTIFICATION messages upserted and processed by Baileys'
 *   `processMessage` (→ `downloadAndProcessHistorySyncNotification`, `messaging-history.set`,
 *   `creds.update {processedHistoryMessages}`, tc tokens), filtered by the host's
 *   `shouldSyncHistoryMessage` and Baileys' PROCESSABLE_HISTORY_TYPES like the real socket, with
 *   chats.js' `messaging-history.status` milestones;
 * - live messages: stanzas through `decodeMessageNode` (LID-addressed with PN alternates) and
 *   `cleanMessage`; `sendMessage` builds with `generateWAMessage`, upserts as `append`, then
 *   receipts in the shapes of messages-recv.js `handleReceipt`;
 * - `fetchMessageHistory` answers with an ON_DEMAND notification carrying the request id as
 *   `peerDataRequestSessionId`;
 * - disconnects are Boom errors made the way socket.js makes them (stream errors through
 *   `getErrorCodeFromStreamError`, `Connection Failure` with the failure reason, …).
 */
import { deflateSync } from 'node:zlib';
import { Boom } from '@hapi/boom';
import {
  type AnyMessageContent,
  addTransactionCapability,
  type BinaryNode,
  buildPairingQRData,
  cleanMessage,
  configureSuccessfulPairing,
  DisconnectReason,
  decodeMessageNode,
  type GroupMetadata,
  generateWAMessage,
  getCodeFromWSError,
  getErrorCodeFromStreamError,
  getHistoryMsg,
  getStatusFromReceiptType,
  isJidGroup,
  jidNormalizedUser,
  type MessageUpsertType,
  type MiscMessageGenerationOptions,
  makeEventBuffer,
  PROCESSABLE_HISTORY_TYPES,
  proto,
  type WAMessage,
  type WAMessageKey,
  type WAVersion,
} from '@whiskeysockets/baileys';
import { makeLibSignalRepository } from '@whiskeysockets/baileys/lib/Signal/libsignal.js';
import { extractGroupMetadata } from '@whiskeysockets/baileys/lib/Socket/groups.js';
import processMessage from '@whiskeysockets/baileys/lib/Utils/process-message.js';
import { BROWSER } from '../browser.ts';
import type { ConnectOptions, WhatsAppSocket } from '../types.ts';
import { BUILT_IN_WA_VERSION, isNewer, OUTDATED_CLIENT } from '../wa-version.ts';
import type { SimulatedMediaServer } from './media.ts';
import { onDemandLedger } from './on-demand.ts';
import { pairSuccessStanza } from './pairing.ts';
import type { SimulatedPhone } from './phone.ts';
import { stableMessageId } from './random.ts';

/** Timings of the simulated server, all overridable (tests shrink them). */
export interface SimulatedTimings {
  /** From `makeWASocket` to the server's first answer (QR or login). */
  connectMs: number;
  /** Lifetime of the first QR and of each later one (Baileys: 60 s, then 20 s). */
  firstQrMs: number;
  nextQrMs: number;
  /** QR refs the server hands out before it gives up (`QR refs attempts ended`). */
  qrRefs: number;
  /** Delay between the phone's receipts (server ack → delivered → read). */
  receiptMs: number;
  /** How long the phone takes to answer an on-demand history request. */
  onDemandMs: number;
  /** Gap between two history notifications after login. */
  historyChunkMs: number;
}

export const DEFAULT_TIMINGS: SimulatedTimings = {
  connectMs: 150,
  firstQrMs: 60_000,
  nextQrMs: 20_000,
  qrRefs: 6,
  receiptMs: 400,
  onDemandMs: 300,
  historyChunkMs: 20,
};

/** What a socket needs from the simulated server it belongs to. */
export interface SimulatedServerLink {
  readonly phone: SimulatedPhone;
  readonly timings: SimulatedTimings;
  /** The server accepted a login with these creds (false after the phone unlinked the device). */
  acceptsLogin(deviceJid: string): boolean;
  /** The phone linked this companion (a scan or pairing code): remember it. */
  linked(deviceJid: string): void;
  /** The device logged out: forget it. */
  unlinked(): void;
  /** The oldest WhatsApp Web version the server accepts; older clients get a 405 failure. */
  minVersion(): WAVersion;
  /** The socket reached `open`: WhatsApp replaces any other connection of this account (440). */
  opened(socket: SimulatedSocket): void;
  ended(socket: SimulatedSocket): void;
  /** The next live message number of this account (ids and texts are derived from it). */
  nextLive(): number;
  /** False while WhatsApp is unreachable (`SimulatedWhatsApp.outage`). */
  reachable(): boolean;
  /** Resolves once the socket's lifetime is on record (the ledger): only then may it reach the server. */
  recorded(socket: SimulatedSocket): Promise<void>;
  /** The phone's media (files it sent, re-uploads); absent: media requests fail as for a phone without the file. */
  readonly media?: SimulatedMediaServer;
}

export class SimulatedSocket implements WhatsAppSocket {
  readonly ev: ReturnType<typeof makeEventBuffer>;
  readonly openedAt = Date.now();
  #closed = false;
  #isOpen = false;
  #timers = new Set<NodeJS.Timeout>();
  /** socket.js `socketEndHandlers`: run by `end` before the `close` update, while the emitter lives. */
  readonly #endHandlers: ((error: Error | undefined) => void | Promise<void>)[] = [];
  #qr: { refs: string[]; timer?: NodeJS.Timeout } | undefined;
  #didBuffer = false;
  /** chats.js `historySyncStatus`: which milestones this connection has reported. */
  #historyComplete = { initialBootstrap: false, recent: false };
  readonly #keys;
  readonly signalRepository;
  readonly #upsertMessage: (msg: WAMessage, type: MessageUpsertType) => Promise<void>;

  constructor(
    readonly socketId: string,
    private readonly options: ConnectOptions,
    private readonly server: SimulatedServerLink,
  ) {
    const { auth, logger } = options;
    this.ev = makeEventBuffer(logger);
    // Baileys merges every creds.update into the creds object in place (socket.js).
    this.ev.on('creds.update', (update) => Object.assign(auth.creds, update));
    this.#keys = addTransactionCapability(auth.keys, logger, { maxCommitRetries: 10, delayBetweenTriesMs: 3000 });
    this.signalRepository = makeLibSignalRepository({ creds: auth.creds, keys: this.#keys }, logger);
    this.#upsertMessage = this.ev.createBufferedFunction(async (msg: WAMessage, type: MessageUpsertType) => {
      this.ev.emit('messages.upsert', { messages: [msg], type });
      if (msg.pushName && !msg.key.fromMe) {
        const jid = jidNormalizedUser(msg.key.participant || msg.key.remoteJid!);
        this.ev.emit('contacts.update', [{ id: jid, notify: msg.pushName }]);
      }
      const historyMsg = getHistoryMsg(msg.message!);
      const shouldProcessHistoryMsg = historyMsg
        ? options.shouldSyncHistoryMessage(historyMsg) &&
          (PROCESSABLE_HISTORY_TYPES as readonly number[]).includes(historyMsg.syncType ?? -1)
        : false;
      if (historyMsg && shouldProcessHistoryMsg) this.#historyMilestone(historyMsg);
      await processMessage(msg, {
        shouldProcessHistoryMsg,
        ev: this.ev,
        creds: auth.creds,
        keyStore: this.#keys,
        signalRepository: this.signalRepository,
        logger,
        options: {},
        getMessage: options.getMessage,
      });
    });
    process.nextTick(() => this.#connect());
  }

  get accountId(): string {
    return this.options.accountId;
  }

  get user() {
    return this.options.auth.creds.me;
  }

  get isOpen(): boolean {
    return this.#isOpen && !this.#closed;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Ends the connection like Baileys' `end`: the registered end handlers, one `close` update
   * carrying the error, then the emitter dies — with whatever it still buffered (`destroy`).
   */
  end = async (error: Error | undefined): Promise<void> => {
    if (this.#closed) return;
    this.#closed = true;
    this.#isOpen = false;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.server.ended(this);
    for (const handler of this.#endHandlers) {
      try {
        await handler(error);
      } catch (err) {
        this.options.logger.error({ err }, 'error in socket end handler');
      }
    }
    this.ev.emit('connection.update', { connection: 'close', lastDisconnect: { error, date: new Date() } });
    this.ev.removeAllListeners('connection.update');
    this.ev.destroy();
  };

  registerSocketEndHandler = (handler: (error: Error | undefined) => void | Promise<void>): void => {
    this.#endHandlers.push(handler);
  };

  logout = async (msg?: string): Promise<void> => {
    this.server.unlinked();
    await this.end(new Boom(msg || 'Intentional Logout', { statusCode: DisconnectReason.loggedOut }));
  };

  requestPairingCode = async (phoneNumber: string, customPairingCode?: string): Promise<string> => {
    const code = customPairingCode ?? stableMessageId(this.socketId, 'pairing').slice(4, 12);
    this.ev.emit('creds.update', { pairingCode: code, me: { id: `${phoneNumber}@s.whatsapp.net`, name: '~' } });
    return code;
  };

  sendMessage = async (
    jid: string,
    content: AnyMessageContent,
    options: MiscMessageGenerationOptions = {},
  ): Promise<WAMessage | undefined> => {
    this.#assertOpen();
    if (!('text' in content)) throw new Boom('the simulated transport sends text only', { statusCode: 400 });
    const me = this.options.auth.creds.me!;
    const msg = await generateWAMessage(jid, content, {
      ...options,
      userJid: me.id,
      logger: this.options.logger,
      messageId: options.messageId ?? stableMessageId(this.socketId, 'send', String(this.server.nextLive())),
      upload: () => Promise.reject(new Boom('the simulated transport has no media upload', { statusCode: 400 })),
    });
    await this.#upsertMessage(msg, 'append');
    this.#scheduleReceipts(msg.key);
    return msg;
  };

  fetchMessageHistory = async (
    count: number,
    oldestMsgKey: WAMessageKey,
    oldestMsgTimestamp: number | Long,
  ): Promise<string> => {
    if (!this.options.auth.creds.me?.id) throw new Boom('Not authenticated');
    this.#assertOpen();
    const requestId = stableMessageId(this.socketId, 'pdo', String(this.server.nextLive()));
    const ledger = onDemandLedger(this.server.phone);
    if (!ledger.request(requestId, oldestMsgKey.remoteJid!, count)) return requestId;
    const history = this.server.phone.onDemand(oldestMsgKey.remoteJid!, count, Number(oldestMsgTimestamp));
    this.#later(this.server.timings.onDemandMs, async () => {
      await this.#deliverHistory(history, requestId);
      ledger.answered(requestId);
    });
    return requestId;
  };

  /**
   * groups.js: the `w:g2 participating` query answered with one `<group>` node per group the phone
   * is in, read by Baileys' own `extractGroupMetadata`, then `groups.update` with every group.
   */
  groupFetchAllParticipating = async (): Promise<{ [id: string]: GroupMetadata }> => {
    this.#assertOpen();
    const data: { [id: string]: GroupMetadata } = {};
    for (const node of this.server.phone.groupNodes()) {
      const meta = extractGroupMetadata({ tag: 'result', attrs: {}, content: [node] });
      data[meta.id] = meta;
    }
    this.ev.emit('groups.update', Object.values(data));
    return data;
  };

  /** groups.js `groupMetadata`: one group's `w:g2` query, read by Baileys' `extractGroupMetadata`. */
  groupMetadata = async (jid: string): Promise<GroupMetadata> => {
    this.#assertOpen();
    const node = this.server.phone.groupNodes().find((n) => `${n.attrs.id}@g.us` === jid);
    // A query error as `assertNodeErrorFree` throws it: a group the account is not in.
    if (!node) throw new Boom('item-not-found', { data: 404 });
    return extractGroupMetadata({ tag: 'result', attrs: {}, content: [node] });
  };

  /** The phone scans the QR (or confirms the pairing code). */
  pair(): void {
    const { creds } = this.options.auth;
    // Linked once pairing stored the signed `account` (a pairing code sets `me` before that).
    const showsQrOrCode = !creds.account;
    if (this.#closed || !showsQrOrCode) return;
    let update: ReturnType<typeof configureSuccessfulPairing>['creds'];
    try {
      const stanza = pairSuccessStanza(creds, this.server.phone.identity, `pair-${this.socketId}`);
      update = configureSuccessfulPairing(stanza, creds).creds;
    } catch (err) {
      // socket.js: "error in pairing" ends the connection with that error.
      void this.end(err as Error);
      return;
    }
    clearTimeout(this.#qr?.timer);
    this.#qr = undefined;
    this.server.linked(update.me!.id);
    this.ev.emit('creds.update', update);
    this.ev.emit('connection.update', { isNewLogin: true, qr: undefined });
    // The server then restarts the stream so the companion logs in with its new identity.
    this.#later(50, () => void this.end(streamError({ code: String(DisconnectReason.restartRequired) }, [])));
  }

  /**
   * Baileys' `updateMediaMessage` (messages-send.js): asks the phone to re-upload an expired file
   * and decrypts its answer as Baileys does (`SimulatedMediaServer.updateMediaMessage`); on success
   * the content gets the new directPath and url and `messages.update` carries the message;
   * otherwise the Boom Baileys throws.
   */
  updateMediaMessage = async (message: WAMessage): Promise<WAMessage> => {
    this.#assertOpen();
    const media = this.server.media;
    if (!media) throw new Boom('Media re-upload failed by device (NOT_FOUND)', { statusCode: 404 });
    const updated = await media.updateMediaMessage(message);
    this.ev.emit('messages.update', [{ key: message.key, update: { message: updated.message } }]);
    return updated;
  };

  /**
   * A message arrives from a contact (`n` picks sender and text deterministically); `content`, when
   * given, is what it carries instead of the text (media the phone published).
   */
  async receive(n = this.server.nextLive(), content?: proto.IMessage): Promise<WAMessage> {
    this.#assertOpen();
    const stanza = this.server.phone.liveStanza(n, Math.floor(Date.now() / 1000));
    return (await this.#receiveStanza(stanza, content))!;
  }

  /**
   * A contact posts a status update (`status@broadcast`, the sender as participant); undefined
   * when the socket ignores the JID (`shouldIgnoreJid`), as messages-recv.js drops it unread.
   */
  async receiveStatus(n = this.server.nextLive()): Promise<WAMessage | undefined> {
    this.#assertOpen();
    const stanza = this.server.phone.liveStanza(n, Math.floor(Date.now() / 1000));
    const { from, sender_pn, participant, participant_pn, ...attrs } = stanza.attrs;
    stanza.attrs = {
      ...attrs,
      from: 'status@broadcast',
      participant: participant ?? from!,
      participant_pn: participant_pn ?? sender_pn!,
    };
    return this.#receiveStanza(stanza);
  }

  async #receiveStanza(stanza: BinaryNode, content?: proto.IMessage): Promise<WAMessage | undefined> {
    // messages-recv.js acks an ignored JID's stanza and drops it before decoding.
    if (this.options.shouldIgnoreJid?.(stanza.attrs.from!)) return undefined;
    const { creds } = this.options.auth;
    const { fullMessage } = decodeMessageNode(stanza, creds.me!.id, creds.me!.lid ?? '');
    // Decryption is the one step skipped: the stanza carries the plaintext.
    fullMessage.message = content ?? { conversation: this.server.phone.liveText(stanza) };
    cleanMessage(fullMessage, creds.me!.id, creds.me!.lid ?? '');
    await this.#upsertMessage(fullMessage, 'notify');
    return fullMessage;
  }

  /** Baileys' retry-receipt path: a recipient device asks for a message again; returns what `getMessage` gave. */
  async retryRequest(key: WAMessageKey): Promise<proto.IMessage | undefined> {
    return this.options.getMessage(key);
  }

  #connect(): void {
    if (this.#closed) return;
    const { creds } = this.options.auth;
    if (creds.me?.id) {
      // socket.js buffers events of a registered account until the offline backlog is handled.
      this.ev.buffer();
      this.#didBuffer = true;
    }
    this.ev.emit('connection.update', { connection: 'connecting', receivedPendingNotifications: false, qr: undefined });
    this.#later(this.server.timings.connectMs, async () => {
      await this.server.recorded(this);
      if (this.#closed) return;
      if (!this.server.reachable()) return void this.end(unreachable());
      // socket.js: `<failure reason="405">` for an outdated client, before any QR or login.
      const version = this.options.version ?? BUILT_IN_WA_VERSION;
      if (isNewer(this.server.minVersion(), version)) {
        return void this.end(
          new Boom('Connection Failure', {
            statusCode: OUTDATED_CLIENT,
            data: { reason: String(OUTDATED_CLIENT), location: 'cln' },
          }),
        );
      }
      // Baileys logs in whenever `me` is set; a companion that asked for a pairing code and was
      // never linked has `me` without `account`, which WhatsApp answers like a new one (a QR).
      if (!creds.me?.id || !creds.account) return this.#showQr();
      if (!this.server.acceptsLogin(creds.me.id)) {
        // What WhatsApp answers a device the phone removed: a stream failure with reason 401.
        return void this.end(
          new Boom('Connection Failure', { statusCode: DisconnectReason.loggedOut, data: { reason: '401' } }),
        );
      }
      void this.#login();
    });
  }

  #showQr(): void {
    const { timings } = this.server;
    const { creds } = this.options.auth;
    this.#qr = {
      refs: Array.from({ length: timings.qrRefs }, (_, i) => stableMessageId(this.socketId, 'ref', String(i))),
    };
    let lifetime = timings.firstQrMs;
    const next = () => {
      if (this.#closed || !this.#qr) return;
      const ref = this.#qr.refs.shift();
      if (!ref) return void this.end(new Boom('QR refs attempts ended', { statusCode: DisconnectReason.timedOut }));
      const qr = buildPairingQRData(
        ref,
        Buffer.from(creds.noiseKey.public).toString('base64'),
        Buffer.from(creds.signedIdentityKey.public).toString('base64'),
        creds.advSecretKey,
        BROWSER,
      );
      this.ev.emit('connection.update', { qr });
      this.#qr.timer = this.#later(lifetime, next);
      lifetime = timings.nextQrMs;
    };
    next();
  }

  async #login(): Promise<void> {
    const { creds } = this.options.auth;
    const { phone, timings } = this.server;
    this.#isOpen = true;
    this.ev.emit('creds.update', { me: { ...creds.me!, lid: `${phone.identity.lid}:${phone.identity.device}@lid` } });
    this.ev.emit('connection.update', { connection: 'open' });
    this.server.opened(this);
    // socket.js stores the account's own LID mapping and device list after login.
    try {
      await this.signalRepository.lidMapping.storeLIDPNMappings([{ lid: phone.meLid, pn: phone.meJid }]);
      await this.#keys.set({ 'device-list': { [phone.identity.pn]: [String(phone.identity.device)] } });
    } catch (err) {
      this.options.logger.warn({ err }, 'simulated login: storing own LID mapping failed');
    }
    // The offline backlog: on the first login after pairing, the phone's history notifications.
    if (!creds.accountSyncCounter) {
      const fullSync = this.options.syncFullHistory;
      for (const history of phone.pairingHistory(fullSync)) {
        await delay(timings.historyChunkMs);
        if (this.#closed) return;
        await this.#deliverHistory(history, undefined, 'append');
      }
    }
    if (this.#closed) return;
    if (this.#didBuffer) this.ev.flush();
    this.ev.emit('connection.update', { receivedPendingNotifications: true });
    if (!creds.accountSyncCounter) this.ev.emit('creds.update', { accountSyncCounter: 1 });
  }

  /** The phone sends a history payload now (e.g. old media for tests of lazy fetching). */
  receiveHistory(history: proto.IHistorySync): Promise<void> {
    this.#assertOpen();
    return this.#deliverHistory(history);
  }

  async #deliverHistory(history: proto.IHistorySync, requestId?: string, type: MessageUpsertType = 'notify') {
    if (this.#closed) return;
    const { creds } = this.options.auth;
    const notification: proto.Message.IHistorySyncNotification = {
      syncType: history.syncType,
      chunkOrder: history.chunkOrder,
      progress: history.progress,
      // Inline payload: Baileys inflates and decodes it exactly like a downloaded blob.
      initialHistBootstrapInlinePayload: deflateSync(proto.HistorySync.encode(history).finish()),
      ...(requestId ? { peerDataRequestSessionId: requestId } : {}),
    };
    const msg: WAMessage = {
      key: {
        remoteJid: jidNormalizedUser(creds.me!.id),
        fromMe: true,
        id: stableMessageId(
          this.socketId,
          'hist',
          String(history.syncType),
          String(history.chunkOrder),
          requestId ?? '',
        ),
      },
      messageTimestamp: Math.floor(Date.now() / 1000),
      message: {
        protocolMessage: {
          type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION,
          historySyncNotification: notification,
        },
      },
    };
    try {
      await this.#upsertMessage(msg, type);
    } catch (err) {
      if (!this.#closed) this.options.logger.error({ err }, 'simulated history delivery failed');
    }
  }

  /**
   * `messaging-history.status` as chats.js `upsertMessage` emits it, before the notification is
   * processed (the event is not bufferable, so it can arrive before its `messaging-history.set`):
   * INITIAL_BOOTSTRAP complete on arrival, RECENT complete with progress 100. Baileys' `paused`
   * (no RECENT chunk for 120 s) cannot happen here: the phone always sends RECENT to 100.
   */
  #historyMilestone({ syncType, progress }: proto.Message.IHistorySyncNotification): void {
    const { INITIAL_BOOTSTRAP, RECENT } = proto.HistorySync.HistorySyncType;
    const done = this.#historyComplete;
    if (syncType === INITIAL_BOOTSTRAP && !done.initialBootstrap) {
      done.initialBootstrap = true;
      this.ev.emit('messaging-history.status', { syncType: INITIAL_BOOTSTRAP, status: 'complete', explicit: true });
    }
    if (syncType === RECENT && progress === 100 && !done.recent) {
      done.recent = true;
      this.ev.emit('messaging-history.status', { syncType: RECENT, status: 'complete', explicit: true });
    }
  }

  /** The recipient's devices acknowledge, then read (messages-recv.js handleReceipt shapes). */
  #scheduleReceipts(key: WAMessageKey): void {
    const { receiptMs } = this.server.timings;
    const jid = key.remoteJid!;
    const group = isJidGroup(jid) ? this.server.phone.chat(jid) : undefined;
    for (const [i, type] of [undefined, 'read'].entries()) {
      this.#later(receiptMs * (i + 1), () => {
        if (this.#closed) return;
        const status = getStatusFromReceiptType(type)!;
        const t = Math.floor(Date.now() / 1000);
        if (group) {
          const field = status === proto.WebMessageInfo.Status.DELIVERY_ACK ? 'receiptTimestamp' : 'readTimestamp';
          this.ev.emit(
            'message-receipt.update',
            group.members.map((m) => ({
              key: { remoteJid: jid, id: key.id, fromMe: true, participant: `${m.lid}@lid` },
              receipt: { userJid: jidNormalizedUser(`${m.lid}@lid`), [field]: t },
            })),
          );
        } else {
          this.ev.emit('messages.update', [
            {
              key: { remoteJid: jid, id: key.id, fromMe: true, participant: undefined },
              update: { status, messageTimestamp: t },
            },
          ]);
        }
      });
    }
  }

  #assertOpen(): void {
    // What Baileys throws when a stanza is sent on a closed connection.
    if (!this.isOpen) throw new Boom('Connection Closed', { statusCode: DisconnectReason.connectionClosed });
  }

  #later(ms: number, fn: () => void | Promise<void>): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void fn();
    }, ms);
    timer.unref();
    this.#timers.add(timer);
    return timer;
  }
}

/** The Boom socket.js makes from a `<stream:error>` node (`getErrorCodeFromStreamError`). */
export function streamError(attrs: Record<string, string>, children: BinaryNode[]): Boom {
  const node: BinaryNode = { tag: 'stream:error', attrs, content: children };
  const { reason, statusCode } = getErrorCodeFromStreamError(node);
  return new Boom(`Stream Errored (${reason})`, { statusCode, data: children[0] ?? node });
}

/** What socket.js `mapWebSocketError` makes of a refused connection (`getCodeFromWSError`: 408). */
function unreachable(): Boom {
  const error = Object.assign(new Error('connect ECONNREFUSED 157.240.0.53:443'), { code: 'ECONNREFUSED' });
  return new Boom(`WebSocket Error (${error.message})`, { statusCode: getCodeFromWSError(error), data: error });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

type Long = { toNumber(): number };
