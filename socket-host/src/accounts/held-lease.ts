/**
 * A lease this host holds (the other half of lease.ts, which stores leases): renewal in the
 * background, the local deadline, and the report of a loss.
 *
 * The deadline is what keeps two owners from overlapping in time: the holder renews every ttl/3
 * and treats the lease as gone once its last successful renewal STARTED more than ttl − margin ago,
 * while a takeover needs `expiresAt = lastRenewalStart + ttl` to have passed on the taker's clock.
 * The margin absorbs clock skew between hosts and the time a socket takes to close. The deadline is
 * checked against the clock on every use (`isValid`), not only when its timer fires: after a long
 * pause (a frozen VM, a blocked event loop) the timer is late, and the clock is not.
 */
import type { Logger } from '../log.ts';
import type { Fence } from './fence.ts';
import type { LeaseState, LeaseStore } from './lease.ts';
import { LeaseLostError } from './lease-errors.ts';

export interface HeldLeaseOptions {
  /** How often to renew; ttl/3 leaves two chances before the deadline. */
  renewEveryMs: number;
  /** The deadline is `lastRenewalStart + ttl − marginMs`; covers clock skew and a slow socket close. */
  marginMs: number;
  /** Called once when the lease is lost (takeover seen, or the deadline passed without renewal). */
  onLost: (err: LeaseLostError) => void;
  log: Logger;
}

/**
 * A lease this host holds: renews it in the background and reports its loss, at the latest when
 * the renewal deadline passes, so the socket is closed before anyone else may take the account.
 */
export class HeldLease {
  #state: LeaseState;
  #deadline = 0;
  #renewTimer: NodeJS.Timeout | undefined;
  #deadlineTimer: NodeJS.Timeout | undefined;
  #lost = false;
  #stopped = false;
  #renewing: Promise<void> | undefined;
  readonly fence: Fence;

  constructor(
    private readonly store: LeaseStore,
    state: LeaseState,
    private readonly options: HeldLeaseOptions,
  ) {
    this.#state = state;
    this.fence = store.fence(
      state,
      () => this.isValid(),
      (err) => this.#lose(err),
    );
    this.#armDeadline(state.renewedAt);
    this.#scheduleRenewal(options.renewEveryMs);
  }

  get accountId(): string {
    return this.#state.accountId;
  }

  get epoch(): number {
    return this.#state.epoch;
  }

  get state(): LeaseState {
    return this.#state;
  }

  /** True while this host may act for the account: not lost, and the renewal deadline not passed. */
  isValid(): boolean {
    return !this.#lost && !this.#stopped && this.store.now() < this.#deadline;
  }

  /** Stops renewing and gives the lease up (best effort; it expires anyway). */
  async release(): Promise<void> {
    this.#stop();
    await this.#renewing?.catch(() => {});
    try {
      await this.store.release(this.#state);
    } catch (err) {
      this.options.log.warn({ err, accountId: this.accountId }, 'lease release failed; it will expire');
    }
  }

  /**
   * Stops renewing without writing (the lease was lost, or the host is going away hard). A renewal
   * already in flight may still land; the promise settles once it has, for callers (and tests)
   * that must know no write of this lease is left.
   */
  async abandon(): Promise<void> {
    this.#stop();
    await this.#renewing?.catch(() => {});
  }

  #stop(): void {
    this.#stopped = true;
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#deadlineTimer);
  }

  #armDeadline(renewalStart: number): void {
    const { ttlMs } = this.store;
    this.#deadline = renewalStart + ttlMs - this.options.marginMs;
    clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = setTimeout(
      () =>
        this.#lose(
          new LeaseLostError(this.accountId, this.epoch, 'renewal deadline passed without a successful renewal'),
        ),
      Math.max(0, this.#deadline - this.store.now()),
    );
    this.#deadlineTimer.unref();
  }

  #scheduleRenewal(delayMs: number): void {
    if (this.#stopped) return;
    this.#renewTimer = setTimeout(() => {
      this.#renewing = this.#renew();
    }, delayMs);
    this.#renewTimer.unref();
  }

  async #renew(): Promise<void> {
    if (this.#stopped) return;
    const start = this.store.now();
    try {
      const next = await this.store.renew(this.#state);
      if (this.#stopped) return;
      // A renewal that completes after the deadline does not count: the socket is already closed.
      if (this.store.now() >= this.#deadline) return;
      this.#state = next;
      this.#armDeadline(Math.min(start, next.renewedAt));
      // Every renewEveryMs from the START of this one, not from its end: a slow commit must not
      // also delay the next, or commits slower than (ttl − margin − renewEveryMs) / 2 lose the lease.
      this.#scheduleRenewal(Math.max(0, start + this.options.renewEveryMs - this.store.now()));
    } catch (err) {
      if (err instanceof LeaseLostError) return this.#lose(err);
      this.options.log.warn({ err, accountId: this.accountId }, 'lease renewal failed; retrying');
      this.#scheduleRenewal(Math.min(1000, this.options.renewEveryMs / 2));
    }
  }

  #lose(err: LeaseLostError): void {
    if (this.#lost || this.#stopped) return;
    this.#lost = true;
    this.#stop();
    this.options.onLost(err);
  }
}
