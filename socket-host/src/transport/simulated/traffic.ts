/**
 * Live traffic at a configured rate (`WHATSAPP_SIMULATED_TRAFFIC_PER_MINUTE`, per account) for
 * load tests and demos: each account the simulator has seen gets an event every 60 s / rate — the
 * next of `LIVE_KINDS` while its connection is open, a contact's message kept for the offline
 * backlog while it is not. Off (0) by default, so tests stay deterministic.
 */
export interface TrafficTarget {
  /** Delivers the account's next live event on its open connection; false when none is open. */
  live(accountId: string): Promise<boolean>;
  /** Keeps a contact's message for the account's next login. */
  keep(accountId: string): void;
  /** Failures are reported, never thrown (traffic must not break a socket). */
  onError(err: unknown, accountId: string): void;
}

export class SimulatedTraffic {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** Events delivered live and kept offline (load-test figures). */
  readonly counts = { live: 0, kept: 0 };

  constructor(
    private readonly perMinute: number,
    private readonly target: TrafficTarget,
  ) {}

  /** Starts the account's traffic (idempotent). */
  start(accountId: string): void {
    if (this.perMinute <= 0 || this.#timers.has(accountId)) return;
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return; // a slow delivery is not overtaken: events stay in order
      busy = true;
      this.target
        .live(accountId)
        .then((delivered) => {
          if (delivered) this.counts.live++;
          else {
            this.target.keep(accountId);
            this.counts.kept++;
          }
        })
        .catch((err) => this.target.onError(err, accountId))
        .finally(() => {
          busy = false;
        });
    }, 60_000 / this.perMinute);
    timer.unref();
    this.#timers.set(accountId, timer);
  }

  stop(): void {
    for (const t of this.#timers.values()) clearInterval(t);
    this.#timers.clear();
  }
}
