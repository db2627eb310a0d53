/**
 * The plan → fetch the reads it asks for → plan again loop, written once. `planWrites` is pure and
 * reads only through a `StoreView`; fed a `SnapshotStore`, it answers what it lacks as "absent" and
 * returns those reads instead of commits. The driver fetches them into the snapshot and plans
 * again until nothing is missing (a few rounds: each round only needs what the previous answers
 * point at).
 *
 * The loop is a generator so that one loop serves both kinds of reader: `planFromStore` fills the
 * snapshot synchronously from any complete store (tests, benchmarks, the in-memory model), and
 * `planWithReads` awaits an async reader (Firestore, batched with `getAll`).
 */
import { expectedReads } from './expected-reads.ts';
import { planWrites } from './plan.ts';
import { fillSnapshot, SnapshotStore } from './snapshot-store.ts';
import type { PlannerEvent, PlannerState, PlanOptions, ReadRequest, StoreView, WritePlan } from './types.ts';

/** More rounds than any batch needs: reaching it means a reader that does not answer what it is asked. */
export const MAX_READ_ROUNDS = 10;

/** What the planner is given besides the events and the store (the driver brings the snapshot). */
export type PlannerInputs = Omit<PlannerState, 'store'>;

/** A finished plan and how many planning rounds it took. */
export type DrivenPlan = WritePlan & { rounds: number };

/** Fetches the answers to `requests` into `snapshot` (all of them, absent documents as `undefined`). */
export type AsyncReader = (requests: readonly ReadRequest[], snapshot: SnapshotStore) => Promise<void>;

export class ReadRoundsExceededError extends Error {
  override readonly name = 'ReadRoundsExceededError';
  constructor(readonly pending: readonly ReadRequest[]) {
    super(`the planner still asked for ${pending.length} reads after ${MAX_READ_ROUNDS} rounds`);
  }
}

/**
 * The loop: yields the reads each round is missing; the caller puts their answers into `snapshot`
 * and resumes. Returns the plan once a round needed nothing more. It first yields the reads the
 * plan is sure to ask for (`expected-reads.ts`, in its two steps), so most batches plan once: a
 * round that only finds out what it lacks joins every message of the batch for nothing.
 */
export function* planRounds(
  inputs: PlannerInputs,
  events: readonly PlannerEvent[],
  options: PlanOptions,
  snapshot: SnapshotStore,
): Generator<ReadRequest[], DrivenPlan, void> {
  let reads: ReadRequest[] = [];
  // Every round reads the pairs again: an iterator would be empty from the second round on.
  const state = { ...inputs, pairs: [...inputs.pairs] };
  const expected = expectedReads(state, events);
  const documents = snapshot.lacking(expected.documents);
  if (documents.length > 0) yield documents;
  const followUps = snapshot.lacking(expected.followUps(snapshot));
  if (followUps.length > 0) yield followUps;
  for (let round = 1; round <= MAX_READ_ROUNDS; round++) {
    snapshot.clearMissing();
    const plan = planWrites({ ...state, store: snapshot }, events, options);
    if (plan.reads.length === 0) return { ...plan, rounds: round };
    reads = plan.reads;
    yield reads;
  }
  throw new ReadRoundsExceededError(reads);
}

/** Plan against a complete synchronous store (e.g. an `InMemoryStore`), read by read as from Firestore. */
export function planFromStore(
  inputs: PlannerInputs,
  events: readonly PlannerEvent[],
  options: PlanOptions,
  source: StoreView,
  snapshot = new SnapshotStore(),
): DrivenPlan {
  const rounds = planRounds(inputs, events, options, snapshot);
  for (let step = rounds.next(); ; step = rounds.next()) {
    if (step.done) return step.value;
    fillSnapshot(snapshot, source, step.value);
  }
}

/** Plan with an async reader (Firestore): each round's reads are fetched together. */
export async function planWithReads(
  inputs: PlannerInputs,
  events: readonly PlannerEvent[],
  options: PlanOptions,
  read: AsyncReader,
  snapshot = new SnapshotStore(),
): Promise<DrivenPlan> {
  const rounds = planRounds(inputs, events, options, snapshot);
  for (let step = rounds.next(); ; step = rounds.next()) {
    if (step.done) return step.value;
    await read(step.value, snapshot);
  }
}
