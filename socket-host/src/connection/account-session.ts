/**
 * One owned account's connection lifecycle, from claiming the lease to letting go of it:
 * load auth state → socket → events → react to the close (disconnect-policy.ts) → maybe a new
 * socket → … until it parks the account, yields it, or the host stops it.
 *
 * Every event map of every socket goes to the account's event sink in order (pipeline/consumer.ts),
 * after the host has taken what it needs from it (creds to save, connection state to publish).
 */
import { type AuthenticationCreds, jidNormalizedUser, type WAMessageKey } from '@whiskeysockets/baileys';
import type { Fence } from '../accounts/fence.ts';
import { isLeaseLost } from '../accounts/lease-errors.ts';
import { AuthStateUnreadableError } from '../auth-state/crypto.ts';
import type { AccountAuthStore } from '../auth-state/store.ts';
import type { Logger } from '../log.ts';
import { type AccountEventConsumer, type AccountIdentity, EventQueue } from '../pipeline/consumer.ts';
import type { MessageContentStore } from '../pipeline/message-content.ts';
import type { WhatsAppSocket, WhatsAppTransport } from '../transport/types.ts';
import { SerialWriter } from '../util/serial-writer.ts';
import { withTimeout } from '../util/timeout.ts';
import { type BackoffOptions, backoffDelay } from './backoff.ts';
import type { ConnectionPatch, ConnectionWriter } from './connection-writer.ts';
import { reactionTo } from './disconnect-policy.ts';
import { acceptAllHistory } from './history-policy.ts';

/** How the session ended. */
export type SessionOutcome =
  /** `stop()` was called: shutdown, rebalancing, lease lost, account no longer wanted. */
  | 'stopped'
  /** A parked state was written (logged_out, closed, error): nobody runs it until it is un-parked. */
  | 'parked'
  /** 440 and another host holds the lease now: it is that host's account. */
  | 'yielded'
  /** The auth state is sealed with a key this host does not have: leave it to a host that has it. */
  | 'unreadable'
  /** An error the session cannot act on (e.g. Firestore unreachable): let it go, try again later. */
  | 'failed';

/** Baileys' QR lifetimes (socket.js): 60 s for the first, 20 s for each later one. */
const FIRST_QR_MS = 60_000;
const NEXT_QR_MS = 20_000;

export interface SessionOptions {
  syncFullHistory: boolean;
  backoff: BackoffOptions;
  /** Longest wait for the event consumer to drain when the session stops. */
  drainTimeoutMs: number;
  /** Re-seal documents still on an older key (set while AUTH_STATE_PREVIOUS_KEYS is configured). */
  reencrypt?: boolean;
}

export interface SessionDeps {
  accountId: string;
  epoch: number;
  fence: Fence;
  isOwner: () => boolean;
  /** Who holds the lease now, read fresh (for 440). */
  leaseHolder: () => Promise<'this host' | 'another host'>;
  transport: WhatsAppTransport;
  auth: AccountAuthStore;
  contents: MessageContentStore;
  consumer: AccountEventConsumer;
  connection: ConnectionWriter;
  options: SessionOptions;
  log: Logger;
  /** Logger handed to Baileys (its own level). */
  baileysLog: Logger;
  random?: () => number;
}

export class AccountSession {
  readonly done: Promise<SessionOutcome>;
  #socket: WhatsAppSocket | undefined;
  /** `creds.me` of the current auth state, as published (the pipeline's `self`). */
  #me: AccountIdentity | undefined;
  #stopping: string | undefined;
  #wake: (() => void) | undefined;
  #queue: EventQueue | undefined;
  #creds: SerialWriter<AuthenticationCreds> | undefined;
  #failures = 0;
  #sockets = 0;
  /** When the current socket reached `open` (undefined while not open). */
  #openedAt: number | undefined;
  #resolveStarted!: () => void;

  constructor(private readonly deps: SessionDeps) {
    const started = new Promise<void>((resolve) => {
      this.#resolveStarted = resolve;
    });
    this.done = started.then(() => this.#run());
  }

  get accountId(): string {
    return this.deps.accountId;
  }

  /** Connects. Separate from construction so the owner registers the session first. */
  start(): this {
    this.#resolveStarted();
    return this;
  }

  /**
   * Ends the socket without logging out, delivers what the consumer still has queued, writes the
   * pending creds and connection state, and (with `finalState`) publishes it before the lease goes.
   */
  async stop(reason: string, finalState?: ConnectionPatch): Promise<void> {
    this.#stopping ??= reason;
    this.#wake?.();
    this.#resolveStarted();
    await this.#socket?.end(undefined);
    // Queued right away (behind any state still being written), not after the drain: under load the
    // drain can take seconds, and the state should say `idle` as soon as the socket is gone.
    const final = finalState && this.deps.isOwner() ? this.deps.connection.write(finalState) : undefined;
    await this.done;
    await final?.catch(() => {});
    await this.deps.connection.flush();
  }

  async #run(): Promise<SessionOutcome> {
    const { deps } = this;
    this.#creds = new SerialWriter<AuthenticationCreds>(
      (creds) => deps.auth.writeCreds(creds),
      async (err, attempt) => {
        if (isLeaseLost(err) || attempt >= 5) return false;
        deps.log.warn({ err, attempt }, 'saving creds failed; retrying');
        await sleep(200 * attempt);
        return true;
      },
    );
    try {
      const sink = await deps.consumer.openAccount({
        accountId: deps.accountId,
        epoch: deps.epoch,
        transport: deps.transport.kind,
        log: deps.log,
        isOwner: deps.isOwner,
        fence: deps.fence,
        contents: deps.contents,
        me: () => this.#me,
        socket: () => this.#socket,
      });
      this.#queue = new EventQueue(sink, deps.log);
      return await this.#loop();
    } catch (err) {
      if (this.#stopping || isLeaseLost(err)) return 'stopped';
      deps.log.error({ err }, 'account session failed');
      // No socket runs now; the owner lets the account go, so the state must not keep saying `open`.
      await deps.connection.write({ connection: { state: 'idle', lastError: `session_failed: ${errorText(err)}` } });
      return 'failed';
    } finally {
      await this.#creds.close();
      await withTimeout(
        this.#queue?.close(this.#stopping ?? 'session ended') ?? Promise.resolve(),
        deps.options.drainTimeoutMs,
      ).catch((err) => deps.log.warn({ err }, 'event consumer did not drain in time'));
    }
  }

  async #loop(): Promise<SessionOutcome> {
    const { deps } = this;
    while (!this.#stopping) {
      // The next socket must log in with the latest creds (those pairing just produced before a 515,
      // the pre-key and sync counters of the socket that dropped), not what reached Firestore so far.
      await this.#creds!.flush();
      let state: Awaited<ReturnType<AccountAuthStore['load']>>['state'];
      try {
        state = (await deps.auth.load()).state;
      } catch (err) {
        if (err instanceof AuthStateUnreadableError) return this.#unreadable(err);
        throw err;
      }
      if (this.#stopping) break;
      if (deps.options.reencrypt && this.#sockets === 0) {
        // In the background: rotation must not delay the connection.
        void deps.auth.reencrypt().catch((err) => deps.log.warn({ err }, 're-encrypting auth state failed'));
      }
      const error = await this.#runSocket(state);
      if (this.#stopping) break;
      if (this.#openedAt !== undefined && Date.now() - this.#openedAt >= deps.options.backoff.stableMs)
        this.#failures = 0;
      this.#openedAt = undefined;
      const reaction = reactionTo(error);
      deps.log.info({ reaction: reaction.kind, reason: reaction.reason }, 'socket closed');
      switch (reaction.kind) {
        case 'restart':
          continue;
        case 'logged_out':
          // Pending creds saves land first, then the wipe removes them; later ones are refused.
          await this.#creds!.close();
          await deps.auth.wipe();
          await this.#park('logged_out', `logged_out: ${reaction.reason}; pair the account again`);
          return 'parked';
        case 'replaced':
          if ((await deps.leaseHolder()) === 'another host') {
            deps.log.info('connection replaced by the host that now holds the lease; yielding');
            return 'yielded';
          }
          await this.#park(
            'closed',
            `connection_replaced: ${reaction.reason}; another client uses this WhatsApp session, not reconnecting`,
          );
          return 'parked';
        case 'qr_expired':
          await this.#park('closed', `qr_expired: ${reaction.reason}; nobody scanned the QR code`);
          return 'parked';
        case 'retry': {
          this.#failures++;
          const { backoff } = deps.options;
          if (this.#failures >= backoff.maxFailures) {
            await this.#park(
              'error',
              `${this.#failures} connection attempts failed in a row; last: ${reaction.reason}`,
            );
            return 'parked';
          }
          const delay = backoffDelay(this.#failures, backoff, deps.random);
          deps.log.warn(
            { failures: this.#failures, delayMs: delay, reason: reaction.reason },
            'reconnecting after backoff',
          );
          void deps.connection.write({
            connection: {
              state: 'connecting',
              lastError: `${reaction.reason}; attempt ${this.#failures + 1} of ${backoff.maxFailures} in ${Math.round(delay / 100) / 10} s`,
            },
          });
          await this.#sleep(delay);
        }
      }
    }
    return 'stopped';
  }

  /** Runs one socket to its end; resolves with the error it closed with. */
  #runSocket(state: Parameters<WhatsAppTransport['connect']>[0]['auth']): Promise<unknown> {
    const { deps } = this;
    const socketNo = ++this.#sockets;
    let qrs = 0;
    void deps.connection.write({ connection: { state: 'connecting' } });
    const socket = deps.transport.connect({
      accountId: deps.accountId,
      auth: state,
      logger: deps.baileysLog,
      syncFullHistory: deps.options.syncFullHistory,
      shouldSyncHistoryMessage: acceptAllHistory,
      getMessage: (key: WAMessageKey) => deps.contents.get(deps.accountId, key),
    });
    // Baileys' `end` destroys the event buffer without flushing it, and a logged-in socket buffers
    // from connect until its offline backlog is in: messages WhatsApp was already told we have.
    // End handlers run inside `end` before the `close` update, whoever ends the socket (stop(),
    // the server, a lost connection), so the flush hands them to the consumer ahead of the close.
    socket.registerSocketEndHandler(() => void socket.ev.flush());
    this.#socket = socket;
    this.#me = meOf(state.creds);
    return new Promise((resolve) => {
      socket.ev.process((events) => {
        if (events['creds.update']) {
          void this.#creds!.push(state.creds);
          this.#me = meOf(state.creds);
        }
        const update = events['connection.update'];
        if (update?.qr) {
          qrs++;
          void deps.connection.write({
            connection: {
              state: 'qr',
              qr: update.qr,
              qrExpiresAt: Date.now() + (qrs === 1 ? FIRST_QR_MS : NEXT_QR_MS),
            },
          });
        }
        if (update?.connection === 'open') {
          this.#openedAt = Date.now();
          const me = meOf(state.creds);
          deps.log.info({ me: me?.id, socket: socketNo }, 'account open');
          void deps.connection.write({
            connection: { state: 'open' },
            ...(me ? { me } : {}),
            lastConnectedAt: Date.now(),
          });
        }
        this.#queue!.push(events, socketNo);
        if (update?.connection === 'close') {
          this.#socket = undefined;
          resolve(update.lastDisconnect?.error);
        }
      });
    });
  }

  async #park(state: 'logged_out' | 'closed' | 'error', lastError: string): Promise<void> {
    this.deps.log.warn({ state, lastError }, 'account parked until someone acts on it');
    await this.deps.connection.write({ connection: { state, lastError } });
  }

  async #unreadable(err: AuthStateUnreadableError): Promise<SessionOutcome> {
    this.deps.log.error({ reason: err.reason, kid: err.kid, accountId: err.accountId }, err.message);
    if (err.reason === 'auth_key_unknown') {
      // Not parked: a host with the right key (e.g. after a fixed deploy) should take it.
      await this.deps.connection.write({ connection: { state: 'idle', lastError: `${err.reason}: ${err.message}` } });
      return 'unreadable';
    }
    await this.#park('error', `${err.reason}: ${err.message}`);
    return 'parked';
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function meOf(creds: AuthenticationCreds): AccountIdentity | undefined {
  if (!creds.me?.id) return undefined;
  const me: AccountIdentity = { id: jidNormalizedUser(creds.me.id) };
  if (creds.me.lid) me.lid = jidNormalizedUser(creds.me.lid);
  if (creds.me.name) me.name = creds.me.name;
  return me;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
