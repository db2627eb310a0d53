/**
 * What the command executor may do to an account's connection, behind one narrow interface: an
 * adapter onto the account session's own API (connection/session-control.ts), which knows when a
 * socket can take a pairing code and keeps the QR refs from ending a code attempt early. Only the
 * socket for sends and history requests is read from the event seam (the executor's watch sees
 * `open` in event order).
 */
import {
  type PairRequest,
  type SessionControl,
  SessionControlError,
  type SessionControlErrorCode,
} from '../connection/session-control.ts';
import type { AccountContext } from '../pipeline/consumer.ts';
import type { WhatsAppSocket } from '../transport/types.ts';
import type { ConnectionWatch } from './connection-watch.ts';

/** The socket calls the executor makes itself. */
export type CommandSocket = Pick<WhatsAppSocket, 'sendMessage' | 'fetchMessageHistory'>;

export type { PairRequest } from '../connection/session-control.ts';

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

/** The command error code for each refusal of the session. */
const COMMAND_CODE: Record<SessionControlErrorCode, string> = {
  linked: 'failed_precondition',
  not_linked: 'failed_precondition',
  not_connected: 'unavailable',
  stopped: 'unavailable',
  invalid_phone_number: 'invalid_argument',
};

/**
 * `session()` is the account's session under the executor's lease epoch, looked up per call
 * (undefined once this host let the account go).
 */
export function sessionControl(
  session: () => SessionControl | undefined,
  context: AccountContext,
  watch: ConnectionWatch,
): AccountControl {
  const current = (): SessionControl => {
    const found = session();
    if (!found || watch.closed) throw new ControlError('unavailable', 'this host is letting the account go');
    return found;
  };
  return {
    openSocket: () => (watch.isOpen ? context.socket() : undefined),
    isPaired: () => session()?.paired === true,
    pair: (request) => asControlError(() => current().pair(request)),
    logout: () => asControlError(() => current().logout()),
  };
}

async function asControlError<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof SessionControlError) throw new ControlError(COMMAND_CODE[err.code], err.message);
    throw err;
  }
}
