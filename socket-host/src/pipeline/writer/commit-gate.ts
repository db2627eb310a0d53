/**
 * One account's commits, one holder at a time, live traffic first. The live lane holds the gate
 * for a whole plan (plan + commits: a few hundred writes at most); the history lane holds it for
 * one commit step at a time and lets every waiting live holder in between, so a live message
 * waits for at most one history commit step, never for the rest of a history import.
 */
export type Lane = 'live' | 'history';

export class CommitGate {
  #held = false;
  readonly #waiting: Record<Lane, Array<() => void>> = { live: [], history: [] };

  /** Whether a live holder is waiting (the history lane yields between its commits). */
  get liveWaiting(): boolean {
    return this.#waiting.live.length > 0;
  }

  async acquire(lane: Lane): Promise<() => void> {
    if (this.#held || this.#waiting.live.length > 0 || (lane === 'history' && this.#waiting.history.length > 0)) {
      await new Promise<void>((resolve) => this.#waiting[lane].push(resolve));
    } else {
      this.#held = true;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.live.shift() ?? this.#waiting.history.shift();
      if (next) next();
      else this.#held = false;
    };
  }

  /** Runs `fn` holding the gate. */
  async run<T>(lane: Lane, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(lane);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
