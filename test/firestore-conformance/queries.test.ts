/**
 * Conformance: the queries this project runs (thread and message listings with cursors, the
 * cross-thread messages API over a collection group, recursive deletes) return what Firestore
 * returns. Only single-field and equality filters plus one order-by are used where the official
 * emulator would need a composite index in production; the emulators need none.
 */
import assert from 'node:assert/strict';
import { FieldPath, GeoPoint, type Query, Timestamp } from 'firebase-admin/firestore';
import { clearFirestore, requires, testDb } from '../support/firestore.ts';

const ids = async (q: Query) => (await q.get()).docs.map((d) => d.id);

describe('Firestore conformance: queries', () => {
  beforeEach(clearFirestore);

  it('collection-group queries find the collection at any depth', async function () {
    requires(this, 'collectionGroupQueries');
    const db = testDb();
    await Promise.all([
      db.doc('accounts/a1/threads/t1/messages/m1').set({ accountId: 'a1', fromMe: true, at: 1 }),
      db.doc('accounts/a1/threads/t2/messages/m2').set({ accountId: 'a1', fromMe: false, at: 2 }),
      db.doc('accounts/a2/threads/t9/messages/m3').set({ accountId: 'a2', fromMe: true, at: 3 }),
      db.doc('messages/top').set({ accountId: 'a1', fromMe: true, at: 4 }),
      db.doc('accounts/a1/notMessages/x').set({ accountId: 'a1', fromMe: true, at: 5 }),
    ]);
    const messages = db.collectionGroup('messages');
    assert.deepEqual(await ids(messages.where('fromMe', '==', true).orderBy('at')), ['m1', 'm3', 'top']);
    // Scoped to one account by its field, as the cross-thread messages API reads it.
    assert.deepEqual(await ids(messages.where('accountId', '==', 'a1').orderBy('at', 'desc')), ['top', 'm2', 'm1']);
    assert.equal((await messages.count().get()).data().count, 4);
  });

  it('orders ties by document name and excludes documents without the order-by field', async () => {
    const db = testDb();
    const col = db.collection('threads');
    await Promise.all([
      col.doc('c').set({ at: 1 }),
      col.doc('a').set({ at: 1 }),
      col.doc('b').set({ at: 0 }),
      col.doc('d').set({ other: true }),
    ]);
    assert.deepEqual(await ids(col.orderBy('at')), ['b', 'a', 'c']);
    // Descending order breaks ties by name descending too.
    assert.deepEqual(await ids(col.orderBy('at', 'desc')), ['c', 'a', 'b']);
    assert.deepEqual(await ids(col), ['a', 'b', 'c', 'd']);
  });

  it('orders values of mixed types in Firestore’s type order; range filters keep to one type', async () => {
    const db = testDb();
    const col = db.collection('mixed');
    // In the expected order (null < booleans < NaN < numbers < timestamps < strings < bytes <
    // references < geo points < arrays < maps), which the ids' own order is not.
    const values: [string, unknown][] = [
      ['null', null],
      ['false', false],
      ['true', true],
      ['nan', Number.NaN],
      ['minusInfinity', Number.NEGATIVE_INFINITY],
      ['minusOne', -1],
      ['zero', 0],
      ['half', 0.5],
      ['one', 1],
      ['infinity', Number.POSITIVE_INFINITY],
      ['time', Timestamp.fromMillis(0)],
      ['emptyString', ''],
      ['a', 'a'],
      ['bytes', Buffer.from([1])],
      ['ref', db.doc('a/b')],
      ['geo', new GeoPoint(0, 0)],
      ['emptyArray', []],
      ['array', [1]],
      ['emptyMap', {}],
      ['map', { a: 1 }],
    ];
    await Promise.all(values.map(([id, v]) => col.doc(id).set({ v })));
    const expected = values.map(([id]) => id);
    assert.deepEqual(await ids(col.orderBy('v')), expected);
    assert.deepEqual(await ids(col.orderBy('v', 'desc')), [...expected].reverse());
    assert.deepEqual(await ids(col.where('v', '>=', 0)), ['zero', 'half', 'one', 'infinity']);
    assert.deepEqual(await ids(col.where('v', '>', '')), ['a']);
  });

  it('pages with offset, startAfter, startAt, endBefore and endAt', async () => {
    const db = testDb();
    const col = db.collection('messages');
    await Promise.all([1, 2, 3, 4, 5].map((n) => col.doc(`m${n}`).set({ at: n })));
    const byAt = col.orderBy('at');
    assert.deepEqual(await ids(byAt.offset(2).limit(2)), ['m3', 'm4']);
    assert.deepEqual(await ids(byAt.startAfter(2)), ['m3', 'm4', 'm5']);
    assert.deepEqual(await ids(byAt.startAt(2).endBefore(4)), ['m2', 'm3']);
    assert.deepEqual(await ids(byAt.endAt(2)), ['m1', 'm2']);
    // Cursor from a snapshot: continues after that document (what nextCursor pagination does).
    const first = await byAt.limit(2).get();
    assert.deepEqual(await ids(byAt.startAfter(first.docs[1]!).limit(2)), ['m3', 'm4']);
    assert.deepEqual(await ids(col.orderBy('at', 'desc').limitToLast(2)), ['m2', 'm1']);
  });

  it('a snapshot cursor pages through equal order-by values without skipping or repeating', async () => {
    const db = testDb();
    const col = db.collection('messages');
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => col.doc(id).set({ at: 7 })));
    const seen: string[] = [];
    let page = await col.orderBy('at').limit(2).get();
    while (!page.empty) {
      seen.push(...page.docs.map((d) => d.id));
      page = await col.orderBy('at').startAfter(page.docs.at(-1)!).limit(2).get();
    }
    assert.deepEqual(seen, ['a', 'b', 'c', 'd', 'e']);
  });

  it('filters on == null, == NaN and their negations', async () => {
    const db = testDb();
    const col = db.collection('messages');
    await Promise.all([
      col.doc('null').set({ v: null }),
      col.doc('nan').set({ v: Number.NaN }),
      col.doc('one').set({ v: 1 }),
      col.doc('none').set({ w: 1 }),
    ]);
    assert.deepEqual(await ids(col.where('v', '==', null)), ['null']);
    assert.deepEqual(await ids(col.where('v', '==', Number.NaN)), ['nan']);
    assert.deepEqual(await ids(col.where('v', '!=', null)), ['nan', 'one']);
    assert.deepEqual(await ids(col.where('v', '!=', Number.NaN)), ['one']);
    assert.deepEqual(await ids(col.where('v', '!=', 1)), ['nan']);
  });

  it('filters with where, in, not-in, array-contains, array-contains-any, ranges and OR', async () => {
    const db = testDb();
    const col = db.collection('messages');
    await Promise.all([
      col.doc('m1').set({ status: 'read', n: 1, tags: ['a', 'b'] }),
      col.doc('m2').set({ status: 'delivered', n: 2.5, tags: ['b'] }),
      col.doc('m3').set({ status: 'pending', n: 3, tags: [] }),
    ]);
    const { Filter } = await import('firebase-admin/firestore');
    assert.deepEqual(await ids(col.where('status', 'in', ['read', 'pending'])), ['m1', 'm3']);
    assert.deepEqual(await ids(col.where('status', 'not-in', ['read', 'pending'])), ['m2']);
    assert.deepEqual(await ids(col.where('tags', 'array-contains', 'b')), ['m1', 'm2']);
    assert.deepEqual(await ids(col.where('tags', 'array-contains-any', ['a', 'z'])), ['m1']);
    // Integers and doubles compare as numbers.
    assert.deepEqual(await ids(col.where('n', '>', 1).where('n', '<=', 3)), ['m2', 'm3']);
    assert.deepEqual(await ids(col.where('n', '==', 3.0)), ['m3']);
    assert.deepEqual(
      await ids(col.where(Filter.or(Filter.where('status', '==', 'read'), Filter.where('n', '==', 3)))),
      ['m1', 'm3'],
    );
  });

  it('nests AND and OR filters', async () => {
    const db = testDb();
    const { Filter } = await import('firebase-admin/firestore');
    const col = db.collection('messages');
    await Promise.all([
      col.doc('m1').set({ a: 1, b: 1, c: 1 }),
      col.doc('m2').set({ a: 1, b: 2, c: 2 }),
      col.doc('m3').set({ a: 2, b: 2, c: 1 }),
      col.doc('m4').set({ a: 1, b: 3, c: 3 }),
    ]);
    const q = col.where(
      Filter.and(
        Filter.where('a', '==', 1),
        Filter.or(Filter.where('b', '==', 2), Filter.and(Filter.where('b', '==', 1), Filter.where('c', '==', 1))),
      ),
    );
    assert.deepEqual(await ids(q), ['m1', 'm2']);
  });

  it('filters and orders on nested field paths, including keys that need quoting', async () => {
    const db = testDb();
    const col = db.collection('messages');
    await Promise.all([
      col.doc('m1').set({ lastMessage: { at: 2, status: 'read' }, receipts: { '111@lid': { read: true } } }),
      col.doc('m2').set({ lastMessage: { at: 1, status: 'delivered' }, receipts: { '111@lid': { read: false } } }),
      col.doc('m3').set({ lastMessage: { at: 3, status: 'read' } }),
    ]);
    assert.deepEqual(await ids(col.orderBy('lastMessage.at')), ['m2', 'm1', 'm3']);
    assert.deepEqual(await ids(col.where('lastMessage.status', '==', 'read')), ['m1', 'm3']);
    assert.deepEqual(await ids(col.where(new FieldPath('receipts', '111@lid', 'read'), '==', true)), ['m1']);
  });

  it('compares document names in filters and cursors', async () => {
    const db = testDb();
    const col = db.collection('threads');
    await Promise.all(['A', 'b', 'c', 'd'].map((id) => col.doc(id).set({ x: 1 })));
    assert.deepEqual(await ids(col.where(FieldPath.documentId(), '>=', 'b')), ['b', 'c', 'd']);
    assert.deepEqual(await ids(col.where(FieldPath.documentId(), 'in', ['c', 'A'])), ['A', 'c']);
    assert.deepEqual(await ids(col.orderBy(FieldPath.documentId(), 'desc').startAfter('c')), ['b', 'A']);
  });

  it('recursiveDelete removes a document and everything below it, and nothing else', async () => {
    const db = testDb();
    await Promise.all([
      db.doc('accounts/a1').set({ n: 1 }),
      db.doc('accounts/a1/threads/t1').set({ n: 1 }),
      db.doc('accounts/a1/threads/t1/messages/m1').set({ n: 1 }),
      db.doc('accounts/a1/members/u1').set({ role: 'admin' }),
      db.doc('accounts/a10/threads/t1').set({ n: 1 }),
      db.doc('accounts/a2/threads/t1').set({ n: 1 }),
    ]);
    await db.recursiveDelete(db.doc('accounts/a1'));
    const left = await Promise.all(
      [
        'accounts/a1',
        'accounts/a1/threads/t1',
        'accounts/a1/threads/t1/messages/m1',
        'accounts/a1/members/u1',
        'accounts/a10/threads/t1',
        'accounts/a2/threads/t1',
      ].map(async (p) => (await db.doc(p).get()).exists),
    );
    assert.deepEqual(left, [false, false, false, false, true, true]);
  });

  it('counts with count(), also under a filter and a limit', async () => {
    const db = testDb();
    const col = db.collection('messages');
    await Promise.all([1, 2, 3, 4].map((n) => col.doc(`m${n}`).set({ n, fromMe: n % 2 === 0 })));
    assert.equal((await col.count().get()).data().count, 4);
    assert.equal((await col.where('fromMe', '==', true).count().get()).data().count, 2);
    assert.equal((await col.orderBy('n').limit(3).count().get()).data().count, 3);
  });

  it('getAll returns documents in request order, missing ones as not existing', async () => {
    const db = testDb();
    await db.doc('accounts/a2').set({ n: 2 });
    const snaps = await db.getAll(db.doc('accounts/a2'), db.doc('accounts/missing'), db.doc('accounts/a2'));
    assert.deepEqual(
      snaps.map((s) => [s.id, s.exists]),
      [
        ['a2', true],
        ['missing', false],
        ['a2', true],
      ],
    );
  });

  it('select() returns only the selected fields', async () => {
    const db = testDb();
    await db.doc('messages/m1').set({ text: 'hi', status: 'read', media: { size: 3, kind: 'image' } });
    const [doc] = (await db.collection('messages').select('status', 'media.kind').get()).docs;
    assert.deepEqual(doc!.data(), { status: 'read', media: { kind: 'image' } });
  });
});
