/**
 * Live traffic of one account (upserts, receipts, reactions, mappings, names…): buffered for at
 * most `flushMs` (250 ms) or until `maxEvents` (500) are waiting, whichever comes first, then
 * written as one plan on the writer's live lane — which never waits behind a history import (see
 * `CommitGate`). One flush at a time, in arrival order; what arrives meanwhile goes into the
 * next. Nothing is dropped: events wait here until written, however long Firestore takes (the
 * writer retries transient failures while the account is ours).
 */
import type { PlannerEvent } from '@wasync/shared';
import type { Logger } from '../../log.ts';

export interface LiveLaneOptions {
  flushMs: number;
  maxEvents: number;
  /** Above this many waiting events a warning is logged (Firestore falls behind the traffic). */
  warnEvents?: number;
}

export type LiveWrite = (events: PlannerEvent[]) => Promise<void>;

export class LiveLane {
  #buffer: PlannerEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #warnedAt = 0;
  #closed = false;

  constructor(
    private readonly write: LiveWrite,
    private readonly options: LiveLaneOptions,
    private readonly log: Logger,
  ) {}

  /** Events waiting to be written. */
  get waiting(): number {
    return this.#buffer.length;
  }

  push(events: readonly PlannerEvent[]): void {
    if (events.length === 0 || this.#closed) return;
    this.#buffer.push(...events);
    const warnAt = this.options.warnEvents ?? 10_000;
    if (this.#buffer.length >= warnAt && this.#buffer.length >= this.#warnedAt * 2) {
      this.#warnedAt = this.#buffer.length;
      this.log.warn({ waiting: this.#buffer.length }, 'live writes fall behind');
    }
    if (this.#buffer.length >= this.options.maxEvents) this.#flushNow();
    else this.#timer ??= setTimeout(() => this.#flushNow(), this.options.flushMs);
  }

  /** Writes everything pushed so far; resolves when it landed (or failed and was logged). */
  flush(): Promise<void> {
    this.#flushNow();
    return this.#flushing;
  }

  /** Flushes and stops taking events. */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
  }

  #flushNow(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer.length === 0) return;
    this.#flushing = this.#flushing.then(async () => {
      // Everything that arrived until this flush's turn, in plans of at most `maxEvents`.
      while (this.#buffer.length > 0) {
        const events = this.#buffer.splice(0, this.options.maxEvents);
        await this.write(events).catch((err) => this.log.error({ err, events: events.length }, 'live write failed'));
      }
    });
  }
}
