/**
 * Measures Firestore reads made by the code under test, independently of it: wraps firebase-admin's
 * `Query.get` and `Firestore.getAll` (the prototype methods every query, collection reference and
 * `DocumentReference.get` go through) and records how many documents each call returned.
 * Firestore bills one read per document a query returns (and one for an empty result).
 */
import { Firestore, Query, type QuerySnapshot } from 'firebase-admin/firestore';

export interface ReadRecord {
  /** `query`: a query's documents; `docs`: documents fetched by reference (`get`, `getAll`). */
  kind: 'query' | 'docs';
  docs: number;
}

export class ReadMeter {
  readonly records: ReadRecord[] = [];
  #restore: (() => void)[] = [];

  start(): this {
    const records = this.records;
    const queryGet = Query.prototype.get;
    Query.prototype.get = async function (this: Query) {
      const snapshot = (await queryGet.call(this)) as QuerySnapshot;
      records.push({ kind: 'query', docs: snapshot.size });
      return snapshot;
    } as typeof queryGet;
    const getAll = Firestore.prototype.getAll;
    Firestore.prototype.getAll = async function (this: Firestore, ...args: Parameters<typeof getAll>) {
      const snapshots = await getAll.apply(this, args);
      records.push({ kind: 'docs', docs: snapshots.length });
      return snapshots;
    } as typeof getAll;
    this.#restore.push(
      () => {
        Query.prototype.get = queryGet;
      },
      () => {
        Firestore.prototype.getAll = getAll;
      },
    );
    return this;
  }

  stop(): void {
    for (const restore of this.#restore.splice(0)) restore();
  }

  reset(): void {
    this.records.length = 0;
  }

  /** Documents returned by queries (not single-document gets). */
  queryDocs(): number[] {
    return this.records.filter((r) => r.kind === 'query').map((r) => r.docs);
  }
}
