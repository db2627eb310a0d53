/**
 * One owned account's connection lifecycle, from claiming the lease to letting go of it:
 * load auth state → socket → events → react to the close (disconnect-policy.ts) → maybe a new
 * socket → … until it parks the account, yields it, or the host stops it.
 *
 * Every event map of every socket goes to the account's event sink in order (pipeline/consumer.ts),
 * after the host has taken what it needs from it (creds to save, connection state to publish).
 * The command executor pairs and logs out through the session's own API (session-control.ts).
 */
import { Boom } from '@hapi/boom';
import {
  type AuthenticationCreds,
  DisconnectReason,
  isJidStatusBroadcast,
  jidNormalizedUser,
  type WAMessageKey,
  type WAVersion,
} from '@whiskeysockets/baileys';
import type { Fence } from '../accounts/fence.ts';
import { isLeaseLost } from '../accounts/lease-errors.ts';
import { AuthStateUnreadableError } from '../auth-state/crypto.ts';
import { retryUntilSavedOrLeaseLost } from '../auth-state/save-retry.ts';
import type { AccountAuthStore } from '../auth-state/store.ts';
import type { Logger } from '../log.ts';
import { type AccountEventConsumer, type AccountIdentity, EventQueue, type QueueLimits } from '../pipeline/consumer.ts';
import type { MessageContentStore } from '../pipeline/message-content.ts';
import { AccountSocketCaches } from '../transport/account-caches.ts';
import type { WhatsAppSocket, WhatsAppTransport } from '../transport/types.ts';
import type { WaVersionProvider } from '../transport/wa-version.ts';
import { SerialWriter } from '../util/serial-writer.ts';
import { sleep } from '../util/sleep.ts';
import { withTimeout } from '../util/timeout.ts';
import { type BackoffOptions, backoffDelay } from './backoff.ts';
import type { ConnectionPatch, ConnectionWriter } from './connection-writer.ts';
import { type Reaction, reactionTo } from './disconnect-policy.ts';
import { acceptAllHistory } from './history-policy.ts';
import {
  assertPhoneNumber,
  CODE_FRESH_MS,
  clearUnfinishedCodePairing,
  FIRST_QR_MS,
  isLinked,
  NEXT_QR_MS,
  PAIR_READY_MS,
  type PairRequest,
  type PairResult,
  QR_SERIES_MS,
  type SessionControl,
  SessionControlError,
} from './session-control.ts';

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

/** The longest a Node timer waits (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One socket of the session, from `connect` to its `close`. */
interface SocketRun {
  no: number;
  socket: WhatsAppSocket;
  /** When it showed its first QR: the QR series (and a code requested on it) runs from then. */
  firstQrAt?: number;
  /** QR refs it showed so far. */
  qrs: number;
  open: boolean;
  /** Pairing succeeded on it (`isNewLogin`): the 515 that follows is the expected restart. */
  newLogin: boolean;
  /** A pairing code was requested on it. */
  code: boolean;
  /** The session ended it for a fresh QR series (a pairing request): not a failure. */
  renewed: boolean;
  closed: boolean;
}

export interface SessionOptions {
  syncFullHistory: boolean;
  backoff: BackoffOptions;
  /** Longest wait for the event consumer to drain when the session stops. */
  drainTimeoutMs: number;
  /** Re-seal documents still on an older key (set while AUTH_STATE_PREVIOUS_KEYS is configured). */
  reencrypt?: boolean;
  /**
   * Status updates are mirrored (WHATSAPP_INCLUDE_STATUS_BROADCAST). When not, sockets ignore
   * `status@broadcast` (`shouldIgnoreJid`): Baileys drops those stanzas before decrypting them, so
   * nobody's statuses cost sender-key writes or pipeline work.
   */
  includeStatusBroadcast?: boolean;
  /** When the socket pauses because the pipeline is behind (defaults: `DEFAULT_QUEUE_LIMITS`). */
  queue?: Partial<QueueLimits>;
}

export interface SessionDeps {
  accountId: string;
  epoch: number;
  fence: Fence;
  isOwner: () => boolean;
  /** Who holds the lease now, read fresh (for 440). */
  leaseHolder: () => Promise<'this host' | 'another host'>;
  transport: WhatsAppTransport;
  /** The host's WhatsApp Web version (one for all accounts); absent: Baileys' built-in one. */
  waVersion?: WaVersionProvider;
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

export class AccountSession implements SessionControl {
  readonly done: Promise<SessionOutcome>;
  #current: SocketRun | undefined;
  /** The creds of the auth state the session runs on (Baileys merges updates into this object). */
  #authCreds: AuthenticationCreds | undefined;
  /** Told whenever the current socket changes (new, first QR, open, closed) or the session stops. */
  readonly #onChange = new Set<() => void>();
  /** `creds.me` of the current auth state, as published (the pipeline's `self`). */
  #me: AccountIdentity | undefined;
  #stopping: string | undefined;
  /** The session ran to its end (`done` settles): nothing more can be asked of it. */
  #ended = false;
  #wake: (() => void) | undefined;
  #queue: EventQueue | undefined;
  /** The socket was closed because the event queue is full; the next one waits until it drained. */
  #paused = false;
  #creds: SerialWriter<AuthenticationCreds> | undefined;
  /** Baileys' caches that must outlive a socket: one set per session, handed to each socket. */
  readonly #caches = new AccountSocketCaches((jid) => this.#current?.socket.groupMetadata(jid));
  /** Consecutive closes without a stable connection in between (the backoff's exponent). */
  #failures = 0;
  /** A parked state was queued: a later `stop()` must not write its final `idle` over it. */
  #parking = false;
  /** Consecutive closes for a reason the policy does not know (parks at `maxFailures`). */
  #unknownInRow = 0;
  #sockets = 0;
  /** When the current socket reached `open` (undefined while not open). */
  #openedAt: number | undefined;
  /** Why the session is reconnecting (the `lastError` it wrote), until a socket opens. */
  #reconnecting: string | undefined;
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

  get epoch(): number {
    return this.deps.epoch;
  }

  get paired(): boolean {
    return isLinked(this.#authCreds);
  }

  get isOpen(): boolean {
    return this.#current?.open === true && !this.#current.closed;
  }

  /**
   * Starts a pairing. By QR: a socket whose QR series began before the request is renewed, so the
   * QR shown is fresh. By code: the code is requested on a socket whose series has just begun
   * (renewing an older one, waiting for one that is connecting), so it lives as long as WhatsApp
   * lets a linking socket live (session-control.ts).
   */
  async pair({ phoneNumber, requestedAt }: PairRequest): Promise<PairResult> {
    if (phoneNumber !== undefined) assertPhoneNumber(phoneNumber);
    this.#assertPairable();
    if (phoneNumber === undefined) {
      const run = this.#current;
      if (run?.firstQrAt !== undefined && run.firstQrAt < requestedAt) await this.#renew(run);
      return {};
    }
    const run = await this.#socketForCode();
    run.code = true;
    try {
      const pairingCode = await run.socket.requestPairingCode(phoneNumber);
      this.deps.log.info({ socket: run.no }, 'pairing code requested');
      return { pairingCode, validUntil: run.firstQrAt! + QR_SERIES_MS };
    } catch (err) {
      throw new SessionControlError('not_connected', `requesting a pairing code failed: ${errorText(err)}`);
    }
  }

  async logout(): Promise<void> {
    if (this.#stopping || this.#ended) throw new SessionControlError('stopped', 'this host is letting the account go');
    if (!this.paired) throw new SessionControlError('not_linked', 'the account is not linked to a phone');
    const run = this.#current;
    if (!run || !this.isOpen) throw new SessionControlError('not_connected', 'the account has no open socket');
    await run.socket.logout();
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
    this.#changed();
    this.#resolveStarted();
    await this.#current?.socket.end(undefined);
    // Queued right away (behind any state still being written), not after the drain: under load the
    // drain can take seconds, and the state should say `idle` as soon as the socket is gone.
    // Not over a park already queued: `idle` would hand a logged-out or replaced account to the
    // next host. (A park that comes after this write lands after it, so it wins either way.)
    const final =
      finalState && this.deps.isOwner() && !this.#parking ? this.deps.connection.write(finalState) : undefined;
    await this.done;
    await final?.catch(() => {});
    await this.deps.connection.flush();
  }

  async #run(): Promise<SessionOutcome> {
    const { deps } = this;
    this.#creds = new SerialWriter<AuthenticationCreds>(
      (creds) => deps.auth.writeCreds(creds),
      retryUntilSavedOrLeaseLost(deps.log, 'creds'),
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
        socket: () => this.#current?.socket,
      });
      this.#queue = new EventQueue(sink, deps.log, deps.options.queue);
      return await this.#loop();
    } catch (err) {
      if (this.#stopping || isLeaseLost(err)) return 'stopped';
      deps.log.error({ err }, 'account session failed');
      // No socket runs now; the owner lets the account go, so the state must not keep saying `open`.
      await deps.connection.write({ connection: { state: 'idle', lastError: `session_failed: ${errorText(err)}` } });
      return 'failed';
    } finally {
      this.#ended = true;
      this.#changed();
      this.#caches.close();
      // Creds and keys written behind land before the lease can go (retried until then).
      await Promise.all([this.#creds.close(), deps.auth.flush()]);
      await withTimeout(
        this.#queue?.close(this.#stopping ?? 'session ended') ?? Promise.resolve(),
        deps.options.drainTimeoutMs,
      ).catch((err) => deps.log.warn({ err }, 'event consumer did not drain in time'));
    }
  }

  async #loop(): Promise<SessionOutcome> {
    const { deps } = this;
    while (!this.#stopping) {
      // The next socket logs in with the latest creds (those pairing just produced before a 515, the
      // pre-key and sync counters of the socket that dropped): `load()` hands out the ones in memory,
      // whether or not Firestore has taken them yet (the creds writer keeps retrying).
      let state: Awaited<ReturnType<AccountAuthStore['load']>>['state'];
      try {
        state = (await deps.auth.load()).state;
      } catch (err) {
        if (err instanceof AuthStateUnreadableError) return this.#unreadable(err);
        throw err;
      }
      if (this.#stopping) break;
      if (clearUnfinishedCodePairing(state.creds)) {
        deps.log.info('a pairing code was not confirmed: registering anew');
        await this.#creds!.push(state.creds);
      }
      this.#authCreds = state.creds;
      if (deps.options.reencrypt && this.#sockets === 0) {
        // In the background: rotation must not delay the connection.
        void deps.auth.reencrypt().catch((err) => deps.log.warn({ err }, 're-encrypting auth state failed'));
      }
      const version = await deps.waVersion?.current();
      const { error, run } = await this.#runSocket(state, version);
      if (this.#stopping) break;
      if (this.#openedAt !== undefined && Date.now() - this.#openedAt >= deps.options.backoff.stableMs) {
        this.#failures = 0;
        this.#unknownInRow = 0;
      }
      this.#openedAt = undefined;
      if (this.#paused) {
        await this.#resumeWhenDrained();
        continue;
      }
      let reaction = reactionTo(error);
      // An outdated version (405) is no failure of the account once a newer one is known; until then it is.
      if (reaction.kind === 'refresh_version' && !(version && (await deps.waVersion?.refreshAfterRefusal(version))))
        reaction = { ...reaction, kind: 'unknown' };
      deps.log.info({ reaction: reaction.kind, reason: reaction.reason }, 'socket closed');
      if (reaction.kind !== 'unknown') this.#unknownInRow = 0;
      switch (reaction.kind) {
        case 'restart':
          await this.#restart(reaction, run);
          continue;
        case 'refresh_version':
          deps.log.warn(
            { refused: version?.join('.') },
            'WhatsApp refused the client version; reconnecting with the newer one',
          );
          continue;
        case 'logged_out':
          // Pending creds saves land first, then the wipe removes them; later ones are refused.
          await this.#creds!.close();
          await deps.auth.wipe();
          this.#authCreds = undefined;
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
          await this.#park(
            'closed',
            run.code
              ? `pairing_code_expired: ${reaction.reason}; nobody entered the pairing code while it was valid`
              : `qr_expired: ${reaction.reason}; nobody scanned the QR code`,
          );
          return 'parked';
        case 'temporary_ban':
          await this.#waitOutBan(reaction);
          continue;
        case 'unknown':
          if (++this.#unknownInRow >= deps.options.backoff.maxFailures) {
            await this.#park(
              'error',
              `connect_failed: ${this.#unknownInRow} connects in a row failed for a reason this host does not know; last: ${reaction.reason}`,
            );
            return 'parked';
          }
          this.#failures++;
          await this.#backoff(reaction.reason);
          continue;
        case 'retry':
          // Transient (WhatsApp, the network): retried at the backoff's cap for as long as it lasts.
          this.#failures++;
          await this.#backoff(reaction.reason);
      }
    }
    return 'stopped';
  }

  /**
   * 515: at once after a pairing, for the session's own renewal, or once after a stable
   * connection; 515s that follow each other without a stable connection are a loop and back off.
   */
  async #restart(reaction: Reaction, run: SocketRun): Promise<void> {
    if (run.renewed) return;
    if (run.newLogin) {
      this.#failures = 0;
      return;
    }
    if (++this.#failures > 1) await this.#backoff(reaction.reason, this.#failures - 1);
  }

  /** Waits before the next connect, saying why in `lastError`. */
  async #backoff(reason: string, step = this.#failures): Promise<void> {
    const { deps } = this;
    const delay = backoffDelay(step, deps.options.backoff, deps.random);
    deps.log.warn({ failures: this.#failures, delayMs: delay, reason }, 'reconnecting after backoff');
    this.#reconnecting = `${reason}; reconnecting in ${Math.round(delay / 100) / 10} s (${this.#failures} in a row)`;
    void deps.connection.write({ connection: { state: 'connecting', lastError: this.#reconnecting } });
    await this.#sleep(delay);
  }

  /** 402: connecting earlier only earns another 402 (and a longer ban); wait until it ends. */
  async #waitOutBan({ reason, waitMs }: Extract<Reaction, { kind: 'temporary_ban' }>): Promise<void> {
    const until = new Date(Date.now() + waitMs).toISOString();
    this.deps.log.warn({ reason, until }, 'temporarily banned by WhatsApp; waiting until the ban ends');
    this.#reconnecting = `temporary_ban: ${reason}; WhatsApp banned the number until ${until}, reconnecting then`;
    void this.deps.connection.write({ connection: { state: 'connecting', lastError: this.#reconnecting } });
    await this.#sleep(Math.min(waitMs, MAX_TIMER_MS));
  }

  /** Runs one socket to its end; resolves with the error it closed with. */
  #runSocket(
    state: Parameters<WhatsAppTransport['connect']>[0]['auth'],
    version?: WAVersion,
  ): Promise<{ error: unknown; run: SocketRun }> {
    const { deps } = this;
    // While reconnecting, the reason stays visible through the attempts.
    const lastError = this.#reconnecting;
    void deps.connection.write({ connection: { state: 'connecting', ...(lastError ? { lastError } : {}) } });
    const socket = deps.transport.connect({
      accountId: deps.accountId,
      auth: state,
      logger: deps.baileysLog,
      syncFullHistory: deps.options.syncFullHistory,
      shouldSyncHistoryMessage: acceptAllHistory,
      getMessage: (key: WAMessageKey) => deps.contents.get(deps.accountId, key),
      ...(version && { version }),
      ...(!deps.options.includeStatusBroadcast && { shouldIgnoreJid: isJidStatusBroadcast }),
      msgRetryCounterCache: this.#caches.msgRetryCounterCache,
      cachedGroupMetadata: this.#caches.cachedGroupMetadata,
    });
    // Baileys' `end` destroys the event buffer without flushing it, and a logged-in socket buffers
    // from connect until its offline backlog is in: messages WhatsApp was already told we have.
    // End handlers run inside `end` before the `close` update, whoever ends the socket (stop(),
    // the server, a lost connection), so the flush hands them to the consumer ahead of the close.
    socket.registerSocketEndHandler(() => void socket.ev.flush());
    const run: SocketRun = {
      no: ++this.#sockets,
      socket,
      qrs: 0,
      open: false,
      newLogin: false,
      code: false,
      renewed: false,
      closed: false,
    };
    this.#current = run;
    this.#me = meOf(state.creds);
    this.#changed();
    return new Promise((resolve) => {
      socket.ev.process((events) => {
        if (events['creds.update']) {
          void this.#creds!.push(state.creds);
          this.#me = meOf(state.creds);
        }
        const update = events['connection.update'];
        if (update?.isNewLogin) run.newLogin = true;
        if (update?.qr) {
          run.qrs++;
          run.firstQrAt ??= Date.now();
          void deps.connection.write({
            connection: {
              state: 'qr',
              qr: update.qr,
              qrExpiresAt: Date.now() + (run.qrs === 1 ? FIRST_QR_MS : NEXT_QR_MS),
            },
          });
        }
        if (update?.connection === 'open') {
          run.open = true;
          this.#openedAt = Date.now();
          this.#reconnecting = undefined;
          const me = meOf(state.creds);
          deps.log.info({ me: me?.id, socket: run.no }, 'account open');
          void deps.connection.write({
            connection: { state: 'open' },
            ...(me ? { me } : {}),
            lastConnectedAt: Date.now(),
          });
        }
        this.#caches.observe(events);
        this.#queue!.push(events, run.no);
        if (this.#queue!.full && !this.#paused) {
          // Bounded memory, nothing dropped: WhatsApp keeps what it has not delivered yet (EventQueue).
          this.#paused = true;
          deps.log.warn(
            { depth: this.#queue!.depth },
            'event consumer is behind; closing the socket until it caught up',
          );
          // Baileys' `end` drops what its event buffer holds: deliver it first.
          socket.ev.flush();
          void socket.end(undefined);
        }
        if (update?.connection === 'close') {
          run.closed = true;
          if (this.#current === run) this.#current = undefined;
          resolve({ error: update.lastDisconnect?.error, run });
        }
        if (update?.qr || update?.connection) this.#changed();
      });
    });
  }

  /** Not a failure: no backoff, the failure count untouched; `stop()` ends the wait. */
  async #resumeWhenDrained(): Promise<void> {
    const depth = this.#queue!.depth;
    void this.deps.connection.write({
      connection: { state: 'connecting', lastError: `paused: ${depth} event batches wait for the pipeline` },
    });
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      void this.#queue!.whenResumable().then(resolve);
    });
    this.#paused = false;
    this.deps.log.info({ depth: this.#queue!.depth }, 'event consumer caught up; reconnecting');
  }

  #assertPairable(): void {
    if (this.#stopping || this.#ended) throw new SessionControlError('stopped', 'this host is letting the account go');
    if (this.paired) throw new SessionControlError('linked', 'the account is linked already; log out first');
  }

  /** A socket whose QR series has just begun and carries no code yet: renews or waits for one. */
  async #socketForCode(): Promise<SocketRun> {
    const deadline = Date.now() + PAIR_READY_MS;
    for (;;) {
      this.#assertPairable();
      const run = this.#current;
      if (run?.firstQrAt !== undefined && !run.closed) {
        // Still on its first QR, and only just: the code gets (almost) the whole series.
        if (!run.code && run.qrs === 1 && Date.now() - run.firstQrAt <= CODE_FRESH_MS) return run;
        await this.#renew(run);
      } else if (!run) {
        // Between sockets (a backoff): connect now rather than let the pairing wait.
        this.#wake?.();
      }
      if (!(await this.#nextChange(deadline))) {
        throw new SessionControlError('not_connected', 'no socket reached WhatsApp in time');
      }
    }
  }

  /** Ends `run` so the session connects again at once with a new QR series. */
  async #renew(run: SocketRun): Promise<void> {
    this.deps.log.info({ socket: run.no }, 'renewing the socket for a fresh QR series');
    run.renewed = true;
    await run.socket.end(new Boom('a fresh QR series for a pairing', { statusCode: DisconnectReason.restartRequired }));
  }

  #changed(): void {
    for (const wake of [...this.#onChange]) wake();
  }

  /** Resolves true at the next change of the current socket, false at `deadline`. */
  #nextChange(deadline: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (changed: boolean) => {
        clearTimeout(timer);
        this.#onChange.delete(wake);
        resolve(changed);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), Math.max(0, deadline - Date.now()));
      this.#onChange.add(wake);
    });
  }

  async #park(state: 'logged_out' | 'closed' | 'error', lastError: string): Promise<void> {
    this.#parking = true;
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

  /** A pause `stop()` (or a pairing request) cuts short. */
  #sleep(ms: number): Promise<void> {
    const wake = new AbortController();
    this.#wake = () => wake.abort();
    return sleep(ms, wake.signal);
  }
}

/** Who the account is, once linked (a pairing code sets `creds.me` to the bare number before that). */
function meOf(creds: AuthenticationCreds): AccountIdentity | undefined {
  if (!isLinked(creds) || !creds.me) return undefined;
  const me: AccountIdentity = { id: jidNormalizedUser(creds.me.id) };
  if (creds.me.lid) me.lid = jidNormalizedUser(creds.me.lid);
  if (creds.me.name) me.name = creds.me.name;
  return me;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
