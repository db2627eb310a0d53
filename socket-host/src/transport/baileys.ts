/**
 * The real transport: one `makeWASocket` per connection attempt (a closed Baileys socket cannot be
 * reused; reconnecting always means a new one).
 */
import { Browsers, makeWASocket } from '@whiskeysockets/baileys';
import type { ConnectOptions, WhatsAppSocket, WhatsAppTransport } from './types.ts';

export const baileysTransport: WhatsAppTransport = {
  kind: 'baileys',
  connect(options: ConnectOptions): WhatsAppSocket {
    return makeWASocket({
      auth: options.auth,
      logger: options.logger,
      syncFullHistory: options.syncFullHistory,
      shouldSyncHistoryMessage: options.shouldSyncHistoryMessage,
      getMessage: options.getMessage,
      // `requireFullSync` only takes effect for a desktop browser description (validate-connection).
      browser: Browsers.macOS('Desktop'),
      // Stay "offline" so the phone keeps showing notifications: this host mirrors, it is no client.
      markOnlineOnConnect: false,
    });
  },
};
