/**
 * The write planner's commits executed with the real firebase-admin SDK against the test Firestore,
 * one `WriteBatch` per commit, documents through the shared converters: what Firestore holds
 * afterwards is exactly the planner's in-memory model — including the JID-keyed maps (receipts,
 * reactions) that the backend would lose in field-path merges, and the re-keys and thread merges of
 * late LID ↔ PN mappings. This is the shape of the pipeline's commit step.
 *
 * Baileys is ESM-only, so mocha loads this file as ESM and `../support/firestore.ts` as a second
 * module instance whose backend handle is unset: the test therefore writes under an account id of
 * its own instead of clearing the database.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type Commit, InMemoryStore, makeDocumentConverters } from '@wasync/shared';
import { type Firestore, Timestamp } from 'firebase-admin/firestore';
import { deliver } from '../../shared/test/support/baileys-feed.ts';
import { eventsOf, planAndApply } from '../../shared/test/support/pipeline.ts';
import { anchors, deliveries, T } from '../../shared/test/support/world.ts';
import { testDb } from '../support/firestore.ts';

const docs = makeDocumentConverters(Timestamp);

async function commitToFirestore(db: Firestore, commit: Commit): Promise<void> {
  const batch = db.batch();
  for (const op of commit.ops) {
    const toStored = (data: unknown) => docs[op.kind].toFirestore(data as never) as FirebaseFirestore.DocumentData;
    switch (op.type) {
      case 'create':
        batch.create(db.doc(op.path), toStored(op.data));
        break;
      case 'merge':
        // `set` replaces the whole document on Firestore. The embedded emulator (@firestore-emulator/server
        // 0.3.15) keeps fields the new data lacks — a tombstone would keep its media — so the test
        // deletes first; a pipeline on real Firestore needs only the `set`.
        batch.delete(db.doc(op.path));
        batch.set(db.doc(op.path), toStored(op.data));
        break;
      case 'delete':
        batch.delete(db.doc(op.path));
        break;
      case 'rekey':
        batch.delete(db.doc(op.from));
        if (op.toExists) batch.delete(db.doc(op.to)); // the same emulator defect as above
        batch.set(db.doc(op.to), toStored(op.data));
        break;
    }
  }
  await batch.commit();
}

describe('write planner commits on Firestore (firebase-admin)', function () {
  this.timeout(60_000);
  it('leaves Firestore equal to the planner’s model after history, live events, buffering and late mappings', async () => {
    const db = testDb();
    const model = new InMemoryStore(`planner-${randomUUID()}`);
    const written = new Set<string>();
    const options = { receivedAt: (T + 3600) * 1000, now: (T + 3600) * 1000, maxWritesPerCommit: 5 };
    const world = deliveries();
    const windows = [
      { items: world.slice(0, 9), buffered: true },
      { items: world.slice(9), buffered: false },
    ];
    const run = async (events: ReturnType<typeof eventsOf>) => {
      const plan = planAndApply(model, events, options);
      for (const commit of plan.commits) {
        await commitToFirestore(db, commit);
        for (const op of commit.ops) written.add(op.type === 'rekey' ? op.to : op.path);
        for (const op of commit.ops) if (op.type === 'rekey') written.add(op.from);
      }
    };
    for (const window of windows) {
      for (const map of await deliver(window.items, window.buffered)) await run(eventsOf([map], options));
    }
    for (const map of anchors()) await run(eventsOf([map], { ...options, historySource: 'import' }));

    assert.ok(written.size > 10);
    const snapshots = await db.getAll(...[...written].map((path) => db.doc(path)));
    for (const snapshot of snapshots) {
      const path = snapshot.ref.path;
      const expected = model.docs.get(path);
      if (!expected) {
        assert.equal(snapshot.exists, false, `${path} should have been deleted`);
        continue;
      }
      const kind = path.includes('/messages/')
        ? 'message'
        : path.includes('/lidPnPairs/')
          ? 'lidPnPair'
          : path.includes('/pendingUpdates/')
            ? 'pendingUpdates'
            : 'thread';
      assert.deepEqual(docs[kind].fromFirestore(snapshot.data()), expected, path);
    }
    // Every document of the model was written.
    for (const path of model.docs.keys()) assert.ok(written.has(path), path);
  });
});
