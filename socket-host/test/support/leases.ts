/** Lease stores of several hosts against the test Firestore, sharing one (usually fake) clock. */
import { testDb } from '../../../test/support/firestore.ts';
import { LeaseStore } from '../../src/accounts/lease.ts';

export const LEASE_TTL = 5_000;

/** Stores of `host-0` … `host-{n-1}`. */
export function leaseStores(n: number, clock: () => number = Date.now, ttlMs = LEASE_TTL): LeaseStore[] {
  return Array.from({ length: n }, (_, i) => new LeaseStore(testDb(), { hostId: `host-${i}`, ttlMs, now: clock }));
}
