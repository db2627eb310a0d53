/**
 * Which Firestore queries code really issues, and whether `firestore.indexes.json` serves each:
 * firebase-admin's query execution is wrapped to record every query's shape (collection, scope,
 * filters, orders), and each shape must then be servable — a composite index where Firestore needs
 * one, a collection-group single-field index where the scope needs one, and no exemption on a
 * field a query uses. The emulators accept any query; production refuses one without its index.
 *
 * The shape is read from the SDK's internal `_queryOptions` (a test-only dependency on internals;
 * if they change, the checks fail loudly instead of passing vacuously).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Query } from 'firebase-admin/firestore';
import { REPO_ROOT } from '../../scripts/lib/firebase-emulators.ts';

export interface QueryShape {
  collection: string;
  scope: 'COLLECTION' | 'COLLECTION_GROUP';
  equalities: string[];
  inequalities: string[];
  /** `array-contains` filters, which need an index field with `arrayConfig: CONTAINS`. */
  arrayContains: string[];
  orders: [string, 'ASCENDING' | 'DESCENDING'][];
}

interface IndexField {
  fieldPath: string;
  order?: string;
  arrayConfig?: string;
}

export interface IndexFile {
  indexes: { collectionGroup: string; queryScope: string; fields: IndexField[] }[];
  fieldOverrides: {
    collectionGroup: string;
    fieldPath: string;
    indexes: { queryScope: string; order?: string; arrayConfig?: string }[];
  }[];
}

export type CompositeIndex = IndexFile['indexes'][number];

export const INDEXES = JSON.parse(readFileSync(join(REPO_ROOT, 'firestore.indexes.json'), 'utf8')) as IndexFile;

interface QueryOptions {
  collectionId: string;
  allDescendants: boolean;
  filters: { field: { formattedName: string }; op: string }[];
  fieldOrders: { field: { formattedName: string }; direction: 'ASCENDING' | 'DESCENDING' }[];
}

/** Filters an array index (`arrayConfig: CONTAINS`) serves: `array-contains` and `array-contains-any`. */
const ARRAY_OPS = new Set(['ARRAY_CONTAINS', 'ARRAY_CONTAINS_ANY']);

function shapeOf(o: QueryOptions): QueryShape {
  assert.ok(Array.isArray(o.filters) && Array.isArray(o.fieldOrders), 'firebase-admin query internals as expected');
  return {
    collection: o.collectionId,
    scope: o.allDescendants ? 'COLLECTION_GROUP' : 'COLLECTION',
    equalities: o.filters.filter((f) => f.op === 'EQUAL').map((f) => f.field.formattedName),
    inequalities: o.filters.filter((f) => f.op !== 'EQUAL' && !ARRAY_OPS.has(f.op)).map((f) => f.field.formattedName),
    arrayContains: o.filters.filter((f) => ARRAY_OPS.has(f.op)).map((f) => f.field.formattedName),
    orders: o.fieldOrders.map((f) => [f.field.formattedName, f.direction]),
  };
}

/** Records the shape of every query run until the returned function is called. */
export function recordQueries(shapes: QueryShape[]): () => void {
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

function override(collection: string, field: string) {
  return INDEXES.fieldOverrides.find((o) => o.collectionGroup === collection && o.fieldPath === field);
}

function compositeFor(shape: QueryShape, fields: Set<string>): CompositeIndex | undefined {
  const [orderField, direction] = shape.orders.find(([f]) => f !== '__name__') ?? [];
  return INDEXES.indexes.find((index) => {
    if (index.collectionGroup !== shape.collection || index.queryScope !== shape.scope) return false;
    if (index.fields.length !== fields.size || !index.fields.every((f) => fields.has(f.fieldPath))) return false;
    const byPath = new Map(index.fields.map((f) => [f.fieldPath, f]));
    if (!shape.equalities.every((f) => byPath.get(f)?.order !== undefined)) return false;
    if (!shape.arrayContains.every((f) => byPath.get(f)?.arrayConfig === 'CONTAINS')) return false;
    if (orderField === undefined) return true;
    const last = index.fields.at(-1);
    return last?.fieldPath === orderField && last.order === direction;
  });
}

/**
 * Whether single-field indexes serve `shape`: equality and array-contains filters merge (no
 * order), or one field is filtered and ordered on. Automatic at collection scope; at
 * collection-group scope each field needs a declared override of that scope.
 */
function singleFieldProblem(shape: QueryShape, fields: Set<string>): string | undefined {
  const [orderField] = shape.orders.find(([f]) => f !== '__name__') ?? [];
  const mergeable =
    orderField === undefined
      ? shape.inequalities.length === 0 || fields.size === 1
      : shape.equalities.length === 0 &&
        shape.arrayContains.length === 0 &&
        shape.inequalities.every((f) => f === orderField);
  if (!mergeable) return 'needs a composite index';
  if (shape.scope === 'COLLECTION') return undefined;
  for (const field of fields) {
    const contains = shape.arrayContains.includes(field);
    const declared = override(shape.collection, field)?.indexes.some(
      (i) => i.queryScope === 'COLLECTION_GROUP' && (contains ? i.arrayConfig === 'CONTAINS' : i.order !== undefined),
    );
    if (!declared) return `no collection-group single-field index on ${shape.collection}.${field}`;
  }
  return undefined;
}

/** Why `shape` cannot be served by the declared indexes (undefined when it can); adds the composite it uses to `used`. */
export function missingIndex(shape: QueryShape, used: Set<CompositeIndex>): string | undefined {
  const fields = new Set(
    [...shape.equalities, ...shape.inequalities, ...shape.arrayContains, ...shape.orders.map(([f]) => f)].filter(
      (f) => f !== '__name__',
    ),
  );
  for (const field of fields) {
    const exempt = override(shape.collection, field);
    if (exempt && exempt.indexes.length === 0) return `${shape.collection}.${field} is exempt from indexing`;
  }
  if (shape.orders.filter(([f]) => f !== '__name__').length > 1) return 'more than one order field';
  const composite = compositeFor(shape, fields);
  if (composite) {
    used.add(composite);
    return undefined;
  }
  const problem = singleFieldProblem(shape, fields);
  return problem && `${problem}: ${JSON.stringify(shape)}`;
}
