/**
 * The real transport: one `makeWASocket` per connection attempt (a closed Baileys socket cannot be
 * reused; reconnecting always means a new one).
 */
import { makeWASocket } from '@whiskeysockets/baileys';
import { BROWSER } from './browser.ts';
import type { ConnectOptions, WhatsAppSocket, WhatsAppTransport } from './types.ts';
import { type FetchLatestVersion, fetchWaWebVersion } from './wa-version.ts';

export interface BaileysTransportOptions {
  /** WhatsApp's WebSocket endpoint; only tests point it elsewhere (e.g. a closed local port). */
  waWebSocketUrl?: string;
  /** Where the current WhatsApp Web version comes from; only tests replace web.whatsapp.com. */
  latestVersion?: FetchLatestVersion;
}

export function makeBaileysTransport(options: BaileysTransportOptions = {}): WhatsAppTransport {
  return {
    kind: 'baileys',
    latestVersion: options.latestVersion ?? fetchWaWebVersion,
    connect(connect: ConnectOptions): WhatsAppSocket {
      const { accountId: _, auth, ...config } = connect;
      return makeWASocket({
        ...withoutUndefined(config),
        auth,
        browser: BROWSER,
        // Stay "offline" so the phone keeps showing notifications: this host mirrors, it is no client.
        markOnlineOnConnect: false,
        ...(options.waWebSocketUrl ? { waWebSocketUrl: options.waWebSocketUrl } : {}),
      });
    },
  };
}

/** An option left undefined must not replace Baileys' default (`makeWASocket` spreads the config). */
function withoutUndefined<T extends object>(config: T): Partial<T> {
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export const baileysTransport: WhatsAppTransport = makeBaileysTransport();
