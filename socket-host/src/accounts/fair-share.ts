/**
 * How many accounts a host should hold, and which ones it should try to claim or give up.
 * Pure functions over a snapshot of the fleet (directory.ts), so every host decides the same way
 * from the same view and a fleet model can run them round after round (fair-share.test.ts).
 *
 * Stability rules: an account moves only when hosts differ by two or more (a move between hosts
 * one apart would only swap the imbalance), it goes to the host holding fewest, and an account
 * that is pairing or in a history sync never moves (the move would restart the pairing or the
 * import). An account nobody takes for more than two rounds is claimed by any host with room
 * under its cap, whatever the fair share says: a live host that cannot run some accounts (its key
 * cannot read them, it keeps failing them) must not strand them.
 */
import { createHash } from 'node:crypto';

/** Rounds an account may stay unowned before any host claims it beyond its share. */
export const STRANDED_AFTER_ROUNDS = 2;

/** A host's share: the accounts spread evenly over the live hosts, never above its cap. */
export function fairShare(wanted: number, liveHosts: number, cap: number): number {
  return Math.min(cap, Math.ceil(wanted / Math.max(1, liveHosts)));
}

/**
 * This host's preference for an account (rendezvous hashing): every host orders the accounts
 * differently, so hosts claiming at the same moment mostly go for different accounts and few
 * compare-and-sets are lost.
 */
export function preference(hostId: string, accountId: string): string {
  return createHash('sha256').update(`${hostId}\0${accountId}`).digest('hex');
}

/** What a host knows of the others. */
export interface FleetView {
  hostId: string;
  /** Hosts with a recent heartbeat, this one included. */
  liveHosts: readonly string[];
  /** Unexpired leases per holder (this host's own count comes from what it runs). */
  heldBy: ReadonlyMap<string, number>;
}

/** Accounts per live host, this host's own count being `held`. */
function countsOf(fleet: FleetView, held: number): Map<string, number> {
  return new Map(fleet.liveHosts.map((h) => [h, h === fleet.hostId ? held : (fleet.heldBy.get(h) ?? 0)]));
}

/**
 * How many of `free` unowned accounts this host should take: they are dealt one at a time to the
 * live host holding fewest (ties by host id), so every host computes the same split and an account
 * given up by a crowded host goes to the emptiest one, not to whichever host is below its share.
 */
export function allotment(fleet: FleetView, held: number, free: number): number {
  const counts = countsOf(fleet, held);
  const order = [...counts.keys()].sort();
  let mine = 0;
  for (let i = 0; i < free; i++) {
    let fewest = order[0]!;
    for (const h of order) if (counts.get(h)! < counts.get(fewest)!) fewest = h;
    counts.set(fewest, counts.get(fewest)! + 1);
    if (fewest === fleet.hostId) mine++;
  }
  return mine;
}

export interface ClaimInput extends FleetView {
  wanted: readonly string[];
  /** Accounts this host runs now. */
  held: ReadonlySet<string>;
  /** Accounts this host must not claim now (cool-down after yielding, shedding, unreadable). */
  coolingDown: ReadonlySet<string>;
  /** Whether the account's lease (from the listener) lets this host claim it. */
  claimable: (accountId: string) => boolean;
  /** The fair share: claims stop there… */
  target: number;
  /** …except for accounts unowned for too long, which only the cap stops. */
  stranded: ReadonlySet<string>;
  cap: number;
}

/** Accounts to try to claim, stranded ones first, then best first up to this host's allotment. */
export function planClaims(input: ClaimInput): string[] {
  const free = input.wanted.filter((id) => !input.held.has(id) && input.claimable(id));
  const candidates = free
    .filter((id) => !input.coolingDown.has(id))
    .sort((a, b) => preference(input.hostId, a).localeCompare(preference(input.hostId, b)));
  const stranded = candidates.filter((id) => input.stranded.has(id));
  const share = Math.min(input.target - input.held.size, allotment(input, input.held.size, free.length));
  const fair = candidates.filter((id) => !input.stranded.has(id)).slice(0, Math.max(0, share));
  return [...stranded, ...fair].slice(0, Math.max(0, input.cap - input.held.size));
}

export interface ShedInput extends FleetView {
  held: readonly string[];
  /** How many accounts the fleet should run. */
  wanted: number;
  target: number;
  /** Whether an account may move now (not pairing, not in a history sync, not rescued by this host). */
  movable: (accountId: string) => boolean;
}

/**
 * One account to give up, when this host holds two or more accounts more than the live host
 * holding fewest and that host is below its share: the movable account this host likes least. One
 * per round, so a rebalance moves accounts gradually instead of dropping many connections at once.
 * A host never sheds down below the even share (accounts ÷ live hosts, rounded down): a view of the
 * others that lags behind their claims must not make it give up what it should keep.
 */
export function planShed(input: ShedInput): string | undefined {
  const counts = countsOf(input, input.held.length);
  counts.delete(input.hostId);
  const fewest = Math.min(...counts.values());
  const evenShare = Math.min(input.target, Math.floor(input.wanted / input.liveHosts.length));
  const crowded = input.held.length > evenShare && input.held.length - fewest >= 2;
  if (!crowded || fewest >= input.target) return undefined;
  return input.held
    .filter((id) => input.movable(id))
    .sort((a, b) => preference(input.hostId, b).localeCompare(preference(input.hostId, a)))[0];
}

/**
 * Per account, the consecutive rounds in which this host saw it without an owner. Rounds closer
 * together than `minRoundMs` count once: a directory change brings a round forward, and a host
 * still working through its claims must not look like one that cannot run them.
 */
export class UnownedRounds {
  readonly #rounds = new Map<string, number>();
  #countedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly minRoundMs = 0) {}

  /** Records a round in which `unowned` had no owner; returns those unowned for too many rounds. */
  observe(unowned: Iterable<string>, now = 0): Set<string> {
    const seen = new Set(unowned);
    for (const id of this.#rounds.keys()) if (!seen.has(id)) this.#rounds.delete(id);
    const counts = now - this.#countedAt >= this.minRoundMs;
    if (counts) this.#countedAt = now;
    const stranded = new Set<string>();
    for (const id of seen) {
      const rounds = (this.#rounds.get(id) ?? 0) + (counts || !this.#rounds.has(id) ? 1 : 0);
      this.#rounds.set(id, rounds);
      if (rounds > STRANDED_AFTER_ROUNDS) stranded.add(id);
    }
    return stranded;
  }
}
