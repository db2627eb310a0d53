/**
 * The part of a Baileys socket the host uses, and what creates one. The real transport returns
 * `makeWASocket(...)` itself; the simulated one returns a stand-in with the same shape that emits
 * through Baileys' own event buffer. Typed as a `Pick` of Baileys' socket type so the real socket
 * satisfies it by construction, and the simulator must match Baileys' signatures exactly.
 */
import type {
  AuthenticationState,
  MediaDownloadOptions,
  makeWASocket,
  proto,
  SocketConfig,
  WAMessageKey,
} from '@whiskeysockets/baileys';
import type { ILogger } from '@whiskeysockets/baileys/lib/Utils/logger.js';
import type { FetchLatestVersion } from './wa-version.ts';

export type BaileysSocket = ReturnType<typeof makeWASocket>;

export type WhatsAppSocket = Pick<
  BaileysSocket,
  | 'ev'
  | 'end'
  | 'registerSocketEndHandler'
  | 'logout'
  | 'sendMessage'
  | 'fetchMessageHistory'
  | 'requestPairingCode'
  | 'user'
  | 'signalRepository'
  | 'groupFetchAllParticipating'
  | 'groupMetadata'
  | 'updateMediaMessage'
>;

/**
 * Baileys options the host sets per account (absent: Baileys' defaults). The caches outlive one
 * socket: the account session makes them once and hands the same ones to every reconnect.
 */
type AccountSocketConfig = Partial<
  Pick<SocketConfig, 'version' | 'shouldIgnoreJid' | 'msgRetryCounterCache' | 'cachedGroupMetadata'>
>;

export interface ConnectOptions extends AccountSocketConfig {
  accountId: string;
  auth: AuthenticationState;
  /** A pino child logger for this account (Baileys' ILogger is pino-compatible). */
  logger: ILogger;
  /** Asks for the full history at pairing (`requireFullSync`); only matters when pairing. */
  syncFullHistory: boolean;
  shouldSyncHistoryMessage: (notification: proto.Message.IHistorySyncNotification) => boolean;
  getMessage: (key: WAMessageKey) => Promise<proto.IMessage | undefined>;
}

export interface WhatsAppTransport {
  readonly kind: 'baileys' | 'simulated';
  connect(options: ConnectOptions): WhatsAppSocket;
  /**
   * The third argument of Baileys' `downloadMediaMessage` for this transport's media: nothing for
   * WhatsApp itself; the simulated transport routes downloads to its loopback media server.
   */
  readonly mediaDownloadOptions?: MediaDownloadOptions;
  /**
   * Asks this transport's WhatsApp Web for its current version (wa-version.ts); absent (stand-ins
   * tests make), sockets announce Baileys' built-in version.
   */
  readonly latestVersion?: FetchLatestVersion;
}
