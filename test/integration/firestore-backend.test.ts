/**
 * The test backend itself: the real firebase-admin SDK round-trips through it, clearing works, the
 * capability probe tells the truth, and the features only the official emulator has are exercised
 * there (pending here otherwise). The Firestore behaviour the project relies on is specified in
 * test/firestore-conformance/.
 */
import assert from 'node:assert/strict';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { FieldValue, getFirestore } from 'firebase-admin/firestore';
import { DEMO_PROJECT, startFirestoreBackend } from '../../scripts/lib/firestore-backend.ts';
import { clearFirestore, currentCapabilities, requires, testDb } from '../support/firestore.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('Firestore test backend', () => {
  beforeEach(clearFirestore);

  it('round-trips documents written with the real firebase-admin SDK', async () => {
    const db = testDb();
    await db.doc('accounts/a1').set({ displayName: 'Shop', n: 1 });
    await db.doc('accounts/a1').set({ n: FieldValue.increment(2) }, { merge: true });
    assert.deepEqual((await db.doc('accounts/a1').get()).data(), { displayName: 'Shop', n: 3 });
  });

  it('clears every document between tests', async () => {
    const db = testDb();
    await db.doc('accounts/a1/threads/t1').set({ jid: 'x' });
    await clearFirestore();
    assert.equal((await db.doc('accounts/a1/threads/t1').get()).exists, false);
  });

  it('create() refuses an existing document (what leases and claims rely on)', async () => {
    const db = testDb();
    await db.doc('leases/a1').create({ epoch: 1 });
    await assert.rejects(db.doc('leases/a1').create({ epoch: 2 }), (err: { code?: number }) => err.code === 6);
    assert.equal((await db.doc('leases/a1').get()).get('epoch'), 1);
  });

  it('reports which backend runs', () => {
    const caps = currentCapabilities();
    assert.ok(caps.backend === 'official' || caps.backend === 'embedded');
    // The official emulator has every capability; the patched embedded one all but security rules.
    assert.equal(caps.isolatedTransactions, true);
    assert.equal(caps.collectionGroupQueries, true);
    assert.equal(caps.securityRules, caps.backend === 'official');
  });

  it('runs collection-group queries', async function () {
    requires(this, 'collectionGroupQueries');
    const db = testDb();
    await db.doc('accounts/a1/threads/t1/messages/m1').set({ fromMe: true });
    await db.doc('accounts/a2/threads/t9/messages/m2').set({ fromMe: true });
    const hits = await db.collectionGroup('messages').where('fromMe', '==', true).get();
    assert.equal(hits.size, 2);
  });

  it('isolates concurrent transactions on one document', async function () {
    requires(this, 'isolatedTransactions');
    const db = testDb();
    const ref = db.doc('accounts/a1');
    await ref.set({ n: 0 });
    await Promise.all(
      Array.from({ length: 10 }, () =>
        db.runTransaction(async (tx) => {
          tx.update(ref, { n: ((await tx.get(ref)).get('n') as number) + 1 });
        }),
      ),
    );
    assert.equal((await ref.get()).get('n'), 10);
  });

  it('embedded: an abandoned transaction loses its locks after the transaction timeout', async function () {
    if (currentCapabilities().backend !== 'embedded') this.skip(); // the timeout is the embedded one's
    this.timeout(15_000);
    const backend = await startFirestoreBackend({}, { transactionTimeoutMs: 300 });
    const previous = process.env.FIRESTORE_EMULATOR_HOST;
    process.env.FIRESTORE_EMULATOR_HOST = backend.host; // read when the client is created
    const app = initializeApp({ projectId: DEMO_PROJECT }, 'short-timeout');
    const db = getFirestore(app);
    process.env.FIRESTORE_EMULATOR_HOST = previous;
    try {
      const ref = db.doc('leases/a1');
      await ref.set({ n: 0 });
      let slowAttempts = 0;
      const slow = db.runTransaction(async (tx) => {
        slowAttempts++;
        const n = (await tx.get(ref)).get('n') as number;
        if (slowAttempts === 1) await sleep(1500); // holds the lock far past the timeout
        tx.update(ref, { n: n + 1 });
      });
      await sleep(100);
      const started = Date.now();
      await db.runTransaction(async (tx) => {
        const n = (await tx.get(ref)).get('n') as number;
        tx.update(ref, { n: n + 1 });
      });
      const waited = Date.now() - started;
      assert.ok(waited >= 100 && waited < 1200, `waited ${waited} ms for the expired lock`);
      await slow; // its first attempt expired: ABORTED, retried on the new value
      assert.equal(slowAttempts, 2);
      assert.equal((await ref.get()).get('n'), 2);
    } finally {
      await deleteApp(app);
      await backend.stop();
    }
  });
});
