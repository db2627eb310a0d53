/**
 * What the command executor needs to know about an account's socket, read from the events the
 * host hands to the seam (in order): whether a socket is open now (sends and history requests
 * wait for it) and when its offline backlog has been delivered (`receivedPendingNotifications`:
 * backfill after that). Pairing asks the session itself (connection/session-control.ts).
 */
import type { BaileysEventBatch } from '../pipeline/consumer.ts';
import type { HistorySet } from '../pipeline/history/raw-codec.ts';

type Waiter = () => void;

export class ConnectionWatch {
  #open = false;
  #openWaiters: Waiter[] = [];
  #onDrained: Array<(epochSocket: number) => void> = [];
  #onHistory: Array<(set: HistorySet) => void> = [];
  #closed = false;

  get isOpen(): boolean {
    return this.#open && !this.#closed;
  }

  observe(events: BaileysEventBatch, socket: number): void {
    const history = events['messaging-history.set'];
    if (history) for (const listener of this.#onHistory) listener(history);
    const update = events['connection.update'];
    if (!update) return;
    if (update.connection === 'open') {
      this.#open = true;
      this.#release();
    }
    if (update.connection === 'close' || update.connection === 'connecting') this.#open = false;
    if (update.receivedPendingNotifications === true && this.#open) {
      for (const listener of this.#onDrained) listener(socket);
    }
  }

  /** Resolves once a socket is open (at once if one is); never rejects. */
  whenOpen(): Promise<void> {
    if (this.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.#openWaiters.push(resolve));
  }

  /** `listener(set)` sees every history set (backfill answers among them), as Baileys emitted it. */
  onHistory(listener: (set: HistorySet) => void): void {
    this.#onHistory.push(listener);
  }

  /** `listener(socketNo)` runs each time an open socket has delivered its offline backlog. */
  onBacklogDrained(listener: (socket: number) => void): void {
    this.#onDrained.push(listener);
  }

  /** The account is let go: every waiter is released (and must see `closed`). */
  close(): void {
    this.#closed = true;
    this.#release();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #release(): void {
    const waiters = this.#openWaiters;
    this.#openWaiters = [];
    for (const wake of waiters) wake();
  }
}
