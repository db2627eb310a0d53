/**
 * The host's write budget: how many document writes per second all its accounts' commits may
 * make together, ramping like Firestore's "500/50/5" rule for new traffic — start at
 * `startPerSecond`, raise by 50 % every 5 minutes of traffic, up to `maxPerSecond` — so a freshly
 * paired account's full history does not hit Firestore (and its indexes) with a burst it
 * answers with RESOURCE_EXHAUSTED and hotspots.
 *
 * A token bucket (one second's worth at most) shared fairly: waiting commits are served live
 * first, then round-robin by account, so one account's 100,000-message import takes turns with
 * the others' instead of going first. A commit larger than the bucket waits until it is full.
 */
import type { Lane } from './commit-gate.ts';

export interface WriteBudgetOptions {
  startPerSecond: number;
  maxPerSecond: number;
  /** Raise the rate by `rampFactor` every this long (Firestore: 5 minutes, ×1.5). */
  rampEveryMs?: number;
  rampFactor?: number;
  now?: () => number;
}

interface Waiter {
  writes: number;
  resolve: () => void;
}

export class WriteBudget {
  readonly #options: Required<WriteBudgetOptions>;
  #tokens: number;
  #refilledAt: number;
  #startedAt: number | undefined;
  /** Per account, in arrival order; `Map` order is the round-robin order. */
  readonly #history = new Map<string, Waiter[]>();
  readonly #live: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(options: WriteBudgetOptions) {
    this.#options = { rampEveryMs: 5 * 60_000, rampFactor: 1.5, now: Date.now, ...options };
    this.#tokens = options.startPerSecond;
    this.#refilledAt = this.#options.now();
  }

  /** The current rate limit (writes per second). */
  get ratePerSecond(): number {
    const { startPerSecond, maxPerSecond, rampEveryMs, rampFactor, now } = this.#options;
    if (this.#startedAt === undefined) return Math.min(startPerSecond, maxPerSecond);
    const steps = Math.floor((now() - this.#startedAt) / rampEveryMs);
    return Math.min(maxPerSecond, startPerSecond * rampFactor ** steps);
  }

  /** Resolves when `writes` document writes of `accountId` may be committed. */
  acquire(accountId: string, writes: number, lane: Lane): Promise<void> {
    this.#startedAt ??= this.#options.now();
    return new Promise((resolve) => {
      const waiter = { writes, resolve };
      if (lane === 'live') this.#live.push(waiter);
      else {
        const queue = this.#history.get(accountId);
        if (queue) queue.push(waiter);
        else this.#history.set(accountId, [waiter]);
      }
      this.#dispatch();
    });
  }

  #refill(): void {
    const now = this.#options.now();
    const rate = this.ratePerSecond;
    this.#tokens = Math.min(rate, this.#tokens + ((now - this.#refilledAt) / 1000) * rate);
    this.#refilledAt = now;
  }

  /** The next waiter to serve: live first, then the account at the head of the round-robin. */
  #next(): { waiter: Waiter; take: () => void } | undefined {
    const live = this.#live[0];
    if (live) return { waiter: live, take: () => this.#live.shift() };
    for (const [accountId, queue] of this.#history) {
      const waiter = queue[0];
      if (!waiter) continue;
      return {
        waiter,
        take: () => {
          queue.shift();
          // Served: to the back of the round-robin (or out, when it has nothing left waiting).
          this.#history.delete(accountId);
          if (queue.length > 0) this.#history.set(accountId, queue);
        },
      };
    }
    return undefined;
  }

  #dispatch(): void {
    // Every new waiter looks again (a live commit may fit in what a larger history commit waits
    // to top up); the wait is then computed for whoever is next.
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#refill();
    for (let next = this.#next(); next; next = this.#next()) {
      // A commit bigger than one second's worth goes once the bucket is full.
      const need = Math.min(next.waiter.writes, this.ratePerSecond);
      if (this.#tokens < need) {
        const waitMs = Math.ceil(((need - this.#tokens) / this.ratePerSecond) * 1000);
        // Not unref'd: a commit waiting here is work in progress (an import run by the CLI has
        // nothing else keeping Node alive); the timer exists only while someone waits.
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#dispatch();
        }, waitMs);
        return;
      }
      this.#tokens -= need;
      next.take();
      next.waiter.resolve();
    }
  }
}
