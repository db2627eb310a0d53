/**
 * What others may ask of an account's session besides stopping it: pair (by QR or by a code typed
 * on the phone) and log out. Facts from Baileys 7.0.0-rc14 the session builds on:
 *
 * - A socket that is not linked shows QR refs (socket.js `pair-device`): the first for 60 s, each
 *   later one for 20 s; when WhatsApp's refs (six) run out, Baileys ends the socket with 408
 *   `QR refs attempts ended` — 160 s after the first QR.
 * - `requestPairingCode` sends `companion_hello` on the socket (its WebSocket must be up: the
 *   first QR says it is) and sets `creds.me` to the bare phone number. The code works only while
 *   that socket lives: the phone's answer (`link_code_companion_reg` notification) comes on it.
 *   So a code requested on a socket late in its QR series would die early, with the series. The
 *   session requests codes on a socket whose series has just begun (renewing an older one), which
 *   gives every code the whole series; `QR refs attempts ended` on a code's socket is then the
 *   end of the code's validity, and the session parks `closed` (`pairing_code_expired:`) as for
 *   an unscanned QR.
 * - A socket that closes before the phone confirmed leaves `creds.me` set without `account`, and
 *   Baileys logs in (not registers) whenever `creds.me` is set; the session clears that `me`
 *   before the next socket, so it registers and shows a QR again.
 */
import type { AuthenticationCreds } from '@whiskeysockets/baileys';

export interface PairRequest {
  /** E.164 digits without `+`: pair by code; absent: by QR. */
  phoneNumber?: string;
  /** When the pairing was asked for: a QR series that began before it is not fresh. */
  requestedAt: number;
}

export interface PairResult {
  /** The code to type on the phone (pairing by code). */
  pairingCode?: string;
  /** The latest time the code can work: the end of its socket's QR series. */
  validUntil?: number;
}

export type SessionControlErrorCode =
  /** The account is linked already (log out first). */
  | 'linked'
  /** Logging out an account that is not linked. */
  | 'not_linked'
  /** No socket reached WhatsApp in time, or it closed meanwhile. */
  | 'not_connected'
  /** The session is stopping or ended: this host is letting the account go. */
  | 'stopped'
  | 'invalid_phone_number';

export class SessionControlError extends Error {
  constructor(
    readonly code: SessionControlErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SessionControlError';
  }
}

/** The session's pairing API, as the command executor sees it (commands/account-control.ts). */
export interface SessionControl {
  /** The account's auth state is linked to a phone. */
  readonly paired: boolean;
  /** Whether a socket is open now. */
  readonly isOpen: boolean;
  pair(request: PairRequest): Promise<PairResult>;
  /** Unlinks the device; resolves once WhatsApp was told (the socket then closes with 401). */
  logout(): Promise<void>;
}

/** Baileys' QR lifetimes (socket.js): 60 s for the first, 20 s for each later one; six refs. */
export const FIRST_QR_MS = 60_000;
export const NEXT_QR_MS = 20_000;
export const QR_SERIES_MS = FIRST_QR_MS + 5 * NEXT_QR_MS;

/**
 * A socket still on its first QR, shown at most this long ago, gives a code (almost) the whole
 * series; any other is renewed first.
 */
export const CODE_FRESH_MS = 10_000;

/** How long `pair` waits for a socket that shows a QR before giving up. */
export const PAIR_READY_MS = 60_000;

/** E.164 without `+`: a country code (no leading 0) and up to 15 digits in all. */
const PHONE_NUMBER = /^[1-9]\d{6,14}$/;

export function assertPhoneNumber(phoneNumber: string): void {
  if (!PHONE_NUMBER.test(phoneNumber)) {
    throw new SessionControlError(
      'invalid_phone_number',
      'the phone number must be 7 to 15 digits with the country code, without + or spaces',
    );
  }
}

/** Linked to a phone: pairing stored the signed device identity (`account`). */
export function isLinked(creds: AuthenticationCreds | undefined): boolean {
  return Boolean(creds?.me?.id && creds.account);
}

/**
 * Clears what an unfinished code pairing left in `creds` (`me` without `account`); returns
 * whether there was any. Mutates `creds`: Baileys reads the object the session hands it.
 */
export function clearUnfinishedCodePairing(creds: AuthenticationCreds): boolean {
  if (!creds.me || creds.account) return false;
  delete creds.me;
  creds.pairingCode = undefined;
  creds.registered = false;
  return true;
}
