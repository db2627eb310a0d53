/** What a simulated socket gets from the simulated server it belongs to, and the server's timings. */
import type { WAVersion } from '@whiskeysockets/baileys';
import type { SimulatedMediaServer } from './media.ts';
import type { SimulatedPhone } from './phone.ts';
import type { SimulatedSocket } from './socket.ts';
import type { AccountWire } from './wire.ts';

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
  /** The account's side of WhatsApp: key bundle, sending devices, offline backlog. */
  readonly wire: AccountWire;
  /** The server accepted a login with these creds (false after the phone unlinked the device). */
  acceptsLogin(deviceJid: string): boolean;
  /** The phone linked this companion (a scan or pairing code): remember it. */
  linked(deviceJid: string): void;
  /** The device logged out: forget it. */
  unlinked(): void;
  /** The oldest WhatsApp Web version the server accepts; older clients get a 405 failure. */
  minVersion(): WAVersion;
  /** False while WhatsApp is unreachable (`SimulatedWhatsApp.outage`). */
  reachable(): boolean;
  /** The socket reached `open`: WhatsApp replaces any other connection of this account (440). */
  opened(socket: SimulatedSocket): void;
  ended(socket: SimulatedSocket): void;
  /** The next live message number of this account (ids and texts are derived from it). */
  nextLive(): number;
  /** Resolves once the socket's lifetime is on record (the ledger): only then may it reach the server. */
  recorded(socket: SimulatedSocket): Promise<void>;
  /** The phone's media (files it sent, re-uploads); absent: media requests fail as for a phone without the file. */
  readonly media?: SimulatedMediaServer;
}
