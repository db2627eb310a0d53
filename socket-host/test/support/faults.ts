/**
 * Transient Firestore failures injected at the commit boundary (the fenced transaction): some
 * commits fail before anything lands (UNAVAILABLE), others land and then report a failure
 * (DEADLINE_EXCEEDED after the commit, as a lost response does) — the writer must not lose the
 * first kind nor duplicate the second.
 */
import type { DocumentReference, DocumentSnapshot, Transaction } from 'firebase-admin/firestore';
import type { Fence } from '../../src/accounts/fence.ts';

const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;

function grpcError(code: number, message: string): Error {
  return Object.assign(new Error(`${code} ${message} (injected)`), { code });
}

/** A deterministic pseudo-random sequence (mulberry32), so a failing run can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultCounts {
  runs: number;
  failedBefore: number;
  failedAfter: number;
}

/** `fence` whose runs fail transiently with probability `rate` (half before, half after landing). */
export function faultyFence(fence: Fence, rate: number, random: () => number): Fence & { faults: FaultCounts } {
  const faults: FaultCounts = { runs: 0, failedBefore: 0, failedAfter: 0 };
  return {
    accountId: fence.accountId,
    epoch: fence.epoch,
    faults,
    async run(write, read) {
      faults.runs++;
      const roll = random();
      if (roll < rate / 2) {
        faults.failedBefore++;
        throw grpcError(UNAVAILABLE, 'UNAVAILABLE: connection reset');
      }
      const result = await fence.run(write, read);
      if (roll < rate) {
        faults.failedAfter++;
        throw grpcError(DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED: response lost');
      }
      return result;
    },
  };
}

/** `fence` with an outage switch: while `down`, every run fails before anything lands (UNAVAILABLE). */
export function outageFence(fence: Fence): Fence & { down: boolean; refused: number } {
  const state = { down: false, refused: 0 };
  return Object.assign(state, {
    accountId: fence.accountId,
    epoch: fence.epoch,
    run: <T>(
      write: (tx: Transaction, snapshots: DocumentSnapshot[]) => Promise<T> | T,
      read?: readonly DocumentReference[],
    ): Promise<T> => {
      if (!state.down) return fence.run(write, read);
      state.refused++;
      return Promise.reject(grpcError(UNAVAILABLE, 'UNAVAILABLE: Firestore unreachable'));
    },
  });
}
