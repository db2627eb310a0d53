/**
 * The real transport: one `makeWASocket` per connection attempt (a closed Baileys socket cannot be
 * reused; reconnecting always means a new one).
 */
import { Browsers, makeWASocket } from '@whiskeysockets/baileys';
import type { ConnectOptions, WhatsAppSocket, WhatsAppTransport } from './types.ts';

export interface BaileysTransportOptions {
  /** WhatsApp's WebSocket endpoint; only tests point it elsewhere (e.g. a closed local port). */
  waWebSocketUrl?: string;
}

export function makeBaileysTransport(options: BaileysTransportOptions = {}): WhatsAppTransport {
  return {
    kind: 'baileys',
    connect(connect: ConnectOptions): WhatsAppSocket {
      return makeWASocket({
        auth: connect.auth,
        logger: connect.logger,
        syncFullHistory: connect.syncFullHistory,
        shouldSyncHistoryMessage: connect.shouldSyncHistoryMessage,
        getMessage: connect.getMessage,
        // `requireFullSync` only takes effect for a desktop browser description (validate-connection).
        browser: Browsers.macOS('Desktop'),
        // Stay "offline" so the phone keeps showing notifications: this host mirrors, it is no client.
        markOnlineOnConnect: false,
        ...(options.waWebSocketUrl ? { waWebSocketUrl: options.waWebSocketUrl } : {}),
      });
    },
  };
}

export const baileysTransport: WhatsAppTransport = makeBaileysTransport();
