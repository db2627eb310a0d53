/**
 * The reads fetched before planning (`expected-reads.ts`): a batch then plans once, and nothing is
 * fetched that planning without them would not have asked for — over the conversation world's
 * events (history, live messages, edits, revokes, reactions, receipts, late mappings that merge
 * threads and re-key messages) in random orders and windows, with and without Baileys' buffer.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InMemoryStore, planFromStore, planWrites, SnapshotStore } from '../../src/planner/index.ts';
import type { PlannerEvent, ReadRequest } from '../../src/planner/types.ts';
import { deliver, SELF } from '../support/baileys-feed.ts';
import { ACCOUNT, eventsOf, storeText } from '../support/pipeline.ts';
import { anchors, deliveries, T } from '../support/world.ts';

const RECEIVED_AT = (T + 3600) * 1000;
const OPTIONS = { now: RECEIVED_AT + 1, maxWritesPerCommit: 7 };

function keyOf(request: ReadRequest): string {
  const { kind, ...rest } = request;
  if (kind === 'newest') return `newest ${request.threadId}`;
  return `${kind} ${JSON.stringify(rest, Object.keys(rest).sort())}`;
}

/** What planning reads when it can see every stored document: the reads it needs. */
function readsNeeded(store: InMemoryStore, events: readonly PlannerEvent[]): Set<string> {
  const needed = new Set<string>();
  const asKey: Record<string, (...args: never[]) => ReadRequest> = {
    thread: (threadId: string) => ({ kind: 'thread', threadId }),
    message: (threadId: string, docId: string) => ({ kind: 'message', threadId, docId }),
    pending: (messageId: string) => ({ kind: 'pending', messageId }),
    name: (jid: string) => ({ kind: 'name', jid }),
    referencing: (jid: string) => ({ kind: 'referencing', jid }),
    newestMessages: (threadId: string, limit: number) => ({ kind: 'newest', threadId, limit }),
    threadMessages: (threadId: string) => ({ kind: 'threadMessages', threadId }),
  };
  const recording = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const request = asKey[prop as string];
      return (...args: never[]) => {
        if (request) needed.add(keyOf(request(...args)));
        return value.apply(target, args);
      };
    },
  });
  planWrites({ accountId: ACCOUNT, self: SELF, pairs: store.pairs(), store: recording }, events, OPTIONS);
  return needed;
}

/** Plans `events` on `store` through the driver, recording every read it fetched; applies the plan. */
function planRecorded(store: InMemoryStore, events: readonly PlannerEvent[]) {
  const fetched: ReadRequest[] = [];
  const snapshot = new SnapshotStore();
  const inputs = { accountId: ACCOUNT, self: SELF, pairs: store.pairs() };
  const original = snapshot.lacking.bind(snapshot);
  snapshot.lacking = (requests) => {
    const lacking = original(requests);
    fetched.push(...lacking);
    return lacking;
  };
  const plan = planFromStore(inputs, events, OPTIONS, store, snapshot);
  for (const commit of plan.commits) store.apply(commit);
  return { plan, prefetched: fetched };
}

describe('planner: reads fetched before planning', () => {
  it('a history chunk of new messages in new threads plans once', () => {
    const store = new InMemoryStore(ACCOUNT);
    const events = eventsOf(anchors(), { receivedAt: RECEIVED_AT, historySource: 'import' });
    assert.ok(events.filter((e) => e.kind === 'message').length >= 5);
    const { plan, prefetched } = planRecorded(store, events);
    assert.equal(plan.rounds, 1);
    assert.ok(
      prefetched.some((r) => r.kind === 'name'),
      'the new threads’ names were fetched first',
    );
  });

  it('fetches only what planning would ask for, and plans the same', async () => {
    const world = deliveries();
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(world, { minLength: world.length, maxLength: world.length }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        async (order, perPlan, buffered) => {
          const maps = await deliver(order, buffered);
          const store = new InMemoryStore(ACCOUNT);
          const plain = new InMemoryStore(ACCOUNT);
          let once = 0;
          for (let i = 0; i < maps.length; i += perPlan) {
            const events = eventsOf(maps.slice(i, i + perPlan), { receivedAt: RECEIVED_AT });
            const needed = readsNeeded(store, events);
            const { plan, prefetched } = planRecorded(store, events);
            const needless = prefetched.map(keyOf).filter((k) => !needed.has(k));
            assert.deepEqual(needless, [], 'fetched though planning does not read it');
            if (plan.rounds === 1) once += 1;
            const direct = planWrites(
              { accountId: ACCOUNT, self: SELF, pairs: plain.pairs(), store: plain },
              events,
              OPTIONS,
            );
            for (const commit of direct.commits) plain.apply(commit);
          }
          assert.equal(storeText(store), storeText(plain));
          assert.ok(once > 0, 'some batch planned once');
        },
      ),
      { numRuns: Number(process.env.CONVERGENCE_RUNS ?? 60) },
    );
  });
});
