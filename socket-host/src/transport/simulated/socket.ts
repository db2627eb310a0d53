/**
 * One simulated connection: the stand-in for `makeWASocket` that the simulated transport returns —
 * its lifecycle (connect, QR pairing, login, close) and its requests. What arrives on it is read
 * by inbound.ts (messages, receipts, group notifications, ported from messages-recv.js); history
 * notifications are built by history-delivery.ts; receipts are scheduled server-side (receipts.ts).
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
 * - login (socket.js `CB:success`): the pre-key upload when the server holds too few
 *   (`getNextPreKeysNode` in a key transaction, 812 at first login), `creds.update {me.lid}`,
 *   `open`, own LID mapping stored through Baileys' signal repository, then the offline backlog:
 *   the phone's history notifications at first login and every message that arrived while no
 *   connection was open, delivered as `append`, then `receivedPendingNotifications`;
 * - history: inline-payload HISTORY_SYNC_NOTIFICATION messages upserted and processed by Baileys'
 *   `processMessage` (→ `downloadAndProcessHistorySyncNotification`, `messaging-history.set`,
 *   `creds.update {processedHistoryMessages}`, tc tokens), filtered by the host's
 *   `shouldSyncHistoryMessage` and Baileys' PROCESSABLE_HISTORY_TYPES like the real socket, with
 *   chats.js' `messaging-history.status` milestones;
 * - live messages: encrypted by their sender's device for this companion (peer-device.ts) and
 *   decrypted with `decryptMessageNode` through the socket's signal repository, so every message
 *   writes session keys through the host's key store; `sendMessage` builds with
 *   `generateWAMessage`, upserts as `append`, then receipt stanzas come back;
 * - `fetchMessageHistory` answers with an ON_DEMAND notification carrying the request id as
 *   `peerDataRequestSessionId`;
 * - disconnects are Boom errors made the way socket.js makes them (stream errors through
 *   `getErrorCodeFromStreamError`, `Connection Failure` with the failure reason, …).
 */
import { Boom } from '@hapi/boom';
import {
  ALL_WA_PATCH_NAMES,
  type AnyMessageContent,
  addTransactionCapability,
  assertNodeErrorFree,
  type BinaryNode,
  buildPairingQRData,
  configureSuccessfulPairing,
  DisconnectReason,
  type GroupMetadata,
  generateWAMessage,
  getCodeFromWSError,
  getErrorCodeFromStreamError,
  isJidGroup,
  type MessageUpsertType,
  type MiscMessageGenerationOptions,
  makeEventBuffer,
  type proto,
  type WAMessage,
  type WAMessageKey,
  type WAPatchName,
} from '@whiskeysockets/baileys';
import { makeLibSignalRepository } from '@whiskeysockets/baileys/lib/Signal/libsignal.js';
import { extractGroupMetadata } from '@whiskeysockets/baileys/lib/Socket/groups.js';
import { BROWSER } from '../browser.ts';
import type { ConnectOptions, WhatsAppSocket } from '../types.ts';
import { BUILT_IN_WA_VERSION, isNewer, OUTDATED_CLIENT } from '../wa-version.ts';
import { makeAppStateResync } from './app-state.ts';
import { historyNotification } from './history-delivery.ts';
import { InboundStanzas } from './inbound.ts';
import { onDemandLedger } from './on-demand.ts';
import { pairSuccessStanza } from './pairing.ts';
import { uploadPreKeysIfRequired } from './prekey-upload.ts';
import { stableMessageId } from './random.ts';
import { ReceiptScheduler } from './receipts.ts';
import type { SimulatedServerLink } from './server-link.ts';
import { makeUpsertMessage } from './upsert.ts';
import type { Companion, Envelope } from './wire.ts';

export { DEFAULT_TIMINGS, type SimulatedServerLink, type SimulatedTimings } from './server-link.ts';

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
  readonly #keys;
  readonly signalRepository;
  readonly #upsertMessage: (msg: WAMessage, type: MessageUpsertType) => Promise<void>;
  readonly #inbound: InboundStanzas;
  readonly #receipts: ReceiptScheduler;
  readonly #resyncAppState: ReturnType<typeof makeAppStateResync>;

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
    this.#upsertMessage = makeUpsertMessage({
      ev: this.ev,
      creds: auth.creds,
      keys: this.#keys,
      signalRepository: this.signalRepository,
      logger,
      options,
    });
    this.#inbound = new InboundStanzas({
      creds: auth.creds,
      keys: this.#keys,
      signalRepository: this.signalRepository,
      ev: this.ev,
      logger,
      upsertMessage: this.#upsertMessage,
      send: (node) => this.#toServer(node),
      ...(options.shouldIgnoreJid && { shouldIgnoreJid: options.shouldIgnoreJid }),
    });
    this.#receipts = new ReceiptScheduler(
      server.phone,
      server.timings.receiptMs,
      (ms, fn) => this.#later(ms, fn),
      (node) => !this.#closed && this.#inbound.receipt(node),
    );
    this.#resyncAppState = makeAppStateResync({
      ev: this.ev,
      keys: this.#keys,
      creds: auth.creds,
      logger,
      server: server.wire.appState,
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
    // messages-send.js `relayMessage`: a group's participants come from its `w:g2` query (no cache).
    if (isJidGroup(jid)) await this.groupMetadata(jid);
    const me = this.options.auth.creds.me!;
    const msg = await generateWAMessage(jid, content, {
      ...options,
      userJid: me.id,
      logger: this.options.logger,
      messageId: options.messageId ?? stableMessageId(this.socketId, 'send', String(this.server.nextLive())),
      upload: () => Promise.reject(new Boom('the simulated transport has no media upload', { statusCode: 400 })),
    });
    await this.#upsertMessage(msg, 'append');
    this.#receipts.sent(jid, msg.key.id!);
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
    // WhatsApp's answer, through socket.js `query`'s check: an error for a group the account is not in.
    const answer: BinaryNode = node
      ? { tag: 'iq', attrs: { type: 'result' }, content: [node] }
      : iqError(404, 'item-not-found');
    assertNodeErrorFree(answer);
    return extractGroupMetadata(answer);
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
   * given, is what it carries instead of the text (media the phone published). Resolves with the
   * message as Baileys upserted it.
   */
  async receive(n = this.server.nextLive(), content?: proto.IMessage): Promise<WAMessage> {
    const envelope = this.server.phone.liveEnvelope(n, Math.floor(Date.now() / 1000));
    if (content) envelope.message = content;
    const msg = await this.deliver(envelope);
    if (!msg) throw new Error(`simulated message ${envelope.attrs.id} was not upserted`);
    return msg;
  }

  /**
   * WhatsApp pushes `envelope` to this connection: its sender encrypts it for this companion, the
   * socket decrypts and upserts it (inbound.ts). Resolves with what was upserted.
   */
  async deliver(envelope: Envelope): Promise<WAMessage | undefined> {
    this.#assertOpen();
    const node = await this.server.wire.seal(envelope, this.#companion());
    return this.#inbound.message(node);
  }

  /** A `<notification>` (group changes) reaches this connection. */
  notify(node: BinaryNode): Promise<WAMessage | undefined> {
    this.#assertOpen();
    return this.#inbound.groupNotification(node);
  }

  /**
   * A contact posts a status update (`status@broadcast`, the sender as participant, sender keys);
   * undefined when the socket ignores the JID (`shouldIgnoreJid`), as messages-recv.js drops it unread.
   */
  async receiveStatus(n = this.server.nextLive()): Promise<WAMessage | undefined> {
    const envelope = this.server.phone.liveEnvelope(n, Math.floor(Date.now() / 1000));
    const { from, sender_pn, participant, participant_pn, ...attrs } = envelope.attrs;
    envelope.attrs = {
      ...attrs,
      from: 'status@broadcast',
      participant: participant ?? from!,
      participant_pn: participant_pn ?? sender_pn!,
    };
    return this.deliver({ ...envelope, group: 'status@broadcast' });
  }

  /** Receipts for a message the account sent from its phone, and `read-self` for ones it read there. */
  get receipts(): ReceiptScheduler {
    return this.#receipts;
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
    await uploadPreKeysIfRequired(
      { creds, keys: this.#keys, ev: this.ev, logger: this.options.logger, isOpen: () => !this.#closed },
      this.server.wire.preKeys,
    );
    if (this.#closed) return;
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
    // The offline backlog: on the first login after pairing, the phone's history notifications;
    // then whatever arrived while the account had no open connection.
    const firstSync = !creds.accountSyncCounter;
    if (firstSync) {
      await this.#deliverKeyShare();
      const fullSync = this.options.syncFullHistory;
      for (const history of phone.pairingHistory(fullSync)) {
        await delay(timings.historyChunkMs);
        if (this.#closed) return;
        await this.#deliverHistory(history, undefined, 'append');
      }
    }
    await this.#deliverOfflineBacklog();
    // chats.js `doAppStateSync`: every collection, as an initial sync, before the buffer is flushed.
    if (firstSync && !this.#closed) await this.#appStateSync(ALL_WA_PATCH_NAMES, true);
    if (this.#closed) return;
    if (this.#didBuffer) this.ev.flush();
    this.ev.emit('connection.update', { receivedPendingNotifications: true });
    if (!creds.accountSyncCounter) this.ev.emit('creds.update', { accountSyncCounter: 1 });
  }

  /** The phone shares its app-state sync key (a peer message, in the offline backlog of the first login). */
  async #deliverKeyShare(): Promise<void> {
    const envelope = this.server.wire.appState.keyShareEnvelope(Math.floor(Date.now() / 1000));
    try {
      const node = await this.server.wire.seal(envelope, this.#companion());
      await this.#inbound.message({ ...node, attrs: { ...node.attrs, offline: '1' } });
    } catch (err) {
      this.options.logger.error({ err }, 'simulated app-state key share not delivered');
    }
  }

  /** messages-recv.js `server_sync` notification: the phone changed `collection`; resync it. */
  appStateChanged(collection: WAPatchName): Promise<void> {
    this.#assertOpen();
    return this.#appStateSync([collection], false);
  }

  async #appStateSync(collections: readonly WAPatchName[], initial: boolean): Promise<void> {
    try {
      await this.#resyncAppState(collections, initial);
    } catch (err) {
      if (!this.#closed) this.options.logger.error({ err }, 'simulated app-state sync failed');
    }
  }

  /**
   * Messages WhatsApp kept while no connection was open, each stanza marked `offline`, oldest
   * first. One the socket could not handle (closed, a key write failed) stays for the next login,
   * as an unacknowledged stanza does.
   */
  async #deliverOfflineBacklog(): Promise<void> {
    const companion = this.#companion();
    for (let envelope = this.server.wire.nextOffline(); envelope; envelope = this.server.wire.nextOffline()) {
      if (this.#closed) return;
      try {
        await this.#inbound.message(await this.server.wire.seal(envelope, companion));
      } catch (err) {
        this.options.logger.error({ err, id: envelope.attrs.id }, 'simulated offline message not delivered');
        return;
      }
      if (this.#closed) return;
      this.server.wire.ackOffline();
    }
  }

  /** A node from the companion to the server: the answer to a retry receipt comes back as a stanza. */
  async #toServer(node: BinaryNode): Promise<void> {
    if (node.tag !== 'receipt' || node.attrs.type !== 'retry') return;
    const companion = this.#companion();
    const again = await this.server.wire.retry(node, companion);
    // The sender's answer arrives after this stanza is handled (messages-recv.js runs it in a mutex).
    if (again) this.#later(0, () => void this.#inbound.message(again).catch(() => undefined));
  }

  #companion(): Companion {
    const { me } = this.options.auth.creds;
    const { phone } = this.server;
    return { deviceJid: me!.id, lidDeviceJid: me!.lid ?? `${phone.identity.lid}:${phone.identity.device}@lid` };
  }

  /** The phone sends a history payload now (e.g. old media for tests of lazy fetching). */
  receiveHistory(history: proto.IHistorySync): Promise<void> {
    this.#assertOpen();
    return this.#deliverHistory(history);
  }

  async #deliverHistory(history: proto.IHistorySync, requestId?: string, type: MessageUpsertType = 'notify') {
    if (this.#closed) return;
    const msg = historyNotification(history, this.options.auth.creds.me!.id, this.socketId, requestId);
    try {
      await this.#upsertMessage(msg, type);
    } catch (err) {
      if (!this.#closed) this.options.logger.error({ err }, 'simulated history delivery failed');
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

/** An `<iq type="error">` answer: `query` throws it as a Boom whose `data` is WhatsApp's code. */
function iqError(code: number, text: string): BinaryNode {
  return { tag: 'iq', attrs: { type: 'error' }, content: [{ tag: 'error', attrs: { code: String(code), text } }] };
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
