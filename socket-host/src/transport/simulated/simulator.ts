/**
 * Simulated WhatsApp (`WHATSAPP_TRANSPORT=simulated`): the server side of every simulated socket
 * in this process, one simulated phone per account, and the controls tests and demos use.
 *
 * Deterministic from its seed: identities, contacts, history and live message ids/texts depend only
 * on (seed, accountId) and the order of requests. Like WhatsApp, it lets one connection per
 * account live: when a second one logs in, the older gets `Stream Errored (conflict)` (440). It
 * counts sockets per account — live now, the most ever live at once, opened in total — so tests
 * can prove there were never two; a `SocketLedger` makes the same lifetimes visible across
 * processes.
 */
import { Boom } from '@hapi/boom';
import { DisconnectReason, proto, type WAMessage, type WAVersion } from '@whiskeysockets/baileys';
import { createLogger } from '../../log.ts';
import type { ConnectOptions, WhatsAppSocket, WhatsAppTransport } from '../types.ts';
import { BUILT_IN_WA_VERSION, OUTDATED_CLIENT } from '../wa-version.ts';
import { AppStateServer } from './app-state.ts';
import { deterministicBytes } from './inbox.ts';
import type { SocketLedger } from './ledger.ts';
import { LIVE_KINDS, type LiveKind, liveEvent } from './live-events.ts';
import type { PublishMediaInput, SimulatedMediaServer } from './media.ts';
import { type PhoneOptions, SimulatedPhone } from './phone.ts';
import { stableMessageId } from './random.ts';
import {
  DEFAULT_TIMINGS,
  type SimulatedServerLink,
  SimulatedSocket,
  type SimulatedTimings,
  streamError,
} from './socket.ts';
import { SimulatedTraffic } from './traffic.ts';
import { AccountWire } from './wire.ts';

export interface SimulatorOptions {
  seed?: string;
  /** Scan the QR this long after it first shows; false: only `pair()` pairs (tests of QR expiry). */
  autoPairAfterMs?: number | false;
  timings?: Partial<SimulatedTimings>;
  phone?: PhoneOptions;
  /** Records socket lifetimes for cross-process checks. */
  ledger?: SocketLedger;
  /** Written into ledger records. */
  hostId?: string;
  /** Failures of the ledger are reported here (a ledger must never break a socket). */
  onLedgerError?: (err: unknown) => void;
  /** Where the phones' media lives (`receiveMedia`, re-uploads); without it there is no media. */
  media?: SimulatedMediaServer;
  /** Live events per minute per account (traffic.ts); 0 or absent: only what tests ask for. */
  trafficPerMinute?: number;
  /** Failures of generated traffic are reported here. */
  onTrafficError?: (err: unknown, accountId: string) => void;
  /**
   * The current WhatsApp Web version: what the transport's `latestVersion` answers, and the oldest
   * a socket may announce (older: a 405 failure, as WhatsApp refuses an outdated client). Default:
   * Baileys' built-in version.
   */
  version?: WAVersion;
}

export interface SocketCounters {
  /** Sockets of the account alive right now (created and not ended). */
  live: number;
  /** The most that were ever alive at the same time. */
  maxLive: number;
  /** Sockets created in total. */
  opened: number;
  /** Sockets WhatsApp closed because a newer one logged in (440). */
  replaced: number;
}

/** A disconnect reason the simulator can produce on demand. */
export type SimulatedDisconnect = 401 | 402 | 403 | 405 | 406 | 408 | 411 | 428 | 440 | 500 | 503 | 515 | 'qr-timeout';

interface AccountState {
  phone: SimulatedPhone;
  sockets: Set<SimulatedSocket>;
  counters: SocketCounters;
  /** Device JIDs the phone has linked; a login with another one is refused (401). */
  linkedDevices: Set<string> | undefined;
  liveCount: number;
  /** Pending ledger writes of sockets that have not reached the server yet. */
  recorded: WeakMap<SimulatedSocket, Promise<void>>;
  /** WhatsApp's side: the companion's key bundle, the sending devices, the offline backlog. */
  wire: AccountWire;
}

/** The simulated server's own devices log nothing (their failures surface on the companion). */
const SILENT = createLogger('silent');

export class SimulatedWhatsApp {
  readonly seed: string;
  readonly timings: SimulatedTimings;
  readonly #accounts = new Map<string, AccountState>();
  #socketSeq = 0;
  #mediaSeq = 0;
  readonly traffic: SimulatedTraffic;
  #version: WAVersion;
  /** Until when WhatsApp is unreachable (`outage`). */
  #outageUntil = 0;

  constructor(private readonly options: SimulatorOptions = {}) {
    this.seed = options.seed ?? 'wasync-simulated';
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.traffic = new SimulatedTraffic(options.trafficPerMinute ?? 0, {
      live: async (accountId) => {
        if (!this.socket(accountId)?.isOpen) return false;
        await this.live(accountId);
        return true;
      },
      keep: (accountId) => void this.receiveOffline(accountId, 1),
      onError: (err, accountId) => options.onTrafficError?.(err, accountId),
    });
    this.#version = [...(options.version ?? BUILT_IN_WA_VERSION)];
  }

  /** The current WhatsApp Web version (see `SimulatorOptions.version`). */
  get version(): WAVersion {
    return [...this.#version];
  }

  /** WhatsApp Web ships a new version: from now on, connects announcing an older one are refused (405). */
  release(version: WAVersion): void {
    this.#version = [...version];
  }

  /** The transport the host uses: each `connect` is a new simulated `makeWASocket`. */
  transport(): WhatsAppTransport {
    const media = this.options.media;
    return {
      kind: 'simulated',
      connect: (options) => this.connect(options),
      latestVersion: async () => ({ version: this.version, isLatest: true }),
      ...(media && { mediaDownloadOptions: media.downloadOptions() }),
    };
  }

  connect(options: ConnectOptions): WhatsAppSocket {
    const account = this.#account(options.accountId);
    const socketId = `${process.pid}-${++this.#socketSeq}`;
    const socket = new SimulatedSocket(socketId, options, this.#link(account));
    this.traffic.start(options.accountId);
    account.sockets.add(socket);
    account.counters.opened++;
    account.counters.live = account.sockets.size;
    account.counters.maxLive = Math.max(account.counters.maxLive, account.sockets.size);
    account.recorded.set(socket, this.#record('opened', socket, null));
    const { autoPairAfterMs } = this.options;
    if (autoPairAfterMs !== false && !options.auth.creds.me?.id) {
      const timer = setTimeout(() => socket.pair(), this.timings.connectMs + (autoPairAfterMs ?? 2_000));
      timer.unref();
      socket.ev.on('connection.update', (u) => u.connection === 'close' && clearTimeout(timer));
    }
    return socket;
  }

  phone(accountId: string): SimulatedPhone {
    return this.#account(accountId).phone;
  }

  counters(accountId: string): SocketCounters {
    return { ...this.#account(accountId).counters };
  }

  /** Counters of every account this simulator has seen. */
  allCounters(): Record<string, SocketCounters> {
    return Object.fromEntries([...this.#accounts].map(([id, a]) => [id, { ...a.counters }]));
  }

  /** The account's live socket, if any. */
  socket(accountId: string): SimulatedSocket | undefined {
    const sockets = [...this.#account(accountId).sockets];
    return sockets[sockets.length - 1];
  }

  /** Scans the QR of the account's connecting socket. */
  pair(accountId: string): void {
    this.#require(accountId).pair();
  }

  /**
   * The account writes from its phone (its other device); resolves with the message as Baileys
   * upserted it (`fromMe`). Its recipients' receipts follow.
   */
  async sendFromPhone(accountId: string) {
    const account = this.#account(accountId);
    const socket = this.#require(accountId);
    const envelope = account.phone.fromPhoneEnvelope(++account.liveCount, Math.floor(Date.now() / 1000));
    const msg = await socket.deliver(envelope);
    if (!msg) throw new Error(`message from the phone ${envelope.attrs.id} was not upserted`);
    socket.receipts.sent(msg.key.remoteJid!, msg.key.id!);
    return msg;
  }

  /** A contact writes to the account; resolves with the message as Baileys upserted it. */
  receive(accountId: string) {
    return this.#require(accountId).receive();
  }

  /** A contact posts a status update; undefined when the socket ignores `status@broadcast`. */
  receiveStatus(accountId: string) {
    return this.#require(accountId).receiveStatus();
  }

  /** A contact sends media: the phone publishes the file (`media`), then the message arrives live. */
  async receiveMedia(accountId: string, input: PublishMediaInput) {
    const content = await this.#media().publish(input);
    return this.#require(accountId).receive(undefined, content);
  }

  /**
   * Old media arrives as history (a RECENT payload with one message from a contact's chat): what a
   * pairing or an ON_DEMAND answer brings, fetched lazily. Resolves with the message as sent.
   */
  async receiveHistoryMedia(accountId: string, input: PublishMediaInput): Promise<proto.IWebMessageInfo> {
    const content = await this.#media().publish(input);
    const phone = this.phone(accountId);
    const chat = phone.chats.find((c) => c.kind === 'dm')!;
    const base = phone.historyMessage(chat, 0);
    const message: proto.IWebMessageInfo = {
      ...base,
      key: { ...base.key, fromMe: false, id: stableMessageId(this.seed, 'history-media', String(++this.#mediaSeq)) },
      message: content,
    };
    delete message.status;
    delete message.userReceipt;
    await this.#require(accountId).receiveHistory({
      syncType: proto.HistorySync.HistorySyncType.RECENT,
      chunkOrder: 1_000 + this.#mediaSeq,
      progress: 100,
      conversations: [{ id: chat.jid, messages: [{ message, msgOrderId: 1 }] }],
    });
    return message;
  }

  /** The account's side of WhatsApp (key bundle, sending devices, offline backlog): tests look at it. */
  wire(accountId: string): AccountWire {
    return this.#account(accountId).wire;
  }

  /**
   * Contacts write while the account has no open connection: WhatsApp keeps `count` messages and
   * delivers them at the next login, before `receivedPendingNotifications` (as `append`).
   * Resolves with the envelopes kept.
   */
  receiveOffline(accountId: string, count = 1) {
    const account = this.#account(accountId);
    const now = Math.floor(Date.now() / 1000);
    return Array.from({ length: count }, () => {
      const envelope = account.phone.liveEnvelope(++account.liveCount, now);
      account.wire.queue(envelope);
      return envelope;
    });
  }

  /** The account changes a chat setting on its phone (archive, mute): the companion resyncs that collection. */
  async changeAppState(accountId: string): Promise<void> {
    const account = this.#account(accountId);
    const collection = await account.wire.appState.change(++account.liveCount);
    await this.#require(accountId).appStateChanged(collection);
  }

  /**
   * The account's next live event (live-events.ts): `kind`, or the next of LIVE_KINDS. Resolves
   * with what Baileys upserted (undefined for an event that upserts nothing).
   */
  async live(accountId: string, kind?: LiveKind): Promise<WAMessage | undefined> {
    const account = this.#account(accountId);
    const socket = this.#require(accountId);
    const n = ++account.liveCount;
    const chosen = kind ?? LIVE_KINDS[n % LIVE_KINDS.length]!;
    const media = this.options.media;
    const file = (type: 'image' | 'audio') =>
      media!.publish({ type, plaintext: deterministicBytes(4096, `${accountId}\0${n}`) });
    const published = {
      ...(chosen === 'view-once' && media && { image: (await file('image')).imageMessage! }),
      ...(chosen === 'voice' && media && { audio: (await file('audio')).audioMessage! }),
    };
    const event = liveEvent(account.phone, chosen, n, Math.floor(Date.now() / 1000), published);
    if (!event) return undefined;
    if ('notification' in event) return socket.notify(event.notification);
    const msg = await socket.deliver(event.envelope);
    if (!msg?.key.id) return msg;
    // The other side acts on it: recipients acknowledge what the phone sent; the phone reads a
    // contact's message now and then.
    if (msg.key.fromMe) socket.receipts.sent(msg.key.remoteJid!, msg.key.id, !!msg.message?.audioMessage?.ptt);
    else if (n % 2 === 0 && chosen !== 'reaction' && chosen !== 'edit' && chosen !== 'revoke')
      socket.receipts.readOnPhone(msg.key.remoteJid!, msg.key.id);
    return msg;
  }

  #media(): SimulatedMediaServer {
    if (!this.options.media) throw new Error('this simulated WhatsApp has no media server');
    return this.options.media;
  }

  /** Ends the account's live socket the way WhatsApp would for `reason`. */
  disconnect(accountId: string, reason: SimulatedDisconnect): Promise<void> {
    const socket = this.#require(accountId);
    if (reason === 401) this.#account(accountId).linkedDevices = new Set();
    return socket.end(disconnectError(reason));
  }

  /**
   * WhatsApp unreachable for `ms`: every live socket drops as a lost connection (408), and every
   * connect until then fails the way a refused WebSocket does. Resolves when the outage is over.
   */
  async outage(ms: number): Promise<void> {
    this.#outageUntil = Date.now() + ms;
    const live = [...this.#accounts.values()].flatMap((a) => [...a.sockets]);
    await Promise.all(live.map((socket) => socket.end(disconnectError(408))));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, this.#outageUntil - Date.now())));
  }

  #account(accountId: string): AccountState {
    let account = this.#accounts.get(accountId);
    if (!account) {
      const phone = new SimulatedPhone(this.seed, accountId, this.options.phone);
      account = {
        phone,
        sockets: new Set(),
        counters: { live: 0, maxLive: 0, opened: 0, replaced: 0 },
        linkedDevices: undefined,
        liveCount: 0,
        recorded: new WeakMap(),
        wire: new AccountWire(
          SILENT,
          `${this.seed}\0${accountId}`,
          new AppStateServer(phone, `${this.seed}\0${accountId}`),
        ),
      };
      this.#accounts.set(accountId, account);
    }
    return account;
  }

  #require(accountId: string): SimulatedSocket {
    const socket = this.socket(accountId);
    if (!socket) throw new Error(`no live simulated socket for account ${accountId}`);
    return socket;
  }

  #link(account: AccountState): SimulatedServerLink {
    return {
      phone: account.phone,
      timings: this.timings,
      wire: account.wire,
      minVersion: () => this.#version,
      // Devices paired in another process are unknown here; accept them (creds are the proof).
      acceptsLogin: (deviceJid) => !account.linkedDevices || account.linkedDevices.has(deviceJid),
      linked: (deviceJid) => {
        account.linkedDevices = new Set([...(account.linkedDevices ?? []), deviceJid]);
      },
      unlinked: () => {
        account.linkedDevices = new Set();
      },
      opened: (socket) => {
        for (const other of account.sockets) {
          if (other === socket || other.isClosed) continue;
          account.counters.replaced++;
          void other.end(disconnectError(440));
        }
      },
      ended: (socket) => {
        account.sockets.delete(socket);
        account.counters.live = account.sockets.size;
        void this.#record('closed', socket, Date.now());
      },
      nextLive: () => ++account.liveCount,
      reachable: () => Date.now() >= this.#outageUntil,
      recorded: (socket) => account.recorded.get(socket) ?? Promise.resolve(),
      ...(this.options.media && { media: this.options.media }),
    };
  }

  #record(what: 'opened' | 'closed', socket: SimulatedSocket, closedAt: number | null): Promise<void> {
    const { ledger, hostId = 'unknown', onLedgerError } = this.options;
    if (!ledger) return Promise.resolve();
    const record = {
      accountId: socket.accountId,
      socketId: socket.socketId,
      hostId,
      pid: process.pid,
      openedAt: socket.openedAt,
      closedAt,
    };
    return ledger[what](record).catch((err) => onLedgerError?.(err));
  }
}

/** The Boom error a real socket ends with for `reason` (messages as lib/Socket/socket.js makes them). */
export function disconnectError(reason: SimulatedDisconnect): Boom {
  switch (reason) {
    case 402:
      return temporaryBanError(3_600, 101);
    case 440:
      return streamError({}, [{ tag: 'conflict', attrs: { type: 'replaced' } }]);
    case 515:
      return streamError({ code: '515' }, []);
    case 500:
      return streamError({}, [{ tag: 'xml-not-well-formed', attrs: {} }]);
    case 'qr-timeout':
      return new Boom('QR refs attempts ended', { statusCode: DisconnectReason.timedOut });
    case 408:
      return new Boom('Connection was lost', { statusCode: DisconnectReason.connectionLost });
    case 428:
      return new Boom('Connection Terminated', { statusCode: DisconnectReason.connectionClosed });
    case 411:
      return new Boom('Multi-device beta not joined', { statusCode: DisconnectReason.multideviceMismatch });
    case OUTDATED_CLIENT:
      return new Boom('Connection Failure', { statusCode: reason, data: { reason: String(reason), location: 'cln' } });
    default:
      // 401 / 403 / 406 / 503: `<failure reason=…>` from the server.
      return new Boom('Connection Failure', { statusCode: reason, data: { reason: String(reason) } });
  }
}

/** `<failure reason="402" code=… expire=…>`: banned for `expireS` seconds (socket.js keeps the attributes as data). */
export function temporaryBanError(expireS: number, code = 101): Boom {
  return new Boom('Connection Failure', {
    statusCode: 402,
    data: { reason: '402', code: String(code), expire: String(expireS) },
  });
}
