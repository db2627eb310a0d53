/** The write planner: normalised events in, Firestore commits out (pure). */
export { chunkOps, MAX_BYTES_PER_COMMIT, MAX_WRITES_PER_COMMIT, opCost } from './chunk.ts';
export { documentSize } from './doc-size.ts';
export {
  type AsyncReader,
  type DrivenPlan,
  MAX_READ_ROUNDS,
  type PlannerInputs,
  planFromStore,
  planRounds,
  planWithReads,
  ReadRoundsExceededError,
} from './driver.ts';
export { mayChange, nameKey, pendingKey } from './identity.ts';
export { InMemoryStore } from './memory-store.ts';
export { joinName, threadName } from './names.ts';
export { planWrites } from './plan.ts';
export { fillSnapshot, SnapshotStore } from './snapshot-store.ts';
export type {
  AliasEvent,
  Commit,
  NameEvent,
  PlannerEvent,
  PlannerState,
  PlanOptions,
  PlanStats,
  ReadRequest,
  StoredMessage,
  StoreView,
  WriteOp,
  WritePlan,
  WrittenDoc,
  WrittenKind,
} from './types.ts';
