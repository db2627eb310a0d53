/**
 * firestore.indexes.json against the queries the functions really issue. Every listing and filter
 * combination is run against the test Firestore while firebase-admin's query execution is wrapped
 * to record each query's shape (collection, scope, filters, orders); each shape must then be
 * servable: a composite index where Firestore needs one, a collection-group single-field index
 * where the scope needs one, and no exemption on a field a query uses.
 *
 * The shape is read from the SDK's internal `_queryOptions` (a test-only dependency on internals;
 * if they change, this test fails loudly instead of passing vacuously).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MESSAGE_TYPES, threadDocId } from '@wasync/shared';
import { Query } from 'firebase-admin/firestore';
import { REPO_ROOT } from '../../../scripts/lib/firebase-emulators.ts';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import { removeMember } from '../../src/accounts/members.ts';
import { listAccounts } from '../../src/queries/accounts.ts';
import { listMessages } from '../../src/queries/messages.ts';
import { listThreads } from '../../src/queries/threads.ts';
import { seedAccount, seedThread } from '../support/fixtures.ts';

interface Shape {
  collection: string;
  scope: 'COLLECTION' | 'COLLECTION_GROUP';
  equalities: string[];
  inequalities: string[];
  orders: [string, 'ASCENDING' | 'DESCENDING'][];
}

interface IndexFile {
  indexes: { collectionGroup: string; queryScope: string; fields: { fieldPath: string; order?: string }[] }[];
  fieldOverrides: { collectionGroup: string; fieldPath: string; indexes: { queryScope: string; order?: string }[] }[];
}

const INDEXES = JSON.parse(readFileSync(join(REPO_ROOT, 'firestore.indexes.json'), 'utf8')) as IndexFile;

function record(shapes: Shape[]): () => void {
  const proto = Query.prototype as unknown as { _get: (...args: unknown[]) => Promise<unknown> };
  const original = proto._get;
  assert.equal(typeof original, 'function', 'firebase-admin Query._get exists');
  proto._get = function (this: { _queryOptions: QueryOptions }, ...args: unknown[]) {
    shapes.push(shapeOf(this._queryOptions));
    return original.apply(this, args);
  };
  return () => {
    proto._get = original;
  };
}

interface QueryOptions {
  collectionId: string;
  allDescendants: boolean;
  filters: { field: { formattedName: string }; op: string }[];
  fieldOrders: { field: { formattedName: string }; direction: 'ASCENDING' | 'DESCENDING' }[];
}

function shapeOf(o: QueryOptions): Shape {
  assert.ok(Array.isArray(o.filters) && Array.isArray(o.fieldOrders), 'firebase-admin query internals as expected');
  return {
    collection: o.collectionId,
    scope: o.allDescendants ? 'COLLECTION_GROUP' : 'COLLECTION',
    equalities: o.filters.filter((f) => f.op === 'EQUAL').map((f) => f.field.formattedName),
    inequalities: o.filters.filter((f) => f.op !== 'EQUAL').map((f) => f.field.formattedName),
    orders: o.fieldOrders.map((f) => [f.field.formattedName, f.direction]),
  };
}

type Composite = IndexFile['indexes'][number];

/** Why `shape` cannot be served by the declared indexes (undefined when it can); adds what it uses to `used`. */
function missingIndex(shape: Shape, used: Set<Composite>): string | undefined {
  const fields = [...shape.equalities, ...shape.inequalities, ...shape.orders.map(([f]) => f)].filter(
    (f) => f !== '__name__',
  );
  for (const field of new Set(fields)) {
    const override = INDEXES.fieldOverrides.find(
      (o) => o.collectionGroup === shape.collection && o.fieldPath === field,
    );
    if (override && override.indexes.length === 0) return `${shape.collection}.${field} is exempt from indexing`;
  }
  const ordered = shape.orders.filter(([f]) => f !== '__name__');
  if (ordered.length > 1) return 'more than one order field';
  if (
    ordered.length === 0 ||
    (shape.equalities.length === 0 && shape.inequalities.every((f) => f === ordered[0]![0]))
  ) {
    // Single-field indexes: automatic at collection scope, declared overrides at group scope.
    if (shape.scope === 'COLLECTION') return undefined;
    for (const field of new Set(fields)) {
      const override = INDEXES.fieldOverrides.find(
        (o) => o.collectionGroup === shape.collection && o.fieldPath === field,
      );
      if (!override?.indexes.some((i) => i.queryScope === 'COLLECTION_GROUP')) {
        return `no collection-group single-field index on ${shape.collection}.${field}`;
      }
    }
    return undefined;
  }
  const [orderField, direction] = ordered[0]!;
  const found = INDEXES.indexes.find((index) => {
    if (index.collectionGroup !== shape.collection || index.queryScope !== shape.scope) return false;
    const last = index.fields.at(-1);
    const prefix = index.fields.slice(0, -1).map((f) => f.fieldPath);
    return (
      last?.fieldPath === orderField &&
      last.order === direction &&
      prefix.length === shape.equalities.length &&
      shape.equalities.every((f) => prefix.includes(f))
    );
  });
  if (!found) return `no composite index ${JSON.stringify(shape)}`;
  used.add(found);
  return undefined;
}

describe('firestore.indexes.json', () => {
  it('serves every query the listings and member management issue', async () => {
    const db = testDb();
    await clearFirestore();
    await seedAccount(db, 'acct-i', { admin1: 'admin', admin2: 'admin' });
    await seedThread(db, { accountId: 'acct-i', jid: '4915100000123@s.whatsapp.net', count: 3 });
    const threadId = threadDocId('4915100000123@s.whatsapp.net');
    const shapes: Shape[] = [];
    const stop = record(shapes);
    try {
      const page = { limit: 2 };
      await listThreads(db, 'acct-i', page);
      await listAccounts(db, { uid: 'op', operator: true }, page);
      await listAccounts(db, { uid: 'admin1', operator: false }, page);
      await removeMember(db, { uid: 'admin1', operator: false }, { accountId: 'acct-i', uid: 'admin2' });
      for (const thread of [threadId, undefined]) {
        for (const fromMe of [undefined, true]) {
          for (const type of [undefined, MESSAGE_TYPES[0]]) {
            for (const range of [{}, { since: 1 }, { since: 1, until: 2e12 }]) {
              for (const order of ['asc', 'desc'] as const) {
                await listMessages(db, { accountId: 'acct-i', threadId: thread, fromMe, type, order, ...range }, page);
              }
            }
          }
        }
      }
    } finally {
      stop();
    }
    assert.ok(shapes.length >= 52, `recorded ${shapes.length} queries`);
    const used = new Set<Composite>();
    const problems = shapes.map((shape) => missingIndex(shape, used)).filter((p) => p !== undefined);
    assert.deepEqual([...new Set(problems)], []);
    // Every composite index costs index writes on every document it covers: each must be used.
    // The one exception is declared for the socket host's command executor (pending commands).
    const unused = INDEXES.indexes.filter((index) => !used.has(index) && index.collectionGroup !== 'commands');
    assert.deepEqual(unused, []);
  });

  it('deletes commands by a TTL policy on purgeAt, a field no index carries', () => {
    const ttl = (
      INDEXES.fieldOverrides as { collectionGroup: string; fieldPath: string; ttl?: boolean; indexes: unknown[] }[]
    ).filter((o) => o.ttl);
    assert.deepEqual(
      ttl.map((o) => [o.collectionGroup, o.fieldPath, o.indexes]),
      [['commands', 'purgeAt', []]],
    );
  });
});
