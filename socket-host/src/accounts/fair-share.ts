/**
 * How many accounts a host should hold, and which ones it should try to claim or give up.
 * Pure functions over a snapshot of the fleet (directory.ts).
 */
import { createHash } from 'node:crypto';

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

export interface ClaimInput {
  hostId: string;
  wanted: readonly string[];
  /** Accounts this host runs now. */
  held: ReadonlySet<string>;
  /** Accounts this host must not claim now (cool-down after yielding, shedding, unreadable). */
  coolingDown: ReadonlySet<string>;
  /** Whether the account's lease (from the listener) lets this host claim it. */
  claimable: (accountId: string) => boolean;
  target: number;
}

/** Accounts to try to claim, best first, at most what is missing to reach the target. */
export function planClaims(input: ClaimInput): string[] {
  const missing = input.target - input.held.size;
  if (missing <= 0) return [];
  return input.wanted
    .filter((id) => !input.held.has(id) && !input.coolingDown.has(id) && input.claimable(id))
    .sort((a, b) => preference(input.hostId, a).localeCompare(preference(input.hostId, b)))
    .slice(0, missing);
}

export interface ShedInput {
  hostId: string;
  held: readonly string[];
  target: number;
  liveHosts: readonly string[];
  /** Unexpired leases per holder. */
  heldBy: ReadonlyMap<string, number>;
}

/**
 * One account to give up, when this host holds more than its share and another live host has
 * room (below its share): the one this host likes least. One per round, so a rebalance moves
 * accounts gradually instead of dropping many connections at once.
 */
export function planShed(input: ShedInput): string | undefined {
  if (input.held.length <= input.target) return undefined;
  const someoneHasRoom = input.liveHosts.some((h) => h !== input.hostId && (input.heldBy.get(h) ?? 0) < input.target);
  if (!someoneHasRoom) return undefined;
  return [...input.held].sort((a, b) => preference(input.hostId, b).localeCompare(preference(input.hostId, a)))[0];
}
