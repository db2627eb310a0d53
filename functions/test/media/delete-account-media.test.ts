/** An account's media goes with it: its objects and media sources, nobody else's. */
import assert from 'node:assert/strict';
import { accountMediaPrefix, paths } from '@wasync/shared';
import { testDb } from '../../../test/support/firestore.ts';
import { sharedStorage, testBucket } from '../../../test/support/storage.ts';
import { deleteAccountMedia } from '../../src/media/delete-account-media.ts';

describe('media/deleteAccountMedia', function () {
  this.timeout(60_000);

  it('deletes every object under the account’s prefix and its media sources, and nothing of another account', async () => {
    await sharedStorage();
    const bucket = testBucket();
    const gone = `del-${process.pid}-a`;
    const kept = `del-${process.pid}-ab`; // a prefix of the other's id must not matter
    for (const account of [gone, kept]) {
      for (const name of ['t1/peer~1/original', 't1/peer~1/thumbnail', 't2/me~2/original']) {
        await bucket.file(`${accountMediaPrefix(account)}${name}`).save(Buffer.from(name), { resumable: false });
      }
      await testDb().doc(paths.mediaSource(account, 'peer~1')).set({ wanted: false });
    }
    assert.deepEqual(await deleteAccountMedia(testDb(), bucket, gone), { objects: 3 });
    const [left] = await bucket.getFiles({ prefix: accountMediaPrefix(gone) });
    assert.equal(left.length, 0);
    const [other] = await bucket.getFiles({ prefix: accountMediaPrefix(kept) });
    assert.equal(other.length, 3);
    assert.equal((await testDb().collection(paths.mediaSources(gone)).get()).size, 0);
    assert.equal((await testDb().collection(paths.mediaSources(kept)).get()).size, 1);
  });

  it('deletes page by page: more objects than a page, each page reported as it goes', async () => {
    await sharedStorage();
    const bucket = testBucket();
    const account = `del-${process.pid}-many`;
    const names = Array.from({ length: 230 }, (_, i) => `${accountMediaPrefix(account)}t/m~${i}/original`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((n) => bucket.file(n).save(Buffer.from(n), { resumable: false })));
    }
    const progress: number[] = [];
    assert.deepEqual(await deleteAccountMedia(testDb(), bucket, account, (n) => progress.push(n)), { objects: 230 });
    assert.deepEqual(progress, [100, 200, 230]);
    const [left] = await bucket.getFiles({ prefix: accountMediaPrefix(account) });
    assert.equal(left.length, 0);
  });
});
