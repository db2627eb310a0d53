/**
 * The per-account send pace: at least `intervalMs` plus a random `0…jitterMs` between two sends of
 * one account, whichever chat they go to. A steady, slightly irregular pace is what keeps a number
 * from looking like a bulk sender; the functions' `SEND_BUDGET_PER_MINUTE` caps the volume, this
 * shapes it.
 */
export class SendPacer {
  #next = 0;
  #tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly intervalMs: number,
    private readonly jitterMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Resolves when the caller may send; callers are served in the order they asked. */
  turn(): Promise<void> {
    const mine = this.#tail.then(async () => {
      const wait = this.#next - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.#next = Date.now() + this.intervalMs + Math.floor(this.random() * (this.jitterMs + 1));
    });
    this.#tail = mine;
    return mine;
  }
}
