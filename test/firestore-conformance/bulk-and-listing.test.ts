/**
 * Conformance: BulkWriter (the ingest path, DESIGN I6) and the listing calls that admin tooling and
 * recursive deletes use.
 */
import assert from 'node:assert/strict';
import { FieldValue } from 'firebase-admin/firestore';
import { clearFirestore, testDb } from '../support/firestore.ts';
import { grpcCode } from './helpers.ts';

describe('Firestore conformance: BulkWriter and listings', () => {
  beforeEach(clearFirestore);

  it('BulkWriter writes every document and reports each failure on its own', async () => {
    const db = testDb();
    await db.doc('leases/taken').create({ epoch: 1 });
    const writer = db.bulkWriter();
    writer.onWriteError(() => false); // no retries: a failure is final
    const writes = Array.from({ length: 120 }, (_, i) =>
      writer.set(db.doc(`accounts/a1/threads/t/messages/m${i}`), { i, at: FieldValue.serverTimestamp() }),
    );
    const failed = writer.create(db.doc('leases/taken'), { epoch: 2 }).then(
      () => 'written',
      (err) => grpcCode(err),
    );
    await writer.close();
    await Promise.all(writes);
    assert.equal(await failed, 6); // ALREADY_EXISTS, while the other writes landed
    assert.equal((await db.collection('accounts/a1/threads/t/messages').count().get()).data().count, 120);
    assert.equal((await db.doc('leases/taken').get()).get('epoch'), 1);
  });

  it('listDocuments includes documents that exist only as parents of subcollections', async () => {
    const db = testDb();
    await Promise.all([
      db.doc('accounts/a1').set({ n: 1 }),
      db.doc('accounts/ghost/threads/t1').set({ n: 1 }),
      db.doc('accounts/a2').set({ n: 2 }),
    ]);
    const refs = await db.collection('accounts').listDocuments();
    assert.deepEqual(refs.map((r) => r.id).sort(), ['a1', 'a2', 'ghost']);
  });

  it('listCollections lists the root and a document’s subcollections that hold documents', async () => {
    const db = testDb();
    await Promise.all([
      db.doc('accounts/a1/threads/t1').set({ n: 1 }),
      db.doc('accounts/a1/members/u1').set({ role: 'admin' }),
      db.doc('hosts/h1').set({ n: 1 }),
    ]);
    assert.deepEqual((await db.listCollections()).map((c) => c.id).sort(), ['accounts', 'hosts']);
    assert.deepEqual((await db.doc('accounts/a1').listCollections()).map((c) => c.id).sort(), ['members', 'threads']);
    await db.doc('accounts/a1/members/u1').delete();
    assert.deepEqual(
      (await db.doc('accounts/a1').listCollections()).map((c) => c.id),
      ['threads'],
    );
  });
});
