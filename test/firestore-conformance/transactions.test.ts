/**
 * Conformance: transactions are serializable under contention, as the leases (I5) and every
 * read-modify-write in this project assume. Written against firebase-admin behaviour that the
 * official emulator has too: a transaction locks what it reads, firebase-admin retries ABORTED
 * (up to 5 attempts) and rolls back after a failing callback.
 */
import assert from 'node:assert/strict';
import { type DocumentReference, type DocumentSnapshot, FieldValue, type Transaction } from 'firebase-admin/firestore';
import { clearFirestore, firestoreHost, requires, testDb } from '../support/firestore.ts';
import { holdLock, otherClient, signal, sleep, startTransactionalRead } from './helpers.ts';

describe('Firestore conformance: transactions', () => {
  beforeEach(clearFirestore);

  it('10 concurrent read-modify-write increments give 10', async function () {
    requires(this, 'isolatedTransactions');
    const db = testDb();
    const ref = db.doc('counters/c');
    await ref.set({ n: 0 });
    await Promise.all(
      Array.from({ length: 10 }, () =>
        db.runTransaction(async (tx) => {
          const n = (await tx.get(ref)).get('n') as number;
          tx.update(ref, { n: n + 1 });
        }),
      ),
    );
    assert.equal((await ref.get()).get('n'), 10);
  });

  it('50 concurrent transfers between accounts keep the total', async function () {
    requires(this, 'isolatedTransactions');
    this.timeout(15_000); // far below the 30 s lock timeout: a leaked lock fails the test
    const db = testDb();
    const accounts = Array.from({ length: 6 }, (_, i) => db.doc(`balances/a${i}`));
    await Promise.all(accounts.map((ref) => ref.set({ balance: 100 })));
    // Deterministic pseudo-random pairs: every pair shape (a→b and b→a) occurs, so lock cycles do.
    const transfers = Array.from({ length: 50 }, (_, i) => ({
      from: accounts[(i * 7) % 6]!,
      to: accounts[(i * 7 + 1 + (i % 5)) % 6]!,
      amount: 1 + (i % 9),
    }));
    const moved = new Map<string, number>();
    await Promise.all(
      transfers.map(({ from, to, amount }) =>
        db.runTransaction(async (tx) => {
          // One read after the other, in transfer direction: opposite transfers lock in opposite
          // order, the classic deadlock the backend must resolve (by aborting one, retried).
          const a = await tx.get(from);
          const b = await tx.get(to);
          tx.update(from, { balance: (a.get('balance') as number) - amount });
          tx.update(to, { balance: (b.get('balance') as number) + amount });
        }),
      ),
    );
    for (const { from, to, amount } of transfers) {
      moved.set(from.id, (moved.get(from.id) ?? 0) - amount);
      moved.set(to.id, (moved.get(to.id) ?? 0) + amount);
    }
    const balances = await db.getAll(...accounts);
    assert.equal(
      balances.reduce((sum, s) => sum + (s.get('balance') as number), 0),
      600,
    );
    // Every transfer landed exactly once.
    for (const snap of balances) assert.equal(snap.get('balance'), 100 + (moved.get(snap.id) ?? 0), snap.id);
  });

  it('a plain write that interleaves with transactions is not lost', async function () {
    requires(this, 'isolatedTransactions');
    const db = testDb();
    const other = otherClient();
    const ref = db.doc('counters/c');
    await ref.set({ n: 0 });
    await Promise.all([
      ...Array.from({ length: 5 }, () =>
        db.runTransaction(async (tx) => {
          const n = (await tx.get(ref)).get('n') as number;
          await sleep(5);
          tx.update(ref, { n: n + 1 });
        }),
      ),
      ...Array.from({ length: 5 }, async (_, i) => {
        await sleep(2 * i);
        await other.doc(ref.path).update({ n: FieldValue.increment(1) });
      }),
    ]);
    assert.equal((await ref.get()).get('n'), 10);
  });

  it('a transaction whose read is overwritten by another client commits on the new data', async function () {
    requires(this, 'isolatedTransactions');
    const db = testDb();
    const ref = db.doc('counters/c');
    await ref.set({ n: 0 });
    let attempts = 0;
    let outside: Promise<unknown> | undefined;
    let outsideAcked = false;
    let ackedBeforeCommit = false;
    await db.runTransaction(async (tx) => {
      attempts++;
      const n = (await tx.get(ref)).get('n') as number;
      if (attempts === 1) {
        outside = otherClient()
          .doc(ref.path)
          .set({ n: 100 })
          .then(() => {
            outsideAcked = true;
          });
        // Not awaited: a backend that makes the plain write wait for the lock must not deadlock.
        await Promise.race([outside, sleep(300)]);
        ackedBeforeCommit = outsideAcked;
      }
      tx.set(ref, { n: n + 1 });
    });
    await outside;
    const n = (await ref.get()).get('n');
    if (ackedBeforeCommit) {
      // The write happened between the read and the commit: the attempt must have been retried.
      assert.equal(n, 101);
      assert.ok(attempts >= 2, `expected a retry, got ${attempts} attempt(s)`);
    } else {
      // The write waited for the transaction: it is simply the later of the two.
      assert.equal(n, 100);
    }
  });

  it('two concurrent claims of an absent document: exactly one wins', async function () {
    requires(this, 'isolatedTransactions');
    const db = testDb();
    const ref = db.doc('leases/acct1');
    const claim = (holder: string) =>
      db.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        if (snap.exists) return false;
        tx.set(ref, { holder, epoch: 1 });
        return true;
      });
    const results = await Promise.all([claim('host-a'), claim('host-b'), claim('host-c')]);
    assert.equal(results.filter(Boolean).length, 1);
    const holder = (await ref.get()).get('holder') as string;
    assert.equal(`host-${'abc'[results.indexOf(true)]}`, holder);
  });

  it('a deadlock that forms when a lock changes hands is broken at once', async function () {
    requires(this, 'isolatedTransactions');
    this.timeout(10_000); // far below the 30 s lock timeout, which would otherwise end the deadlock
    const db = testDb();
    const [a, b, start] = ['a', 'b', 'start'].map((id) => db.doc(`counters/${id}`)) as [
      DocumentReference,
      DocumentReference,
      DocumentReference,
    ];
    await Promise.all([a.set({ n: 0 }), b.set({ n: 0 }), start.set({ n: 0 })]);
    const [xBegan, xGo, yHolds] = [signal(), signal(), signal()];
    const increment = (tx: Transaction, ref: DocumentReference, snap: DocumentSnapshot) =>
      tx.update(ref, { n: (snap.get('n') as number) + 1 });
    // H holds a. X (older than Y) waits for a and, in a concurrent read, for b. Y holds b and waits
    // for a. No wait closes a cycle when it begins; when H commits, a goes to X, its oldest waiter,
    // and now X waits for Y (b) while Y waits for X (a).
    const h = await holdLock(db, a);
    const x = db.runTransaction(async (tx) => {
      await tx.get(start);
      xBegan.fire();
      await xGo.fired;
      const [sa, sb] = await Promise.all([tx.get(a), tx.get(b)]);
      increment(tx, a, sa);
      increment(tx, b, sb);
    });
    await xBegan.fired;
    const y = db.runTransaction(async (tx) => {
      const sb = await tx.get(b);
      yHolds.fire();
      const sa = await tx.get(a);
      increment(tx, a, sa);
      increment(tx, b, sb);
    });
    await yHolds.fired;
    xGo.fire();
    await sleep(200); // X and Y now wait for their locks
    const released = Date.now();
    await Promise.all([h.release(), x, y]);
    assert.ok(Date.now() - released < 5000, `the deadlock lasted ${Date.now() - released} ms`);
    const [sa, sb] = await db.getAll(a, b);
    assert.deepEqual([sa!.get('n'), sb!.get('n')], [3, 2]);
  });

  it('a failing callback rolls back and releases its locks at once', async function () {
    requires(this, 'isolatedTransactions');
    const db = testDb();
    const ref = db.doc('counters/c');
    await ref.set({ n: 0 });
    await assert.rejects(
      db.runTransaction(async (tx) => {
        await tx.get(ref);
        throw new Error('callback failed');
      }),
      /callback failed/,
    );
    const started = Date.now();
    await db.runTransaction(async (tx) => {
      const n = (await tx.get(ref)).get('n') as number;
      tx.update(ref, { n: n + 1 });
    });
    // Far below any lock timeout: the rollback released the lock.
    assert.ok(Date.now() - started < 2000, `second transaction took ${Date.now() - started} ms`);
    assert.equal((await ref.get()).get('n'), 1);
  });

  it('a rollback while one of its reads waits for a lock leaves no lock behind', async function () {
    requires(this, 'isolatedTransactions');
    const db = testDb();
    const ref = db.doc('counters/c');
    const first = db.doc('counters/first');
    await Promise.all([ref.set({ n: 0 }), first.set({ n: 0 })]);
    const holder = await holdLock(db, ref);
    // A second transaction gives up while its read of `ref` still waits for the holder's lock:
    // firebase-admin sends Rollback with that read outstanding.
    let waitingRead: Promise<unknown> | undefined;
    await assert.rejects(
      db.runTransaction(async (tx) => {
        await tx.get(first);
        waitingRead = tx.get(ref).catch(() => undefined);
        await sleep(100);
        throw new Error('gave up');
      }),
      /gave up/,
    );
    await sleep(100);
    await holder.release();
    await waitingRead;
    const started = Date.now();
    await db.runTransaction(async (tx) => {
      const n = (await tx.get(ref)).get('n') as number;
      tx.update(ref, { n: n + 1 });
    });
    assert.ok(Date.now() - started < 2000, `the rolled-back read held the lock for ${Date.now() - started} ms`);
    assert.equal((await ref.get()).get('n'), 2);
  });

  it('transactions on different documents nest without waiting for each other', async function () {
    requires(this, 'isolatedTransactions');
    const db = testDb();
    const outer = db.doc('counters/outer');
    const inner = db.doc('counters/inner');
    await Promise.all([outer.set({ n: 0 }), inner.set({ n: 0 })]);
    await db.runTransaction(async (tx) => {
      const n = (await tx.get(outer)).get('n') as number;
      await db.runTransaction(async (tx2) => {
        const m = (await tx2.get(inner)).get('n') as number;
        tx2.update(inner, { n: m + 1 });
      });
      tx.update(outer, { n: n + 1 });
    });
    const [o, i] = await db.getAll(outer, inner);
    assert.deepEqual([o!.get('n'), i!.get('n')], [1, 1]);
  });

  it('a read-only transaction neither blocks nor is blocked by writers', async function () {
    requires(this, 'isolatedTransactions');
    const db = testDb();
    const ref = db.doc('counters/c');
    await ref.set({ n: 1 });
    const seen = await db.runTransaction(
      async (tx) => {
        const before = (await tx.get(ref)).get('n') as number;
        await ref.update({ n: 2 }); // would deadlock if the read-only transaction held a lock
        return before;
      },
      { readOnly: true },
    );
    assert.equal(seen, 1);
    assert.equal((await ref.get()).get('n'), 2);
  });

  it('a transaction query locks its results like reads do', async function () {
    requires(this, 'isolatedTransactions');
    const db = testDb();
    const col = db.collection('jobs');
    await Promise.all([col.doc('j1').set({ state: 'pending' }), col.doc('j2').set({ state: 'pending' })]);
    // Two workers each take every pending job; serializable means each job is taken once.
    const take = (worker: string) =>
      db.runTransaction(async (tx) => {
        const pending = await tx.get(col.where('state', '==', 'pending'));
        for (const doc of pending.docs) tx.update(doc.ref, { state: 'taken', worker });
        return pending.size;
      });
    const taken = await Promise.all([take('w1'), take('w2')]);
    assert.equal(taken[0]! + taken[1]!, 2);
  });

  it('a read cancelled while it waits for a lock leaves no lock behind', async function () {
    requires(this, 'isolatedTransactions');
    const db = testDb();
    const ref = db.doc('counters/c');
    await ref.set({ n: 0 });
    const holder = await holdLock(db, ref);
    // A second client starts a transaction with a read that must wait for the lock, then gives up.
    const waiting = startTransactionalRead(firestoreHost(), ref.path);
    await sleep(200);
    waiting.cancel();
    await sleep(50);
    await holder.release();
    const started = Date.now();
    await db.runTransaction(async (tx) => {
      const n = (await tx.get(ref)).get('n') as number;
      tx.update(ref, { n: n + 1 });
    });
    assert.ok(Date.now() - started < 2000, `the cancelled read held the lock for ${Date.now() - started} ms`);
    assert.equal((await ref.get()).get('n'), 2);
  });

  it('a write precondition that fails inside a transaction fails the commit and lands none of its writes', async () => {
    // The sync pipeline commits in a transaction that reads the lease (fencing) and writes with
    // preconditions: create() for new documents, lastUpdateTime for the ones it read.
    const db = testDb();
    const lease = db.doc('leases/a');
    const doc = db.doc('messages/m1');
    await lease.set({ holder: 'h1' });
    const first = await doc.set({ status: 'sent' });
    await doc.update({ status: 'read' });
    const attempts = [
      (tx: Transaction) => tx.update(doc, { status: 'delivered' }, { lastUpdateTime: first.writeTime }),
      (tx: Transaction) => tx.delete(doc, { lastUpdateTime: first.writeTime }),
      (tx: Transaction) => tx.create(doc, { status: 'pending' }),
    ];
    for (const [i, attempt] of attempts.entries()) {
      const other = db.doc(`messages/other-${i}`);
      await assert.rejects(
        db.runTransaction(async (tx) => {
          await tx.get(lease);
          tx.create(other, { n: i });
          attempt(tx);
        }),
        (e) => [6, 9].includes((e as { code?: number }).code as number),
      );
      assert.equal((await other.get()).exists, false);
    }
    assert.equal((await doc.get()).get('status'), 'read');
  });

  it('update() inside a transaction replaces a JID-keyed map value whole, keeping keys that need quoting', async () => {
    const db = testDb();
    const doc = db.doc('messages/m1');
    const written = await doc.set({ receipts: { '111@lid': { readAt: 1 } }, text: 'hi' });
    await db.runTransaction(async (tx) => {
      await tx.get(db.doc('leases/a'));
      tx.update(
        doc,
        { receipts: { '222@lid': { readAt: 2 }, 'a-b': { readAt: 3 } }, text: FieldValue.delete() },
        { lastUpdateTime: written.writeTime },
      );
    });
    assert.deepEqual((await doc.get()).data(), { receipts: { '222@lid': { readAt: 2 }, 'a-b': { readAt: 3 } } });
  });
});
