/**
 * Conformance: writes land exactly as Firestore lands them. Receipts and reactions are maps keyed
 * by JIDs (`111@lid` needs quoting in a field path), leases rely on create() and lastUpdateTime
 * preconditions, and crash tests rely on a failed batch leaving nothing behind.
 */
import assert from 'node:assert/strict';
import { FieldPath, FieldValue, Timestamp } from 'firebase-admin/firestore';
import { clearFirestore, testDb } from '../support/firestore.ts';
import { grpcCode } from './helpers.ts';

const ALREADY_EXISTS = 6;
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;

describe('Firestore conformance: writes', () => {
  beforeEach(clearFirestore);

  it('create() refuses an existing document with ALREADY_EXISTS, update() a missing one with NOT_FOUND', async () => {
    const db = testDb();
    await db.doc('leases/a1').create({ epoch: 1 });
    await assert.rejects(db.doc('leases/a1').create({ epoch: 2 }), (e) => grpcCode(e) === ALREADY_EXISTS);
    await assert.rejects(db.doc('leases/none').update({ epoch: 2 }), (e) => grpcCode(e) === NOT_FOUND);
    assert.equal((await db.doc('leases/a1').get()).get('epoch'), 1);
  });

  it('honours lastUpdateTime preconditions on update and delete', async () => {
    const db = testDb();
    const ref = db.doc('leases/a1');
    const first = await ref.set({ holder: 'h1' });
    const second = await ref.update({ holder: 'h2' });
    // A stale version is refused and changes nothing.
    await assert.rejects(
      ref.update({ holder: 'h3' }, { lastUpdateTime: first.writeTime }),
      (e) => grpcCode(e) === FAILED_PRECONDITION,
    );
    await assert.rejects(ref.delete({ lastUpdateTime: first.writeTime }), (e) => grpcCode(e) === FAILED_PRECONDITION);
    assert.equal((await ref.get()).get('holder'), 'h2');
    // The current version is accepted.
    await ref.update({ holder: 'h3' }, { lastUpdateTime: second.writeTime });
    assert.equal((await ref.get()).get('holder'), 'h3');
  });

  it('gives every write of a document its own update time, even within one millisecond', async () => {
    const db = testDb();
    const ref = db.doc('leases/l1');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => ref.set({ i })));
    const times = new Set(results.map((r) => `${r.writeTime.seconds}.${r.writeTime.nanoseconds}`));
    assert.equal(times.size, 20);
    // The document's updateTime is its last write's, so a lastUpdateTime check tells them apart.
    const snap = await ref.get();
    const last = results.find((r) => r.writeTime.isEqual(snap.updateTime!));
    assert.ok(last, 'updateTime is one of the write times');
    assert.ok(results.every((r) => r.writeTime <= last.writeTime));
  });

  it('FieldValue.delete() removes top-level and nested fields', async () => {
    const db = testDb();
    const ref = db.doc('messages/m1');
    await ref.set({ text: 'hi', media: { size: 3, kind: 'image' }, keep: true });
    await ref.update({ text: FieldValue.delete(), 'media.size': FieldValue.delete() });
    assert.deepEqual((await ref.get()).data(), { media: { kind: 'image' }, keep: true });
    await ref.set({ keep: FieldValue.delete(), media: { kind: FieldValue.delete() } }, { merge: true });
    assert.deepEqual((await ref.get()).data(), { media: {} });
  });

  it('set() without merge replaces the whole document', async () => {
    const db = testDb();
    const ref = db.doc('messages/m1');
    await ref.set({ text: 'hi', status: 'read', media: { size: 3 } });
    await ref.set({ text: 'edited' });
    assert.deepEqual((await ref.get()).data(), { text: 'edited' });
  });

  it('update() replaces a map value it names, merge keeps its siblings', async () => {
    const db = testDb();
    const ref = db.doc('messages/m1');
    await ref.set({ media: { size: 3, kind: 'image' }, status: 'read' });
    await ref.update({ media: { size: 4 } });
    assert.deepEqual((await ref.get()).data(), { media: { size: 4 }, status: 'read' });
    await ref.set({ media: { kind: 'video' } }, { merge: true });
    assert.deepEqual((await ref.get()).data(), { media: { size: 4, kind: 'video' }, status: 'read' });
  });

  it('merge keeps map keys that need quoting (JIDs such as 111@lid, a-b, 1a)', async () => {
    const db = testDb();
    const ref = db.doc('messages/m1');
    const t = Timestamp.fromMillis(1_700_000_000_000);
    await ref.set({ receipts: { '111@lid': { readAt: t } } }, { merge: true });
    await ref.set({ receipts: { 'a-b': { readAt: t }, '1a': { readAt: t } } }, { merge: true });
    await ref.set({ reactions: { '111@s.whatsapp.net': '👍', 'x`y\\z': '!' } }, { merge: true });
    await ref.update(new FieldPath('receipts', '111@lid', 'playedAt'), t);
    assert.deepEqual((await ref.get()).data(), {
      receipts: { '111@lid': { readAt: t, playedAt: t }, 'a-b': { readAt: t }, '1a': { readAt: t } },
      reactions: { '111@s.whatsapp.net': '👍', 'x`y\\z': '!' },
    });
  });

  it('applies every transform of one write: serverTimestamp, increment, arrayUnion, arrayRemove', async () => {
    const db = testDb();
    const ref = db.doc('accounts/a1');
    await ref.set({ n: 1, tags: ['a', 'b'], nested: { count: 1 } });
    const result = await ref.update({
      n: FieldValue.increment(2),
      tags: FieldValue.arrayRemove('a'),
      added: FieldValue.arrayUnion('x', 'y', 'x'),
      'nested.count': FieldValue.increment(5),
      'nested.fresh': FieldValue.increment(1.5),
      updatedAt: FieldValue.serverTimestamp(),
    });
    const data = (await ref.get()).data()!;
    assert.deepEqual(
      { ...data, updatedAt: undefined },
      { n: 3, tags: ['b'], added: ['x', 'y'], nested: { count: 6, fresh: 1.5 }, updatedAt: undefined },
    );
    // The server timestamp is the commit time.
    assert.ok((data.updatedAt as Timestamp).isEqual(result.writeTime));
  });

  it('arrayUnion and increment on missing fields set them; on a new document too', async () => {
    const db = testDb();
    await db.doc('accounts/a2').set({ tags: FieldValue.arrayUnion('a'), n: FieldValue.increment(1) }, { merge: true });
    await db.doc('accounts/a2').set({ other: FieldValue.arrayUnion('b') }, { merge: true });
    assert.deepEqual((await db.doc('accounts/a2').get()).data(), { tags: ['a'], n: 1, other: ['b'] });
  });

  it('commits a WriteBatch of 500 writes', async () => {
    const db = testDb();
    const batch = db.batch();
    for (let i = 0; i < 500; i++) batch.set(db.doc(`accounts/a1/threads/t/messages/m${i}`), { i });
    await batch.commit();
    assert.equal((await db.collection('accounts/a1/threads/t/messages').count().get()).data().count, 500);
  });

  it('a batch with one failing write applies none of its writes', async () => {
    const db = testDb();
    await db.doc('leases/a1').create({ epoch: 1 });
    await db.doc('accounts/a1').create({ n: 1 });
    const batch = db.batch();
    batch.set(db.doc('messages/m1'), { text: 'first' });
    batch.update(db.doc('accounts/a1'), { n: FieldValue.increment(1) });
    batch.create(db.doc('leases/a1'), { epoch: 2 }); // fails: already exists
    batch.set(db.doc('messages/m2'), { text: 'last' });
    await assert.rejects(batch.commit(), (e) => grpcCode(e) === ALREADY_EXISTS);
    const [m1, a1, lease, m2] = await db.getAll(
      db.doc('messages/m1'),
      db.doc('accounts/a1'),
      db.doc('leases/a1'),
      db.doc('messages/m2'),
    );
    assert.deepEqual([m1!.exists, a1!.get('n'), lease!.get('epoch'), m2!.exists], [false, 1, 1, false]);
  });

  it('later writes of one batch see the earlier ones', async () => {
    const db = testDb();
    const batch = db.batch();
    const ref = db.doc('accounts/a1');
    batch.create(ref, { n: 1 });
    batch.update(ref, { n: FieldValue.increment(1), tags: FieldValue.arrayUnion('x') });
    batch.update(ref, { tags: FieldValue.arrayUnion('y') });
    await batch.commit();
    assert.deepEqual((await ref.get()).data(), { n: 2, tags: ['x', 'y'] });
  });
});
