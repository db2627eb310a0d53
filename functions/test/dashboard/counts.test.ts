/**
 * Thread and message counts come from aggregate count() queries (no documents read), are kept
 * per instance for a while so a 2 s poll does not recount, and a failure is not kept.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Firestore } from 'firebase-admin/firestore';
import { REPO_ROOT } from '../../../scripts/lib/firebase-emulators.ts';
import { clearFirestore, requires, testDb } from '../../../test/support/firestore.ts';
import { CountCache, countAccount } from '../../src/dashboard/counts.ts';
import { seedAccount, seedThread } from '../support/fixtures.ts';
import { ReadMeter } from '../support/reads.ts';

describe('dashboard: counts', function () {
  this.timeout(60_000);

  before(async () => {
    await clearFirestore();
    await seedAccount(testDb(), 'count-a', {});
    await seedAccount(testDb(), 'count-b', {});
    await seedThread(testDb(), { accountId: 'count-a', jid: '4915100000001@s.whatsapp.net', count: 120 });
    await seedThread(testDb(), { accountId: 'count-a', jid: '120363000000000001@g.us', count: 30 });
    await seedThread(testDb(), { accountId: 'count-b', jid: '4915100000002@s.whatsapp.net', count: 7 });
  });

  it("counts an account's threads and its messages across threads, reading no documents", async function () {
    requires(this, 'collectionGroupQueries');
    const meter = new ReadMeter().start();
    try {
      assert.deepEqual(await countAccount(testDb(), 'count-a', 5), { threads: 2, messages: 150, countedAt: 5 });
      assert.deepEqual(await countAccount(testDb(), 'count-b', 6), { threads: 1, messages: 7, countedAt: 6 });
      assert.deepEqual(await countAccount(testDb(), 'count-none', 7), { threads: 0, messages: 0, countedAt: 7 });
    } finally {
      meter.stop();
    }
    assert.deepEqual(meter.records, [], 'no query or document read: aggregations only');
  });

  it('the collection-group count is served by the declared index on messages.accountId', () => {
    const indexes = JSON.parse(readFileSync(join(REPO_ROOT, 'firestore.indexes.json'), 'utf8')) as {
      fieldOverrides: { collectionGroup: string; fieldPath: string; indexes: { queryScope: string }[] }[];
    };
    const override = indexes.fieldOverrides.find(
      (o) => o.collectionGroup === 'messages' && o.fieldPath === 'accountId',
    );
    assert.ok(override?.indexes.some((i) => i.queryScope === 'COLLECTION_GROUP'));
  });

  it('keeps counts for the TTL, shares one count between concurrent requests, and recounts after', async function () {
    requires(this, 'collectionGroupQueries');
    let now = 1_000;
    const cache = new CountCache(15_000, () => now);
    const counted: string[] = [];
    const db = countingDb(testDb(), counted);
    const [a, again] = await Promise.all([cache.get(db, 'count-b'), cache.get(db, 'count-b')]);
    assert.equal(a, again);
    assert.deepEqual(a, { threads: 1, messages: 7, countedAt: 1_000 });
    await seedThread(testDb(), { accountId: 'count-b', jid: '4915100000002@s.whatsapp.net', count: 3, idOffset: 100 });
    now += 14_999;
    assert.deepEqual((await cache.get(db, 'count-b')).messages, 7, 'still within the TTL');
    now += 1;
    assert.deepEqual(await cache.get(db, 'count-b'), { threads: 1, messages: 10, countedAt: 16_000 });
    assert.equal(counted.length, 2 * 2, 'two counts (threads, messages) per recount, two recounts');
  });

  it('does not keep a failed count', async () => {
    const cache = new CountCache(15_000, () => 0);
    let fail = true;
    const flaky = new Proxy(testDb(), {
      get(target, key, receiver) {
        if (key === 'collection' && fail) {
          return () => {
            throw new Error('unavailable');
          };
        }
        const value = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await assert.rejects(cache.get(flaky, 'count-a'), /unavailable/);
    fail = false;
    assert.equal((await cache.get(flaky, 'count-a')).threads, 2);
  });
});

/** `db` whose collection() and collectionGroup() calls are recorded. */
function countingDb(db: Firestore, calls: string[]): Firestore {
  return new Proxy(db, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key === 'collection' || key === 'collectionGroup') {
        return (path: string) => {
          calls.push(`${String(key)} ${path}`);
          return (value as (p: string) => unknown).call(target, path);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
