/**
 * The sync pipeline in miniature, for tests and benchmarks: Baileys event maps → planner events
 * (`normalizeBaileysEvents`) → `planWrites` → commits applied to an `InMemoryStore`, optionally
 * through the read driver (`planFromStore`) the way the real pipeline feeds the planner from Firestore reads.
 */
import type { BaileysBatchOptions } from '../../src/normalize/baileys-events.ts';
import { normalizeBaileysEvents } from '../../src/normalize/index.ts';
import { type DrivenPlan, InMemoryStore, planFromStore, planWrites } from '../../src/planner/index.ts';
import type { PlannerEvent, PlanOptions } from '../../src/planner/types.ts';
import { type EventMap, SELF } from './baileys-feed.ts';

export const ACCOUNT = 'acc1';

export interface PipelineOptions {
  receivedAt: number;
  now: number;
  /** Plan through a `SnapshotStore` filled read by read, as from Firestore. */
  snapshot?: boolean;
  maxWritesPerCommit?: number;
  historySource?: BaileysBatchOptions['historySource'];
}

export function eventsOf(
  maps: readonly EventMap[],
  options: Pick<PipelineOptions, 'receivedAt' | 'historySource'>,
): PlannerEvent[] {
  return maps.flatMap(
    (map) =>
      normalizeBaileysEvents(map, {
        self: SELF,
        receivedAt: options.receivedAt,
        ...(options.historySource ? { historySource: options.historySource } : {}),
      }).events,
  );
}

/** Plan `events` on `store` and apply the commits; returns the plan (and how many read rounds it took). */
export function planAndApply(
  store: InMemoryStore,
  events: readonly PlannerEvent[],
  options: PipelineOptions,
): DrivenPlan {
  const planOptions: PlanOptions = { now: options.now };
  if (options.maxWritesPerCommit !== undefined) planOptions.maxWritesPerCommit = options.maxWritesPerCommit;
  const inputs = { accountId: store.accountId, self: SELF, pairs: store.pairs() };
  const plan = options.snapshot
    ? planFromStore(inputs, events, planOptions, store)
    : { ...planWrites({ ...inputs, store }, events, planOptions), rounds: 1 };
  for (const commit of plan.commits) store.apply(commit);
  return plan;
}

export function newStore(): InMemoryStore {
  return new InMemoryStore(ACCOUNT);
}

/** Every document of the store in a canonical text form (paths sorted, keys sorted). */
export function storeText(store: InMemoryStore): string {
  const sortKeys = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
      );
    }
    return value;
  };
  return [...store.docs]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, doc]) => `${path} ${JSON.stringify(sortKeys(doc))}`)
    .join('\n');
}
