/**
 * What the command executor needs to know about an account's socket, read from the events the
 * host hands to the seam (in order): whether a socket is open now (sends and history requests
 * wait for it), when its offline backlog has been delivered (`receivedPendingNotifications`:
 * backfill after that), and whether the account was logged out (a socket closed with 401 and the
 * like: no socket opens again in this ownership, so nothing waiting for one should wait on).
 * Pairing asks the session itself (connection/session-control.ts).
 */
import { reactionTo } from '../connection/disconnect-policy.ts';
import type { BaileysEventBatch } from '../pipeline/consumer.ts';
import type { HistorySet } from '../pipeline/history/raw-codec.ts';

type Waiter = () => void;

export class ConnectionWatch {
  #open = false;
  #openWaiters: Waiter[] = [];
  #loggedOutWaiters: Waiter[] = [];
  #onDrained: Array<(epochSocket: number) => void> = [];
  #onHistory: Array<(set: HistorySet) => void> = [];
  #onLoggedOut: Array<(reason: string) => void> = [];
  #loggedOut: string | undefined;
  #closed = false;

  get isOpen(): boolean {
    return this.#open && !this.#closed;
  }

  /** A batch as it arrives, before the pipeline handled what came before it: history answers. */
  arrived(events: BaileysEventBatch): void {
    const history = events['messaging-history.set'];
    if (history) for (const listener of this.#onHistory) listener(history);
  }

  /** A batch in its turn, in order with the pipeline: the connection's state. */
  observe(events: BaileysEventBatch, socket: number): void {
    const update = events['connection.update'];
    if (!update) return;
    if (update.connection === 'open') {
      this.#open = true;
      this.#loggedOut = undefined;
      this.#release('open');
    }
    if (update.connection === 'close' || update.connection === 'connecting') this.#open = false;
    const reaction = update.connection === 'close' ? reactionTo(update.lastDisconnect?.error) : undefined;
    if (reaction?.kind === 'logged_out') {
      this.#loggedOut = reaction.reason;
      for (const listener of this.#onLoggedOut) listener(reaction.reason);
      this.#release('loggedOut');
    }
    if (update.receivedPendingNotifications === true && this.#open) {
      for (const listener of this.#onDrained) listener(socket);
    }
  }

  /** Resolves once a socket is open (at once if one is); never rejects. */
  whenOpen(): Promise<void> {
    if (this.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.#openWaiters.push(resolve));
  }

  /**
   * `whenOpen`, or once the account is logged out (at once if it is): what a send waits for, as
   * no socket opens again after a logout in this ownership (callers look at `loggedOut`).
   */
  whenOpenOrLoggedOut(): Promise<void> {
    if (this.#loggedOut !== undefined) return Promise.resolve();
    return Promise.race([this.whenOpen(), new Promise<void>((resolve) => this.#loggedOutWaiters.push(resolve))]);
  }

  /**
   * Resolves once the account is logged out or let go (at once if it is): nothing asked on its
   * socket will be answered in this ownership.
   */
  whenEnded(): Promise<void> {
    if (this.#loggedOut !== undefined || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#loggedOutWaiters.push(resolve));
  }

  /**
   * `listener(set)` sees every history set (backfill answers among them), as Baileys emitted it and
   * as soon as it arrives: before the pipeline stored it (`CommandsConsumer`'s `caughtUp` waits for that).
   */
  onHistory(listener: (set: HistorySet) => void): void {
    this.#onHistory.push(listener);
  }

  /** Why the account was logged out (the close's reason), while no socket opened since; else undefined. */
  get loggedOut(): string | undefined {
    return this.#loggedOut;
  }

  /** `listener(reason)` runs when a socket closes because the account was logged out (401, 403, 406, 411). */
  onLoggedOut(listener: (reason: string) => void): void {
    this.#onLoggedOut.push(listener);
  }

  /** `listener(socketNo)` runs each time an open socket has delivered its offline backlog. */
  onBacklogDrained(listener: (socket: number) => void): void {
    this.#onDrained.push(listener);
  }

  /** The account is let go: every waiter is released (and must see `closed`). */
  close(): void {
    this.#closed = true;
    this.#release('open');
    this.#release('loggedOut');
  }

  get closed(): boolean {
    return this.#closed;
  }

  #release(which: 'open' | 'loggedOut'): void {
    let waiters: Waiter[];
    if (which === 'open') [waiters, this.#openWaiters] = [this.#openWaiters, []];
    else [waiters, this.#loggedOutWaiters] = [this.#loggedOutWaiters, []];
    for (const wake of waiters) wake();
  }
}
