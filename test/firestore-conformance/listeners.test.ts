/**
 * Conformance: snapshot listeners, which the socket host uses to pick up command documents.
 */
import assert from 'node:assert/strict';
import { deleteApp, type FirebaseApp, initializeApp } from 'firebase/app';
import {
  type Firestore as ClientFirestore,
  collection as clientCollection,
  connectFirestoreEmulator,
  getFirestore,
  onSnapshot,
  terminate,
} from 'firebase/firestore';
import type { DocumentChangeType, QuerySnapshot } from 'firebase-admin/firestore';
import { DEMO_PROJECT } from '../../scripts/lib/firestore-backend.ts';
import { waitFor } from '../../scripts/lib/ports.ts';
import { clearFirestore, embeddedAdminUrl, firestoreHost, requires, testDb } from '../support/firestore.ts';

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

/**
 * The client SDK (`firebase` package, what apps use) multiplexes every listener of an app on one
 * Listen stream, adding and removing targets as listeners come and go; firebase-admin opens one
 * stream per listener, so only the client SDK exercises this.
 */
describe('Firestore conformance: client SDK listeners share one stream', () => {
  let app: FirebaseApp;
  let db: ClientFirestore;
  before(() => {
    app = initializeApp({ projectId: DEMO_PROJECT, apiKey: 'fake-api-key' }, `conformance-${process.pid}`);
    db = getFirestore(app);
    const [host, port] = firestoreHost().split(':');
    connectFirestoreEmulator(db, host!, Number(port));
  });
  after(async () => {
    await terminate(db);
    await deleteApp(app);
  });
  beforeEach(clearFirestore);

  /** Resolves with the first snapshot of `ids` that `ready` accepts. */
  function until(path: string, ready: (ids: string[]) => boolean): { done: Promise<string[]>; stop: () => void } {
    let stop = () => {};
    const done = new Promise<string[]>((resolve, reject) => {
      stop = onSnapshot(
        clientCollection(db, path),
        (snap) => {
          const ids = snap.docs.map((d) => d.id).sort();
          if (ready(ids)) resolve(ids);
        },
        reject,
      );
    });
    return { done, stop: () => stop() };
  }

  it('answers a second and third listener added to the same stream', async () => {
    await testDb().doc('accounts/a1/threads/t1').set({ n: 1 });
    await testDb().doc('accounts/a2/threads/t2').set({ n: 2 });
    const first = until('accounts/a1/threads', (ids) => ids.length === 1);
    assert.deepEqual(await first.done, ['t1']);
    const second = until('accounts/a2/threads', (ids) => ids.length === 1);
    const third = until('accounts/a1/threads', (ids) => ids.includes('t3'));
    assert.deepEqual(await second.done, ['t2']);
    await testDb().doc('accounts/a1/threads/t3').set({ n: 3 });
    assert.deepEqual(await third.done, ['t1', 't3']);
    for (const l of [first, second, third]) l.stop();
  });

  it('keeps serving the other listeners after one is removed', async () => {
    // Other accounts than the test above: the client's cache still holds what that one saw. Two
    // different queries: listeners of one query share a target, and removing one of them would
    // send no remove_target at all.
    const removed = until('accounts/b1/threads', () => true);
    const kept = until('accounts/b2/threads', (ids) => ids.includes('after'));
    await removed.done;
    removed.stop();
    await testDb().doc('accounts/b2/threads/after').set({ n: 1 });
    assert.deepEqual(await kept.done, ['after']);
    kept.stop();
  });

  it('embedded: removed and closed listeners leave no subscription behind', async function () {
    const admin = embeddedAdminUrl();
    if (!admin) this.skip(); // the official emulator's internals are not observable
    const targets = async () => ((await (await fetch(`${admin}/listeners`)).json()) as { targets: number }).targets;
    const before = await targets();
    const listeners = ['c1', 'c2', 'c3'].map((id) => until(`accounts/${id}/threads`, () => true));
    await Promise.all(listeners.map((l) => l.done));
    assert.equal(await targets(), before + 3);
    for (const l of listeners) l.stop();
    await waitFor('removed targets to be released', async () => (await targets()) === before, 5_000);
  });
});
