/**
 * Conformance: snapshot listeners, which the socket host uses to pick up command documents.
 */
import assert from 'node:assert/strict';
import type { DocumentChangeType, QuerySnapshot } from 'firebase-admin/firestore';
import { clearFirestore, requires, testDb } from '../support/firestore.ts';

/** Collects the changes of each snapshot until `done` says enough. */
function collect(
  subscribe: (next: (s: QuerySnapshot) => void, fail: (e: Error) => void) => () => void,
  done: (changes: string[][]) => boolean,
): Promise<string[][]> {
  return new Promise((resolve, reject) => {
    const seen: string[][] = [];
    const stop = subscribe(
      (snap) => {
        seen.push(snap.docChanges().map((c) => `${c.type as DocumentChangeType}:${c.doc.id}`));
        if (done(seen)) {
          stop();
          resolve(seen);
        }
      },
      (err) => reject(err),
    );
  });
}

describe('Firestore conformance: listeners', () => {
  beforeEach(clearFirestore);

  it('a query listener sees documents added, modified and removed', async () => {
    const db = testDb();
    const pending = db.collection('accounts/a1/commands').where('state', '==', 'pending');
    await db.doc('accounts/a1/commands/c0').set({ state: 'pending' });
    let step = 0;
    const changes = await collect(
      (next, fail) =>
        pending.onSnapshot((snap) => {
          next(snap);
          // Drive the next change once the previous one was seen.
          const ref = db.doc('accounts/a1/commands/c1');
          if (step === 0) void ref.set({ state: 'pending' });
          if (step === 1) void ref.update({ state: 'pending', note: 'x' });
          if (step === 2) void ref.update({ state: 'done' });
          step++;
        }, fail),
      (seen) => seen.length === 4,
    );
    assert.deepEqual(changes, [['added:c0'], ['added:c1'], ['modified:c1'], ['removed:c1']]);
  });

  it('a collection-group listener sees new documents in any account', async function () {
    requires(this, 'collectionGroupQueries');
    const db = testDb();
    const changes = await collect(
      (next, fail) =>
        db.collectionGroup('commands').onSnapshot((snap) => {
          next(snap);
          if (snap.empty) void db.doc('accounts/a9/commands/c9').set({ state: 'pending' });
        }, fail),
      (seen) => seen.some((c) => c.length > 0),
    );
    assert.deepEqual(changes.at(-1), ['added:c9']);
  });

  it('a document listener sees the document appear and disappear', async () => {
    const db = testDb();
    const ref = db.doc('hosts/h1');
    const states: boolean[] = [];
    await new Promise<void>((resolve, reject) => {
      const stop = ref.onSnapshot((snap) => {
        states.push(snap.exists);
        if (states.length === 1) void ref.set({ at: 1 });
        if (states.length === 2) void ref.delete();
        if (states.length === 3) {
          stop();
          resolve();
        }
      }, reject);
    });
    assert.deepEqual(states, [false, true, false]);
  });
});
