/**
 * What the command executor may do to an account's connection, behind one narrow interface.
 *
 * MERGE NOTE (issue 14): the socket host's part two gives the session its own pairing API (a
 * pairing code requested at the right moment, QR refs not ending the attempt, `logout()`); at the
 * merge, `sessionControl` below is replaced by an adapter onto that API and nothing else in
 * `commands/` changes. What it does today, on the session as it is:
 * - `pair({ phoneNumber })`: waits until the current socket shows a QR (it reached WhatsApp and
 *   waits to be linked), then `requestPairingCode(phoneNumber)` on it;
 * - `pair({})` (QR): a socket whose QR came before the request is ended with `restartRequired`
 *   (515), which the session answers with a new socket and so a fresh QR;
 * - `logout()`: Baileys' `logout()` on the live socket; the socket closes with 401, and the
 *   session's reaction to 401 wipes the auth state (bumping `pairingGeneration`) and parks the
 *   account `logged_out` (no reconnect).
 */
import { Boom } from '@hapi/boom';
import { DisconnectReason } from '@whiskeysockets/baileys';
import type { AccountContext } from '../pipeline/consumer.ts';
import type { WhatsAppSocket } from '../transport/types.ts';
import type { ConnectionWatch } from './connection-watch.ts';

/** The socket calls the executor makes itself. */
export type CommandSocket = Pick<WhatsAppSocket, 'sendMessage' | 'fetchMessageHistory'>;

export interface PairRequest {
  /** E.164 digits without `+`: pair by code; absent: by QR. */
  phoneNumber?: string;
  /** When the pairing was asked for: a QR shown before it is not "fresh". */
  requestedAt: number;
}

export interface AccountControl {
  /** The socket, while one is open (sends, history requests); undefined otherwise. */
  openSocket(): CommandSocket | undefined;
  /** Whether the account is linked to a phone (creds carry an identity). */
  isPaired(): boolean;
  /** Starts a pairing: the code to type on the phone for `phoneNumber`, nothing for a QR. */
  pair(request: PairRequest): Promise<{ pairingCode?: string }>;
  /** Unlinks the device: the auth state is wiped and the account parked `logged_out`. */
  logout(): Promise<void>;
}

/** Not supported by the session in its current state (the command fails with this code). */
export class ControlError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** How long `pair` waits for the socket to reach WhatsApp before giving up. */
const SOCKET_READY_MS = 60_000;

export function sessionControl(context: AccountContext, watch: ConnectionWatch): AccountControl {
  const live = () => context.socket();
  return {
    openSocket: () => (watch.isOpen ? live() : undefined),
    isPaired: () => context.me() !== undefined && watch.isOpen,
    async pair({ phoneNumber, requestedAt }) {
      if (watch.isOpen) throw new ControlError('failed_precondition', 'the account is linked already; log out first');
      if (phoneNumber === undefined) {
        const shownAt = watch.qrShownAt;
        // A QR from before the request may be about to expire: a new socket starts a new series.
        if (shownAt !== undefined && shownAt < requestedAt) {
          await live()?.end(new Boom('fresh QR requested', { statusCode: DisconnectReason.restartRequired }));
        }
        return {};
      }
      await withDeadline(watch.whenQrShown(), SOCKET_READY_MS, 'the socket did not reach WhatsApp in time');
      const socket = live();
      if (!socket || watch.closed) throw new ControlError('unavailable', 'the account has no socket now');
      return { pairingCode: await socket.requestPairingCode(phoneNumber) };
    },
    async logout() {
      const socket = live();
      if (!socket || !watch.isOpen) throw new ControlError('unavailable', 'the account has no open socket');
      await socket.logout();
    },
  };
}

function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ControlError('unavailable', message)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
