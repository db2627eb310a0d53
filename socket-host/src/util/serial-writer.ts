/**
 * Writes one document's state in order, one write at a time, skipping states that were superseded
 * while a write was in flight. Used for creds (Baileys merges updates into one object, so the
 * latest object is the whole truth) and for an account's connection state (only the latest state
 * matters, and an older one must never land after a newer one).
 *
 * `flush()` resolves once everything requested so far is written or given up; shutdown and the
 * 515 restart wait on it.
 */
export class SerialWriter<T> {
  #latest: { value: T } | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(
    private readonly write: (value: T) => Promise<void>,
    /** Decides what happens to a failed write: return true to retry it (after its own delay). */
    private readonly onError: (err: unknown, attempt: number) => Promise<boolean>,
  ) {}

  /** Queues `value`; the returned promise settles when it (or a later value) was written or dropped. */
  push(value: T): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#latest = { value };
    this.#running ??= this.#drain().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  flush(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  /** Stops accepting values (pending ones are still written). */
  close(): Promise<void> {
    this.#closed = true;
    return this.flush();
  }

  async #drain(): Promise<void> {
    while (this.#latest) {
      const { value } = this.#latest;
      this.#latest = undefined;
      for (let attempt = 1; ; attempt++) {
        try {
          await this.write(value);
          break;
        } catch (err) {
          // A newer value makes retrying this one pointless: the loop writes that one instead.
          if (this.#latest || !(await this.onError(err, attempt))) break;
        }
      }
    }
  }
}
