/**
 * The issue's "done when": the same set of Baileys events — history chunks, live upserts, edits,
 * revokes, reactions added and removed, receipts, late mappings — in any order, any chunking, with
 * and without Baileys' event-buffer merging, replayed or not, planned directly or through the
 * read-snapshot protocol with any commit size, always leaves the same documents, with every message
 * stored exactly once and no update left pending.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { planWrites } from '../../src/planner/index.ts';
import type { MessageDoc, ThreadDoc } from '../../src/schema.ts';
import { GROUP, OTHER, PEER } from '../fixtures/wa-messages.ts';
import { type Delivery, deliver, type EventMap, SELF } from '../support/baileys-feed.ts';
import { eventsOf, newStore, planAndApply, storeText } from '../support/pipeline.ts';
import { anchors, deliveries, ID, MESSAGES, T } from '../support/world.ts';

const RECEIVED_AT = (T + 3600) * 1000;
const NOW = RECEIVED_AT + 1;
const RUNS = Number(process.env.CONVERGENCE_RUNS ?? 150);

type Item = { kind: 'delivery'; delivery: Delivery } | { kind: 'anchor'; map: EventMap };

interface Scenario {
  windows: Array<{ buffered: boolean; items: Item[] }>;
  /** How many event maps go into one `planWrites` call. */
  mapsPerPlan: number;
  maxWritesPerCommit: number;
  snapshot: boolean;
}

/** What the runs exercised, so that a generator that stops covering a path fails the test. */
const seen = {
  rekeyed: 0,
  pendingWritten: 0,
  threadsMerged: 0,
  bufferedEdit: 0,
  bufferedReceipt: 0,
  snapshotRounds: 0,
};

function tally(events: ReturnType<typeof eventsOf>, plan: ReturnType<typeof planAndApply>): void {
  seen.rekeyed += plan.stats.rekeyed;
  seen.pendingWritten += plan.stats.pendingWritten;
  seen.threadsMerged += plan.commits
    .flatMap((c) => c.ops)
    .filter((op) => op.type === 'delete' && op.kind === 'thread').length;
  for (const e of events) {
    if (e.kind !== 'message') continue;
    if (e.flags?.includes('buffered_edit')) seen.bufferedEdit += 1;
    if (e.flags?.includes('buffered_receipt')) seen.bufferedReceipt += 1;
  }
  seen.snapshotRounds = Math.max(seen.snapshotRounds, plan.rounds);
}

async function run(scenario: Scenario) {
  const store = newStore();
  let rounds = 0;
  const options = {
    receivedAt: RECEIVED_AT,
    now: NOW,
    snapshot: scenario.snapshot,
    maxWritesPerCommit: scenario.maxWritesPerCommit,
  };
  for (const window of scenario.windows) {
    const live = window.items.flatMap((i) => (i.kind === 'delivery' ? [i.delivery] : []));
    const maps = await deliver(live, window.buffered);
    for (let i = 0; i < maps.length; i += scenario.mapsPerPlan) {
      const events = eventsOf(maps.slice(i, i + scenario.mapsPerPlan), options);
      const plan = planAndApply(store, events, options);
      tally(events, plan);
      rounds = Math.max(rounds, plan.rounds);
    }
    for (const item of window.items) {
      if (item.kind === 'anchor')
        planAndApply(store, eventsOf([item.map], { ...options, historySource: 'import' }), options);
    }
  }
  return { store, rounds };
}

function messages(store: ReturnType<typeof newStore>): Array<[string, MessageDoc]> {
  return [...store.docs].filter(([path]) => path.includes('/messages/')) as Array<[string, MessageDoc]>;
}

const world = deliveries();
const canonical: Scenario = {
  windows: [
    {
      buffered: false,
      items: [
        ...world.map((delivery) => ({ kind: 'delivery' as const, delivery })),
        ...anchors().map((map) => ({ kind: 'anchor' as const, map })),
      ],
    },
  ],
  mapsPerPlan: 1,
  maxWritesPerCommit: 500,
  snapshot: false,
};

describe('planWrites convergence over Baileys events', function () {
  this.timeout(120_000);
  let expected: string;
  let expectedStore: ReturnType<typeof newStore>;

  before(async () => {
    expectedStore = (await run(canonical)).store;
    expected = storeText(expectedStore);
  });

  it('reaches the right documents in the canonical order', () => {
    const docs = messages(expectedStore);
    // Every message once: one document per WhatsApp id, nothing pending, no LID thread left.
    assert.deepEqual(docs.map(([, d]) => d.id).sort(), [...MESSAGES].sort());
    assert.equal([...expectedStore.docs.keys()].filter((p) => p.includes('/pendingUpdates/')).length, 0);
    const threads = [...expectedStore.docs]
      .filter(([p]) => /\/threads\/[^/]+$/.test(p))
      .map(([, d]) => (d as ThreadDoc).jid);
    assert.deepEqual(threads.sort(), [GROUP, PEER.pn].sort());
    const byId = new Map(docs.map(([path, d]) => [d.id, { path, d }]));
    const m4 = byId.get(ID.m4)?.d;
    assert.deepEqual(
      [m4?.text, m4?.edited, m4?.timestamp],
      ['v0', { text: 'v2', at: (T + 30) * 1000 + 456 }, (T + 10) * 1000],
    );
    const m5 = byId.get(ID.m5)?.d;
    assert.equal(m5?.status, 'read');
    assert.deepEqual(m5?.receipts, { [PEER.pn]: { deliveredAt: (T + 12) * 1000, readAt: (T + 13) * 1000 } });
    assert.deepEqual([m5?.reactions, m5?.reactionTimes], [undefined, { [PEER.pn]: (T + 45) * 1000 }]);
    assert.equal(m5?.timestamp, (T + 11) * 1000);
    for (const id of [ID.m3, ID.m6]) {
      const d = byId.get(id)?.d;
      assert.deepEqual([d?.deleted, d?.type, d?.text, d?.media], [true, 'other', null, undefined]);
    }
    const g3 = byId.get(ID.g3);
    assert.ok(g3?.path.endsWith(`/messages/${OTHER.pn}~${ID.g3}`), g3?.path);
    assert.deepEqual(g3?.d.reactions, { [PEER.pn]: '❤️' });
    assert.deepEqual(byId.get(ID.g2)?.d.receipts, { [OTHER.pn]: { readAt: (T + 15) * 1000 } });
    assert.equal(byId.get(ID.m4)?.d.source, 'realtime');
    assert.equal(byId.get(ID.m1)?.d.source, 'history');
    for (const [, d] of docs) assert.equal(d.accountId, 'acc1');
    for (const [, d] of docs) assert.equal(d.unresolvedJids, undefined);
  });

  it('reaches the same documents for any order, chunking, buffering and replay', async () => {
    const items: Item[] = [...canonical.windows[0]!.items];
    const scenario = fc
      .record({
        order: fc.shuffledSubarray(items, { minLength: items.length, maxLength: items.length }),
        replays: fc.subarray(items, { maxLength: 6 }),
        cuts: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 8 }),
        buffered: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        mapsPerPlan: fc.integer({ min: 1, max: 4 }),
        maxWritesPerCommit: fc.constantFrom(3, 7, 500),
        snapshot: fc.boolean(),
      })
      .map(({ order, replays, cuts, buffered, ...rest }): Scenario => {
        const all = [...order, ...replays];
        const windows: Scenario['windows'] = [];
        for (let start = 0, k = 0; start < all.length; k++) {
          const size = cuts[k % cuts.length] as number;
          windows.push({ buffered: buffered[k % buffered.length] as boolean, items: all.slice(start, start + size) });
          start += size;
        }
        return { windows, ...rest };
      });
    let maxRounds = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const { store, rounds } = await run(s);
        maxRounds = Math.max(maxRounds, rounds);
        const text = storeText(store);
        if (text !== expected) {
          const digest = (t: string) => createHash('sha256').update(t).digest('hex').slice(0, 12);
          assert.equal(text, expected, `store ${digest(text)} differs from ${digest(expected)}`);
        }
      }),
      { numRuns: RUNS },
    );
    assert.ok(maxRounds <= 4, `snapshot planning needed ${maxRounds} read rounds`);
    // The runs went through every path that makes convergence hard.
    if (process.env.CONVERGENCE_STATS) console.log(seen);
    for (const [path, count] of Object.entries(seen)) assert.ok(count > 0, `no run exercised ${path}`);
  });

  it('a plan cut short after any of its commits (a crash, a failed commit) and planned again ends as a clean run', async () => {
    // The thread documents come last in a plan: the replay finds the messages stored and must
    // still bring their threads up to date.
    const maps = [...(await deliver(world, false)), ...anchors()];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: maps.length - 1 }), fc.nat(), async (at, cutSeed) => {
        const options = { receivedAt: RECEIVED_AT, now: NOW };
        const events = eventsOf(maps.slice(at, at + 3), options);
        const before = maps.slice(0, at);
        const clean = newStore();
        const crashed = newStore();
        for (const store of [clean, crashed])
          for (const map of before) planAndApply(store, eventsOf([map], options), options);
        planAndApply(clean, events, options);
        const cut = planWrites(
          { accountId: crashed.accountId, self: SELF, pairs: crashed.pairs(), store: crashed },
          events,
          { now: NOW, maxWritesPerCommit: 2 },
        );
        for (const commit of cut.commits.slice(0, cutSeed % Math.max(1, cut.commits.length))) crashed.apply(commit);
        planAndApply(crashed, events, options);
        assert.equal(storeText(crashed), storeText(clean));
      }),
      { numRuns: 60 },
    );
  });
});
