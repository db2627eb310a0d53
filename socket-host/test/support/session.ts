/**
 * An AccountSession on its own against the test Firestore and a simulated WhatsApp: the lease
 * answers stubbed (this host holds it), connection states and consumer batches recorded, every
 * socket the transport made kept in order.
 */
import { randomBytes } from 'node:crypto';
import { testDb } from '../../../test/support/firestore.ts';
import { unfenced } from '../../src/accounts/fence.ts';
import { Keyring } from '../../src/auth-state/crypto.ts';
import { AccountAuthStore } from '../../src/auth-state/store.ts';
import { AccountSession, type SessionDeps } from '../../src/connection/account-session.ts';
import type { BackoffOptions } from '../../src/connection/backoff.ts';
import type { ConnectionPatch, ConnectionWriter } from '../../src/connection/connection-writer.ts';
import { createLogger } from '../../src/log.ts';
import type { AccountEventConsumer, BaileysEventBatch, EventMeta } from '../../src/pipeline/consumer.ts';
import { FirestoreMessageContentStore } from '../../src/pipeline/message-content.ts';
import type { SimulatedWhatsApp } from '../../src/transport/simulated/simulator.ts';
import type { ConnectOptions, WhatsAppSocket } from '../../src/transport/types.ts';

const log = createLogger(process.env.WASYNC_TEST_LOG ?? 'silent');
const keyring = new Keyring(randomBytes(32));

export interface TestSession {
  session: AccountSession;
  /** Connection states the session wrote, in order. */
  writes: ConnectionPatch[];
  /** What the consumer was handed, in order. */
  seen: { events: BaileysEventBatch; meta: EventMeta }[];
  /** Every socket the session connected, with when and with which creds' `me`. */
  sockets: { socket: WhatsAppSocket; at: number; me: string | undefined }[];
}

export function testSession(
  accountId: string,
  sim: SimulatedWhatsApp,
  options: {
    backoff?: Partial<BackoffOptions>;
    onConnect?: (socket: WhatsAppSocket, options: ConnectOptions) => void;
  } = {},
): TestSession {
  const writes: ConnectionPatch[] = [];
  const seen: TestSession['seen'] = [];
  const sockets: TestSession['sockets'] = [];
  const consumer: AccountEventConsumer = {
    openAccount: () => ({ handle: async (events, meta) => void seen.push({ events, meta }), close: async () => {} }),
  };
  const fence = unfenced(testDb(), accountId);
  const deps: SessionDeps = {
    accountId,
    epoch: 1,
    fence,
    isOwner: () => true,
    leaseHolder: async () => 'this host',
    transport: {
      kind: 'simulated',
      connect: (connectOptions) => {
        const me = connectOptions.auth.creds.me?.id;
        const socket = sim.connect(connectOptions);
        sockets.push({ socket, at: Date.now(), me });
        options.onConnect?.(socket, connectOptions);
        return socket;
      },
    },
    auth: new AccountAuthStore({ db: testDb(), keyring, log }, accountId, fence),
    contents: new FirestoreMessageContentStore(testDb()),
    consumer,
    connection: {
      write: async (patch: ConnectionPatch) => void writes.push(patch),
      flush: async () => {},
    } as unknown as ConnectionWriter,
    options: {
      syncFullHistory: true,
      backoff: { baseMs: 50, maxMs: 100, maxFailures: 3, stableMs: 60_000, ...options.backoff },
      drainTimeoutMs: 2_000,
    },
    log,
    baileysLog: log,
  };
  return { session: new AccountSession(deps).start(), writes, seen, sockets };
}

/** Polls `probe` every 5 ms until it holds. */
export async function until(probe: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
