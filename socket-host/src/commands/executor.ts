/**
 * The command executor of one owned account (one per lease epoch, opened and closed with the
 * account's pipeline): a Firestore listener on the account's pending and running commands (no
 * polling), each command claimed in a fenced transaction and run to a recorded end.
 *
 * - sends: one queue per chat, in creation order; each waits for an open socket (staying
 *   `pending` meanwhile) or its deadline (`SEND_TTL_S`, `expiresAt`), whichever comes first — also
 *   once claimed, when the socket closed under it (send.ts);
 * - pair, logout, backfill: run as they come (logout waits for an open socket);
 * - a command left `running` by an earlier owner is resumed (claim.ts).
 *
 * A claim that fails on Firestore is tried again after a pause, in place (a send keeps its place in
 * its chat's queue); a lost lease ends everything quietly (the next owner's listener finds the
 * same commands).
 */
import type {
  BackfillPayload,
  CommandError,
  FetchMediaPayload,
  FetchMediaResult,
  MediaState,
  PairPayload,
  SendPayload,
} from '@wasync/shared';
import type { Firestore } from 'firebase-admin/firestore';
import { isLeaseLost } from '../accounts/lease-errors.ts';
import type { Logger } from '../log.ts';
import type { AccountIdentity } from '../pipeline/consumer.ts';
import { type AccountControl, ControlError } from './account-control.ts';
import type { ClaimDecision } from './claim.ts';
import { CommandStore, type SeenCommand } from './command-store.ts';
import type { ConnectionWatch } from './connection-watch.ts';
import { SendPacer } from './pacer.ts';
import { writePairingCode } from './pairing-doc.ts';
import { expiredError, loggedOutError, type MessageWriter, runSend } from './send.ts';

export interface ExecutorOptions {
  sendTtlMs: number;
  sendIntervalMs: number;
  sendJitterMs: number;
  /** Pause before a claim that failed on Firestore is tried again. */
  retryMs: number;
  /** Longest wait for work in progress when the account is let go. */
  closeTimeoutMs: number;
}

export interface BackfillRunner {
  run(commandId: string, payload: BackfillPayload, store: CommandStore): Promise<void>;
}

export interface ExecutorDeps {
  db: Firestore;
  accountId: string;
  fence: ConstructorParameters<typeof CommandStore>[2];
  control: AccountControl;
  watch: ConnectionWatch;
  writer: () => MessageWriter | undefined;
  me: () => AccountIdentity | undefined;
  backfill?: BackfillRunner;
  /** Fetches one message's media now (the host's media service); undefined: this host keeps no media. */
  fetchMedia?: (ref: { threadId: string; messageDocId: string }) => Promise<MediaState | undefined>;
  options: ExecutorOptions;
  log: Logger;
  /** Told just before each `sendMessage` (benchmarks). */
  onSend?: (commandId: string) => void;
}

export class AccountCommands {
  readonly store: CommandStore;
  readonly #deps: ExecutorDeps;
  readonly #pacer: SendPacer;
  readonly #seen = new Set<string>();
  /** Pending sends seen and not claimed yet: what a logout fails at once. */
  readonly #waiting = new Set<string>();
  readonly #chats = new Map<string, Promise<void>>();
  readonly #work = new Set<Promise<void>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #unsubscribe: (() => void) | undefined;
  #closed = false;
  /** Resolves when the executor closes: pauses end at once then. */
  readonly #closing: Promise<void>;
  #onClosing!: () => void;

  constructor(deps: ExecutorDeps) {
    this.#deps = deps;
    this.store = new CommandStore(deps.db, deps.accountId, deps.fence, deps.options.sendTtlMs);
    this.#pacer = new SendPacer(deps.options.sendIntervalMs, deps.options.sendJitterMs);
    this.#closing = new Promise((resolve) => (this.#onClosing = resolve));
  }

  start(): this {
    this.#deps.watch.onLoggedOut((reason) => this.#track(this.#failWaiting([...this.#waiting], reason)));
    this.#unsubscribe = this.store.listen(
      (commands) => {
        for (const command of commands) this.#accept(command);
      },
      (err) => this.#deps.log.error({ err }, 'command listener failed'),
    );
    return this;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClosing();
    this.#unsubscribe?.();
    for (const timer of this.#timers) clearTimeout(timer);
    const settled = Promise.allSettled([...this.#work]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      settled,
      new Promise((resolve) => (timer = setTimeout(resolve, this.#deps.options.closeTimeoutMs))),
    ]);
    clearTimeout(timer);
  }

  #accept(command: SeenCommand): void {
    if (this.#closed || this.#seen.has(command.id)) return;
    this.#seen.add(command.id);
    const to = (command.payload as { to?: unknown } | undefined)?.to;
    if (command.type === 'send' && typeof to === 'string') {
      // One chain per chat: sends to a chat go out in the order they were created. A send lets the
      // next one go once the socket took it (its own `done` and `server_ack` writes need not be
      // waited for), or once it ended some other way.
      const { loggedOut } = this.#deps.watch;
      if (loggedOut !== undefined && command.state === 'pending') {
        this.#track(this.#failWaiting([command.id], loggedOut));
        return;
      }
      if (command.state === 'pending') this.#waiting.add(command.id);
      const previous = this.#chats.get(to) ?? Promise.resolve();
      let handedOver!: () => void;
      const turn = new Promise<void>((resolve) => (handedOver = resolve));
      const work = previous.then(() => this.#guard(command, () => this.#send(command, handedOver))).finally(handedOver);
      this.#chats.set(to, turn);
      this.#track(work);
      if (command.state === 'pending') this.#expireLater(command);
    } else {
      this.#track(this.#guard(command, () => this.#other(command)));
    }
  }

  async #send(command: SeenCommand, handedOver: () => void): Promise<void> {
    let decision: ClaimDecision | 'retry' | undefined;
    do {
      await this.#deps.watch.whenOpenOrLoggedOut();
      if (this.#closed) return;
      // A pending send is failed by the logout (`#failWaiting`), here when the logout came while it
      // was being claimed (not waiting then); one resumed goes on, and fails in `runSend`.
      const { loggedOut } = this.#deps.watch;
      if (loggedOut !== undefined && command.state === 'pending') {
        if (this.#waiting.has(command.id)) await this.#failWaiting([command.id], loggedOut);
        return;
      }
      this.#waiting.delete(command.id);
      decision = await this.#claim(command);
      if (decision === 'retry') {
        // Tried again in place: the chat's later sends stay behind this one.
        if (command.state === 'pending') this.#waiting.add(command.id);
        await this.#pause(this.#deps.options.retryMs);
      }
    } while (decision === 'retry');
    if (decision?.kind !== 'run') return;
    await runSend(command.id, decision.command.payload as SendPayload, {
      ...this.#deps,
      store: this.store,
      pacer: this.#pacer,
      handedOver,
      // A claimed send waits for the next socket after a closed one (428) only until its deadline.
      ...(decision.sendingBefore ? {} : { deadline: this.#deadline(command) }),
    });
  }

  /**
   * A send still waiting at its deadline (`SEND_TTL_S` after its request, or `expiresAt`) fails
   * with `expired` then, wherever it stands in its chat's queue: a message that could not go out
   * in time must fail visibly, not reach the recipient late.
   */
  #expireLater(command: SeenCommand): void {
    const deadline = this.#deadline(command);
    const timer = setTimeout(
      () => {
        this.#timers.delete(timer);
        if (this.#closed) return;
        this.store
          .failIfPending(command.id, expiredError())
          .then((failed) => failed && this.#deps.log.info({ commandId: command.id }, 'send expired while waiting'))
          .catch((err) => {
            if (!isLeaseLost(err)) this.#deps.log.warn({ err, commandId: command.id }, 'expiring a send failed');
          });
      },
      Math.max(0, deadline - Date.now()),
    );
    timer.unref();
    this.#timers.add(timer);
  }

  /** When a send not out yet fails with `expired`: `SEND_TTL_S` after its request, or `expiresAt`. */
  #deadline(command: SeenCommand): number {
    return Math.min(command.createdAt + this.#deps.options.sendTtlMs, command.expiresAt);
  }

  /**
   * The account was logged out: no socket opens again in this ownership (the session parks the
   * account), so sends still waiting for one fail now, visibly, instead of staying pending until a
   * new pairing (whose owner would fail them: they belong to the old pairing generation).
   */
  async #failWaiting(ids: string[], reason: string): Promise<void> {
    if (ids.length === 0) return;
    for (const id of ids) this.#waiting.delete(id);
    try {
      const failed = await this.store.failAllPending(ids, loggedOutError(reason));
      this.#deps.log.info({ failed: failed.length, reason }, 'logged out: waiting sends failed');
    } catch (err) {
      if (!isLeaseLost(err)) this.#deps.log.warn({ err, commands: ids.length }, 'failing sends after a logout failed');
    }
  }

  async #other(command: SeenCommand): Promise<void> {
    if (command.type === 'logout' && !this.#deps.watch.isOpen) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.#deps.watch.whenOpen(),
        new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, command.expiresAt - Date.now()) + 1))),
      ]);
      clearTimeout(timer);
      if (this.#closed) return;
    }
    let decision = await this.#claim(command);
    while (decision === 'retry') {
      await this.#pause(this.#deps.options.retryMs);
      decision = await this.#claim(command);
    }
    if (decision?.kind !== 'run') return;
    const { type, payload } = decision.command;
    try {
      if (type === 'pair') await this.#pair(command, payload as PairPayload);
      else if (type === 'logout') await this.#logout(command.id);
      else if (type === 'backfill') {
        if (!this.#deps.backfill) throw new ControlError('unavailable', 'this host runs no backfills');
        await this.#deps.backfill.run(command.id, payload as BackfillPayload, this.store);
      } else if (type === 'fetch_media') await this.#fetchMedia(command.id, payload as FetchMediaPayload);
      else throw new ControlError('invalid_argument', `this host does not run commands of type ${type}`);
    } catch (err) {
      if (isLeaseLost(err) || this.#closed) return;
      const error: CommandError =
        err instanceof ControlError
          ? { code: err.code, message: err.message }
          : { code: 'internal', message: err instanceof Error ? err.message : String(err) };
      if (!(err instanceof ControlError)) this.#deps.log.error({ err, commandId: command.id }, 'command failed');
      await this.store.fail(command.id, error).catch(() => {});
    }
  }

  async #pair(command: SeenCommand, payload: PairPayload): Promise<void> {
    const phoneNumber = payload.method === 'code' ? payload.phoneNumber : undefined;
    const { pairingCode } = await this.#deps.control.pair({
      ...(phoneNumber ? { phoneNumber } : {}),
      requestedAt: command.createdAt,
    });
    if (pairingCode) await writePairingCode(this.#deps.db, this.#deps.accountId, this.#deps.fence, pairingCode);
    await this.store.finish(command.id, pairingCode ? { pairingCode } : {});
    this.#deps.log.info({ commandId: command.id, method: payload.method }, 'pairing started');
  }

  /** `fetch_media` (the API's 202 for media not stored yet): fetched now, the media state as result. */
  async #fetchMedia(commandId: string, payload: FetchMediaPayload): Promise<void> {
    if (!this.#deps.fetchMedia) throw new ControlError('unavailable', 'this host keeps no media (no bucket)');
    const state = await this.#deps.fetchMedia({ threadId: payload.threadId, messageDocId: payload.messageId });
    if (state === undefined) throw new ControlError('not_found', 'the message has no media (or is gone)');
    const result: FetchMediaResult = { state };
    await this.store.finish(commandId, result);
  }

  async #logout(commandId: string): Promise<void> {
    await this.#deps.control.logout();
    this.#deps.log.info({ commandId }, 'logged out');
    await this.store.finish(commandId, {});
  }

  /**
   * Claims `command`: its decision; `retry` when the claim failed on Firestore (the caller pauses
   * and claims again, in place); undefined when the lease is lost or the executor closed.
   */
  async #claim(command: SeenCommand): Promise<ClaimDecision | 'retry' | undefined> {
    if (this.#closed) return undefined;
    try {
      const decision = await this.store.claim(command.id);
      if (decision.kind === 'fail') {
        this.#deps.log.info({ commandId: command.id, error: decision.error }, 'command failed at claim');
      }
      return decision;
    } catch (err) {
      if (isLeaseLost(err) || this.#closed) return undefined;
      this.#deps.log.warn({ err, commandId: command.id }, 'claiming a command failed; trying again');
      return 'retry';
    }
  }

  /** Waits `ms`, or less when the executor closes. */
  async #pause(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#closing, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  async #guard(command: SeenCommand, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      if (!isLeaseLost(err)) this.#deps.log.error({ err, commandId: command.id }, 'command execution failed');
    }
  }

  #track(work: Promise<void>): void {
    this.#work.add(work);
    void work.finally(() => this.#work.delete(work));
  }
}
