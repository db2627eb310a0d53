/**
 * The account writer against the test Firestore: what it stores is exactly what the planner's
 * in-memory model holds after the same events, whatever lane and chunking they come through;
 * stale reads re-plan instead of overwriting; reads are batched.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { InMemoryStore, lidPnPairDocId, type PlannerEvent, paths, threadDocId } from '@wasync/shared';
import { proto } from '@whiskeysockets/baileys';
import { OTHER, PEER } from '../../../../shared/test/fixtures/wa-messages.ts';
import { deliver, dmReceipt, live, SELF } from '../../../../shared/test/support/baileys-feed.ts';
import { eventsOf, planAndApply } from '../../../../shared/test/support/pipeline.ts';
import { anchors, deliveries, T } from '../../../../shared/test/support/world.ts';
import { testDb } from '../../../../test/support/firestore.ts';
import { type Fence, leaseFence, unfenced } from '../../../src/accounts/fence.ts';
import { LeaseStore } from '../../../src/accounts/lease.ts';
import { isLeaseLost } from '../../../src/accounts/lease-errors.ts';
import { createLogger } from '../../../src/log.ts';
import { AccountWriter, WriteStoppedError } from '../../../src/pipeline/writer/account-writer.ts';
import { accountDocs, modelDocs } from '../../support/account-docs.ts';
import { faultyFence, seededRandom } from '../../support/faults.ts';
import { chunked, generateHistory, historyMaps } from '../../support/history-gen.ts';
import { NOW, openWriter, withGetAll } from '../../support/writer.ts';

const log = createLogger('silent');

async function worldEvents(): Promise<PlannerEvent[][]> {
  const world = deliveries();
  const batches: PlannerEvent[][] = [];
  for (const [items, buffered] of [
    [world.slice(0, 9), true],
    [world.slice(9), false],
  ] as const) {
    for (const map of await deliver(items, buffered)) batches.push(eventsOf([map], { receivedAt: NOW }));
  }
  for (const map of anchors()) batches.push(eventsOf([map], { receivedAt: NOW, historySource: 'import' }));
  return batches;
}

describe('account writer (Firestore)', function () {
  this.timeout(60_000);

  it('stores exactly what the planner model holds, through both lanes and small commits', async () => {
    const db = testDb();
    const accountId = `w-${randomUUID()}`;
    const writer = await AccountWriter.open({
      db,
      accountId,
      fence: unfenced(db, accountId),
      self: () => SELF,
      log,
      options: { now: () => NOW, maxWritesPerCommit: 4 },
    });
    const model = new InMemoryStore(accountId);
    const batches = await worldEvents();
    await Promise.all([
      (async () => {
        for (const [i, events] of batches.entries()) if (i % 2 === 0) await writer.write(events, 'history');
      })(),
      (async () => {
        for (const [i, events] of batches.entries()) if (i % 2 === 1) await writer.write(events, 'live');
      })(),
    ]);
    for (const events of batches) planAndApply(model, events, { receivedAt: NOW, now: NOW });
    assert.deepEqual(await accountDocs(db, accountId), modelDocs(model));
    // Commits of up to 4 writes: several per plan, each with several writes.
    assert.ok(writer.counters.writes > writer.counters.commits, JSON.stringify(writer.counters));
  });

  /** One live DM from PEER (phone-number addressed), as Baileys upserts it. */
  /** One live message as planner events: from `attrs.from` (a phone number or a LID), or ours. */
  async function liveMessage(attrs: Record<string, string>, text: string): Promise<PlannerEvent[]> {
    const maps = await deliver([live(attrs.id!, attrs, { conversation: text })], false);
    return eventsOf(maps, { receivedAt: NOW });
  }

  function liveDm(id: string, t: number, fromMe = false): Promise<PlannerEvent[]> {
    const attrs: Record<string, string> = fromMe
      ? { from: '491700000001:0@s.whatsapp.net', recipient: PEER.pn, id, t: String(t) }
      : { from: PEER.pn, id, t: String(t) };
    return liveMessage(attrs, `text ${id}`);
  }

  function liveFrom(from: string, id: string, t: number, text: string): Promise<PlannerEvent[]> {
    return liveMessage({ from, id, t: String(t) }, text);
  }

  /** The peer's LID ↔ phone-number pair, as a history payload carries it. */
  const peerPair: PlannerEvent = { kind: 'aliases', receivedAt: NOW, pairs: [{ lid: PEER.lid, pn: PEER.pn }] };

  it('re-plans a write whose read went stale instead of overwriting the newer document', async () => {
    const db = testDb();
    const accountId = `stale-${randomUUID()}`;
    const writer = await openWriter(accountId);
    await writer.write(await liveDm('3EB0FF0000000000000001', T, true), 'live');
    const path = paths.message(accountId, threadDocId(PEER.pn), 'me~3EB0FF0000000000000001');
    // Behind the writer's back (its cache still holds server_ack): the message was read.
    await db.doc(path).update({ status: 'read' });
    const delivered = await deliver(
      [dmReceipt('delivered', PEER.pn, '3EB0FF0000000000000001', proto.WebMessageInfo.Status.DELIVERY_ACK, T + 1)],
      false,
    );
    await writer.write(eventsOf(delivered, { receivedAt: NOW }), 'live');
    assert.equal((await db.doc(path).get()).get('status'), 'read', 'status did not go back to delivered');
    assert.equal(writer.counters.staleCommits, 1);
    // A document created behind its back after it read "absent": create() refuses, the join keeps both.
    const second = 'me~3EB0FF0000000000000002';
    const secondPath = paths.message(accountId, threadDocId(PEER.pn), second);
    const receipt = await deliver(
      [dmReceipt('read', PEER.pn, '3EB0FF0000000000000002', proto.WebMessageInfo.Status.READ, T + 3)],
      false,
    );
    await writer.write(eventsOf(receipt, { receivedAt: NOW }), 'live'); // pending: message absent
    const message = await liveDm('3EB0FF0000000000000002', T + 2, true);
    const other = await openWriter(accountId);
    await other.write(message, 'live'); // lands the message and joins the pending receipt
    await writer.write(message, 'live'); // planned on "absent" from its cache: create() fails, re-plans
    const stored = (await db.doc(secondPath).get()).data();
    assert.equal(stored?.status, 'read');
    assert.equal(writer.counters.staleCommits, 2);
  });

  it('lands nothing once the lease moved to another host', async () => {
    const db = testDb();
    const accountId = `fence-${randomUUID()}`;
    let clock = Date.now();
    const h1 = new LeaseStore(db, { hostId: 'h1', ttlMs: 5_000, now: () => clock });
    const h2 = new LeaseStore(db, { hostId: 'h2', ttlMs: 5_000, now: () => clock });
    const first = await h1.claim(accountId, undefined);
    assert.ok(first);
    const writer = await openWriter(accountId, leaseFence(db, accountId, 'h1', first.epoch));
    await writer.write(await liveDm('3EB0EE0000000000000001', T), 'live');
    clock += 10_000;
    const second = await h2.claim(accountId, await h2.read(accountId));
    assert.equal(second?.holder, 'h2');
    const before = await accountDocs(db, accountId);
    await assert.rejects(writer.write(await liveDm('3EB0EE0000000000000002', T + 1), 'live'), isLeaseLost);
    assert.deepEqual(await accountDocs(db, accountId), before);
    assert.equal(writer.closed, true);
  });

  it('retries transient commit failures, landed or not, without losing or duplicating', async () => {
    const db = testDb();
    const accountId = `faults-${randomUUID()}`;
    const fence = faultyFence(unfenced(db, accountId), 0.5, seededRandom(7));
    const writer = await openWriter(accountId, fence);
    const clean = await openWriter(`clean-${accountId}`);
    for (let i = 0; i < 12; i++) {
      const events = await liveDm(`3EB0DD00000000000000${String(i).padStart(2, '0')}`, T + i, i % 3 === 0);
      await writer.write(events, i % 2 ? 'live' : 'history');
      await clean.write(events, 'live');
    }
    assert.ok(fence.faults.failedBefore > 0 && fence.faults.failedAfter > 0, JSON.stringify(fence.faults));
    const text = (docs: Map<string, unknown>, id: string) =>
      JSON.stringify([...docs].map(([p, d]) => [p.replace(id, ''), d]).sort());
    assert.equal(
      text(await accountDocs(db, accountId), accountId).replaceAll(accountId, ''),
      text(await accountDocs(db, `clean-${accountId}`), `clean-${accountId}`).replaceAll(`clean-${accountId}`, ''),
    );
    assert.ok(writer.counters.retries > 0);
  });

  it('retries a transient failure of the reads it plans on, as it retries commits', async () => {
    // A read that fails for a reason that passes (UNAVAILABLE after the SDK's own retries) must not
    // fail the write: the live lane would log and drop its whole batch.
    const db = testDb();
    const accountId = `read-faults-${randomUUID()}`;
    let failures = 2;
    const flaky = withGetAll(db, (...refs) => {
      if (failures-- > 0) {
        return Promise.reject(Object.assign(new Error('14 UNAVAILABLE: read failed (injected)'), { code: 14 }));
      }
      return db.getAll(...refs);
    });
    const writer = await openWriter(accountId, undefined, {}, flaky);
    await writer.write(await liveDm('3EB0FA0000000000000001', T), 'live');
    // The reads fetched first (failed twice, then answered), then the new thread's names.
    assert.equal(failures, -2, 'both injected failures were met, then two reads');
    const path = paths.message(accountId, threadDocId(PEER.pn), 'peer~3EB0FA0000000000000001');
    assert.equal((await db.doc(path).get()).exists, true, 'the message landed');
    assert.ok(writer.counters.retries >= 2, JSON.stringify(writer.counters));
  });

  it('waits for every commit of a step before it re-plans or lets the gate go, when one of them failed', async () => {
    // Two commits of one plan run together; one is refused (a stale precondition), the other is
    // slow and lands later. Until it has, the plan must neither be made again nor the gate given
    // to another plan: they would read around a commit still in flight.
    const db = testDb();
    const accountId = `group-${randomUUID()}`;
    const real = unfenced(db, accountId);
    let runs = 0;
    let slowSettledAt = 0;
    const startsAfterFailure: number[] = [];
    const fence: typeof real = {
      ...real,
      async run(write, read) {
        const run = ++runs;
        if (run === 1) {
          throw Object.assign(new Error('9 FAILED_PRECONDITION (injected)'), { code: 9 });
        }
        if (run === 2) {
          await new Promise((resolve) => setTimeout(resolve, 300));
          try {
            return await real.run(write, read);
          } finally {
            slowSettledAt = performance.now();
          }
        }
        startsAfterFailure.push(performance.now());
        return real.run(write, read);
      },
    };
    const writer = await openWriter(accountId, fence, { maxWritesPerCommit: 1, commitConcurrency: 2 });
    const events = [...(await liveDm('3EB0FB0000000000000001', T)), ...(await liveDm('3EB0FB0000000000000002', T + 1))];
    await writer.write(events, 'live');
    assert.ok(slowSettledAt > 0, `the write resolved while one of its commits was in flight (${runs} runs)`);
    assert.ok(startsAfterFailure.length > 0, `${runs} runs`);
    assert.ok(
      startsAfterFailure[0]! >= slowSettledAt,
      `a commit started ${Math.round(slowSettledAt - startsAfterFailure[0]!)} ms before the slow one settled`,
    );
    const docs = await accountDocs(db, accountId);
    assert.equal([...docs.keys()].filter((p) => p.includes('/messages/')).length, 2);
  });

  it('gets past a commit that landed but reported a failure, also for pairs and pending updates it created', async () => {
    // The writer knows pairs and pending-update ids from memory, not from reads: a retry that meets
    // what the lost commit created must read them again, not plan the same create for ever.
    const db = testDb();
    const accountId = `landed-${randomUUID()}`;
    const real = unfenced(db, accountId);
    let lost = 0;
    const fence: typeof real = {
      ...real,
      async run(write, read) {
        const result = await real.run(write, read);
        if (lost++ === 0) throw Object.assign(new Error('4 DEADLINE_EXCEEDED (injected)'), { code: 4 });
        return result;
      },
    };
    const writer = await openWriter(accountId, fence);
    const withAlt = await deliver(
      [
        live(
          'alt',
          { from: PEER.lid, addressing_mode: 'lid', sender_pn: PEER.pn, id: '3EB0EA0000000000000001', t: String(T) },
          { conversation: 'hi' },
        ),
        dmReceipt('read of unknown', PEER.pn, '3EB0EA0000000000000099', proto.WebMessageInfo.Status.READ, T + 1),
      ],
      false,
    );
    await writer.write(eventsOf(withAlt, { receivedAt: NOW }), 'live');
    assert.ok(writer.counters.staleCommits >= 1 && writer.counters.plans <= 4, JSON.stringify(writer.counters));
    const docs = await accountDocs(db, accountId);
    assert.ok([...docs.keys()].some((p) => p.includes('/lidPnPairs/')));
    assert.ok([...docs.keys()].some((p) => p.includes('/pendingUpdates/')));
  });
  /** A generated history of threads PEER has nothing to do with, as planner events (several commit steps). */
  function unrelatedHistory(seed: string): PlannerEvent[] {
    const threads = generateHistory({ seed, dms: 4, groups: 2, messagesPerThread: 40, endS: T });
    return eventsOf(historyMaps(chunked(threads, 1)), { receivedAt: NOW, historySource: 'import' });
  }

  /** Resolves once `writer` has landed `commits` commits. */
  async function landed(writer: AccountWriter, commits: number): Promise<void> {
    while (writer.counters.commits < commits) await new Promise((resolve) => setTimeout(resolve, 2));
  }

  it('lets live commits to other threads land inside a history plan without making it start over', async () => {
    // A history plan used to re-plan after any other commit, then plan holding the gate: with a
    // live message every few hundred ms, a large import kept starting over and live waited for it.
    const db = testDb();
    const accountId = `watch-${randomUUID()}`;
    const writer = await AccountWriter.open({
      db,
      accountId,
      fence: unfenced(db, accountId),
      self: () => SELF,
      log,
      options: { now: () => NOW, maxWritesPerCommit: 20, commitConcurrency: 1 },
    });
    const history = unrelatedHistory('watch');
    const lives = await Promise.all(Array.from({ length: 6 }, (_, i) => liveDm(`3EB0CC00000000000000${i}0`, T + i)));
    const importing = writer.write(history, 'history');
    for (const [i, events] of lives.entries()) {
      await landed(writer, 2 + i * 3);
      await writer.write(events, 'live');
    }
    await importing;
    assert.equal(writer.counters.replans, 0, JSON.stringify(writer.counters));
    const model = new InMemoryStore(accountId);
    for (const events of [history, ...lives]) planAndApply(model, events, { receivedAt: NOW, now: NOW });
    assert.deepEqual(await accountDocs(db, accountId), modelDocs(model));
  });

  it('lands a live write beside a history commit step still in flight, and the import stays right', async () => {
    // A live message used to wait for the history step holding the gate (two commits of up to 500
    // writes): the step's commits are held in flight here until the live write has landed.
    const db = testDb();
    const accountId = `beside-${randomUUID()}`;
    const real = unfenced(db, accountId);
    let hold: { blocked: () => void; until: Promise<void> } | undefined;
    const fence: Fence = {
      ...real,
      async run(write, read) {
        const held = hold;
        hold = undefined;
        if (held) {
          held.blocked();
          await held.until;
        }
        return real.run(write, read);
      },
    };
    const writer = await AccountWriter.open({
      db,
      accountId,
      fence,
      self: () => SELF,
      log,
      options: { now: () => NOW, maxWritesPerCommit: 20, commitConcurrency: 1 },
    });
    const history = unrelatedHistory('beside');
    const message = await liveDm('3EB0BE0000000000000001', T);
    const importing = writer.write(history, 'history');
    await landed(writer, 1);
    let releaseStep!: () => void;
    const until = new Promise<void>((resolve) => (releaseStep = resolve));
    const blocked = new Promise<void>((resolve) => (hold = { blocked: resolve, until }));
    await blocked; // the next history commit is in flight, holding the gate
    const inFlight = writer.counters.commits;
    const outcome = await Promise.race([
      writer.write(message, 'live').then(() => 'landed'),
      new Promise((resolve) => setTimeout(resolve, 15_000, 'waited for the history step')),
    ]);
    assert.equal(outcome, 'landed');
    assert.equal(writer.counters.commits, inFlight + 1, 'only the live commit landed meanwhile');
    releaseStep();
    await importing;
    const model = new InMemoryStore(accountId);
    for (const events of [history, message]) planAndApply(model, events, { receivedAt: NOW, now: NOW });
    assert.deepEqual(await accountDocs(db, accountId), modelDocs(model));
  });

  it('re-plans a history plan when a live commit lands a message it read as absent', async () => {
    // The history plan keeps a read receipt as a pending update (its message is not stored); the
    // message lands live between two of its commit steps: the receipt must end on the message.
    const db = testDb();
    const accountId = `absent-${randomUUID()}`;
    const writer = await AccountWriter.open({
      db,
      accountId,
      fence: unfenced(db, accountId),
      self: () => SELF,
      log,
      options: { now: () => NOW, maxWritesPerCommit: 20, commitConcurrency: 1 },
    });
    const id = '3EB0CB0000000000000001';
    const receipt = await deliver([dmReceipt('read', PEER.pn, id, proto.WebMessageInfo.Status.READ, T + 3)], false);
    const history = [...unrelatedHistory('absent'), ...eventsOf(receipt, { receivedAt: NOW })];
    const message = await liveDm(id, T + 2, true);
    const importing = writer.write(history, 'history');
    await landed(writer, 1);
    await writer.write(message, 'live');
    await importing;
    assert.ok(writer.counters.replans >= 1, JSON.stringify(writer.counters));
    const stored = await db.doc(paths.message(accountId, threadDocId(PEER.pn), `me~${id}`)).get();
    assert.equal(stored.get('status'), 'read');
    assert.equal((await db.collection(`${paths.account(accountId)}/pendingUpdates`).get()).size, 0);
    const model = new InMemoryStore(accountId);
    for (const events of [history, message]) planAndApply(model, events, { receivedAt: NOW, now: NOW });
    assert.deepEqual(await accountDocs(db, accountId), modelDocs(model));
  });

  it("lands a caller's own writes in its last commit's transaction, or alone when the plan writes nothing", async () => {
    // What a send's `sending` marker relies on: it lands with the `pending` message, all or nothing.
    const db = testDb();
    const accountId = `alongside-${randomUUID()}`;
    const real = unfenced(db, accountId);
    let transactions = 0;
    const counting: Fence = {
      accountId,
      epoch: 0,
      run: (write, read) => {
        transactions++;
        return real.run(write, read);
      },
    };
    const writer = await openWriter(accountId, counting);
    const marker = db.doc(`alongsideMarkers/${accountId}`);
    const message = await liveDm('3EB0AB0000000000000001', T, true);
    await writer.write(message, 'live', undefined, (tx) => tx.set(marker, { n: 1 }));
    assert.equal(transactions, 1, 'message, thread and marker in one transaction');
    assert.equal((await marker.get()).get('n'), 1);
    const path = paths.message(accountId, threadDocId(PEER.pn), 'me~3EB0AB0000000000000001');
    assert.equal((await db.doc(path).get()).get('status'), 'server_ack');

    // The same message again: nothing to write, the caller's write still lands.
    await writer.write(message, 'live', undefined, (tx) => tx.set(marker, { n: 2 }));
    assert.equal((await marker.get()).get('n'), 2);

    // A commit that fails lands neither the plan's writes nor the caller's.
    const failing: Fence = {
      accountId,
      epoch: 0,
      run: (write, read) =>
        real.run(async (tx, snapshots) => {
          await write(tx, snapshots);
          throw Object.assign(new Error('refused (injected, not transient)'), { code: 7 });
        }, read),
    };
    const refused = await openWriter(accountId, failing);
    await assert.rejects(
      refused.write(await liveDm('3EB0AB0000000000000002', T + 1, true), 'live', undefined, (tx) =>
        tx.set(marker, { n: 3 }),
      ),
      /refused/,
    );
    assert.equal((await marker.get()).get('n'), 2);
    const second = paths.message(accountId, threadDocId(PEER.pn), 'me~3EB0AB0000000000000002');
    assert.equal((await db.doc(second).get()).exists, false);
  });

  it('plans a write that follows another at once, and commits it only once that one landed (nothing when it failed)', async () => {
    const db = testDb();
    const accountId = `after-${randomUUID()}`;
    const writer = await openWriter(accountId);
    let land!: () => void;
    const before = new Promise<void>((resolve) => {
      land = resolve;
    });
    const following = writer.write(await liveDm('3EB0AC0000000000000001', T), 'history', undefined, undefined, before);
    for (let waited = 0; writer.counters.plans === 0 && waited < 5_000; waited += 10) await sleep(10);
    await sleep(100);
    assert.equal(writer.counters.plans, 1, 'planned while the write before it had not landed');
    assert.equal(writer.counters.commits, 0, 'nothing committed before it');
    assert.equal((await accountDocs(db, accountId)).size, 0);
    land();
    await following;
    assert.ok((await accountDocs(db, accountId)).size > 0);

    const failed = Promise.reject(new Error('the slice before failed (injected)'));
    failed.catch(() => undefined);
    const commits = writer.counters.commits;
    await assert.rejects(
      writer.write(await liveDm('3EB0AC0000000000000002', T + 1), 'history', undefined, undefined, failed),
      WriteStoppedError,
    );
    assert.equal(writer.counters.commits, commits);
    const path = paths.message(accountId, threadDocId(PEER.pn), `${PEER.pn}~3EB0AC0000000000000002`);
    assert.equal((await db.doc(path).get()).exists, false);
  });

  it('plans a history write that follows one learning pairs with those pairs: not again when they land', async () => {
    // A chunk's first slice carries its pairs; the next slice, planned while the first commits,
    // used to be planned again once they landed (they change how its messages are keyed).
    const db = testDb();
    const accountId = `ahead-${randomUUID()}`;
    const writer = await openWriter(accountId);
    // Another conversation's message beside the pairs: the two slices share no document.
    const other = await liveFrom(OTHER.pn, '3EB0AD0000000000000001', T, 'other');
    const first = writer.write([peerPair, ...other], 'history', undefined, undefined, Promise.resolve());
    const byLid = await liveFrom(PEER.lid, '3EB0AD0000000000000002', T + 1, 'by LID');
    const second = writer.write(byLid, 'history', undefined, undefined, first);
    await Promise.all([first, second]);
    assert.equal(writer.counters.replans, 0, JSON.stringify(writer.counters));
    assert.equal(writer.counters.plans, 2);
    const thread = paths.messages(accountId, threadDocId(PEER.pn));
    const ids = (await db.collection(thread).get()).docs.map((d) => d.get('id'));
    assert.deepEqual(ids, ['3EB0AD0000000000000002'], 'the LID message keyed by the phone number');
    assert.equal((await db.doc(paths.thread(accountId, threadDocId(PEER.lid))).get()).exists, false, 'no LID thread');
  });

  it('plans again without those pairs when the write that learned them failed, also after a write that never rejects', async () => {
    // The first slice of a chunk follows the previous chunk's tail, which never rejects: if the
    // write whose pairs it planned with failed, they were never stored, and neither may its keys be.
    const db = testDb();
    const accountId = `ahead-failed-${randomUUID()}`;
    const real = unfenced(db, accountId);
    let failing = true;
    const fence: Fence = {
      ...real,
      run: (write, read, options) =>
        failing
          ? Promise.reject(Object.assign(new Error('13 INTERNAL: refused (injected)'), { code: 13 }))
          : real.run(write, read, options),
    };
    const writer = await openWriter(accountId, fence);
    const other = await liveFrom(OTHER.pn, '3EB0AE0000000000000001', T, 'other');
    const first = writer.write([peerPair, ...other], 'history', undefined, undefined, Promise.resolve());
    const tail = first.then(
      () => assert.fail('the first write was to fail'),
      () => {
        failing = false;
      },
    );
    const byLid = await liveFrom(PEER.lid, '3EB0AE0000000000000002', T + 1, 'by LID');
    await writer.write(byLid, 'history', undefined, undefined, tail);
    assert.equal(
      (await db.doc(paths.lidPnPair(accountId, lidPnPairDocId({ lid: PEER.lid, pn: PEER.pn }))).get()).exists,
      false,
    );
    const byPn = await db.collection(paths.messages(accountId, threadDocId(PEER.pn))).get();
    assert.equal(byPn.size, 0, 'nothing keyed by a pair that was never stored');
    const lidThread = await db.collection(paths.messages(accountId, threadDocId(PEER.lid))).get();
    assert.deepEqual(
      lidThread.docs.map((d) => d.get('id')),
      ['3EB0AE0000000000000002'],
    );
  });

  it('reads again what another plan landed while this one read it, not the older answer the cache got last', async () => {
    // A read answered "absent" but delivered after another plan stored the document used to be
    // cached over it: the re-plan then kept the reaction as a pending update of a stored message.
    const base = testDb();
    let hold: Promise<void> | undefined;
    let held!: () => void;
    const db = withGetAll(base, async (...refs) => {
      const answer = await base.getAll(...refs);
      const wait = hold;
      hold = undefined; // only the first read round waits
      if (wait) await wait;
      return answer;
    });
    const accountId = `late-read-${randomUUID()}`;
    const writer = await openWriter(accountId, unfenced(base, accountId), {}, db);
    const id = '3EB0AD0000000000000001';
    const [reactionMap] = await deliver(
      [
        live(
          'reaction',
          { from: PEER.pn, id: '3EB0AD0000000000000002', t: String(T + 5) },
          {
            reactionMessage: {
              key: { remoteJid: PEER.pn, fromMe: false, id },
              text: '👍',
              senderTimestampMs: (T + 5) * 1000,
            },
          },
        ),
      ],
      false,
    );
    hold = new Promise<void>((resolve) => {
      held = resolve;
    });
    const reaction = writer.write(eventsOf([reactionMap!], { receivedAt: NOW }), 'history');
    while (hold) await sleep(5); // the reaction's plan has its answer ("absent"), not yet delivered
    await writer.write(await liveDm(id, T), 'live');
    held();
    await reaction;
    const stored = await accountDocs(base, accountId);
    const path = paths.message(accountId, threadDocId(PEER.pn), `peer~${id}`);
    assert.deepEqual((stored.get(path) as { reactions?: unknown } | undefined)?.reactions, { [PEER.pn]: '👍' });
    assert.deepEqual(
      [...stored.keys()].filter((p) => p.includes('/pendingUpdates/')),
      [],
      'no pending update for a stored message',
    );
  });

  it("lands the commit carrying the caller's own writes alone, after every other commit of the plan landed", async () => {
    // A history chunk's done mark rides in its last commit: it must not land beside a commit of
    // the chunk that then fails, or the chunk is done without those messages and never replayed.
    const db = testDb();
    const accountId = `alone-${randomUUID()}`;
    const seeded = await openWriter(accountId);
    await seeded.write(
      [...(await liveDm('3EB0AE0000000000000001', T)), ...(await liveDm('3EB0AE0000000000000009', T + 100))],
      'live',
    );
    const real = unfenced(db, accountId);
    let transactions = 0;
    const failingFirst: Fence = {
      accountId,
      epoch: 0,
      run: async (write, read) => {
        if (++transactions > 1) return real.run(write, read);
        await sleep(200);
        throw Object.assign(new Error('refused (injected, not transient)'), { code: 7 });
      },
    };
    const writer = await openWriter(accountId, failingFirst, { maxWritesPerCommit: 2, commitConcurrency: 2 });
    // Four messages inside the thread's time range: two commits of messages, no thread write.
    const inside = [];
    for (let i = 2; i <= 5; i++) inside.push(...(await liveDm(`3EB0AE000000000000000${i}`, T + i)));
    const marker = db.doc(`aloneMarkers/${accountId}`);
    await assert.rejects(
      writer.write(inside, 'history', undefined, (tx) => tx.set(marker, { done: true })),
      /refused/,
    );
    assert.equal((await marker.get()).exists, false, 'the done mark did not land beside the failed commit');
  });
});
