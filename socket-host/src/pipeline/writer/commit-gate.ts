/**
 * One account's commits, one holder at a time, live traffic first. The live lane holds the gate
 * for a whole plan (plan + commits: a few hundred writes at most); the history lane holds it for
 * one commit step at a time and lets every waiting live holder in between, so a live message
 * waits for at most one history commit step, never for the rest of a history import.
 *
 * A live plan need not wait even for that step: while a *watched* history step holds the gate
 * (its plan checks what others land, see `ReadWatch`), one live plan may run beside it
 * (`tryBeside`) — watched itself, and planned again holding the gate if it touched anything the
 * step has in flight. Nobody takes the gate while a plan runs beside: a holder that plans
 * unwatched must not read around commits in flight.
 */
export type Lane = 'live' | 'history';

export class CommitGate {
  #held: Lane | undefined;
  /** The holder is a watched history step (a live plan may run beside it). */
  #besideOk = false;
  #beside = 0;
  readonly #waiting: Record<Lane, Array<() => void>> = { live: [], history: [] };

  /** Whether a live holder is waiting (the history lane yields between its commits). */
  get liveWaiting(): boolean {
    return this.#waiting.live.length > 0;
  }

  /**
   * Takes the gate. `besideOk`: the holder is a watched history step, beside which one live plan
   * may run (`tryBeside`).
   */
  async acquire(lane: Lane, besideOk = false): Promise<() => void> {
    const busy = this.#held !== undefined || this.#beside > 0 || this.#waiting.live.length > 0;
    if (busy || (lane === 'history' && this.#waiting.history.length > 0)) {
      await new Promise<void>((resolve) => this.#waiting[lane].push(resolve));
    }
    this.#held = lane;
    this.#besideOk = besideOk;
    return once(() => {
      this.#held = undefined;
      this.#besideOk = false;
      this.#wake();
    });
  }

  /**
   * A place beside the history step holding the gate, for one live plan (undefined when there is
   * none: the gate is free, held by a live or unwatched plan, or taken beside already). The
   * returned function gives it back.
   */
  tryBeside(): (() => void) | undefined {
    if (this.#held !== 'history' || !this.#besideOk || this.#beside > 0) return undefined;
    this.#beside += 1;
    return once(() => {
      this.#beside -= 1;
      this.#wake();
    });
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

  /** The next waiter (live first) gets the gate once it is free and nobody runs beside. */
  #wake(): void {
    if (this.#held !== undefined || this.#beside > 0) return;
    const lane: Lane | undefined =
      this.#waiting.live.length > 0 ? 'live' : this.#waiting.history.length > 0 ? 'history' : undefined;
    if (!lane) return;
    this.#held = lane; // taken now: nobody slips in before the waiter runs
    this.#waiting[lane].shift()!();
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
