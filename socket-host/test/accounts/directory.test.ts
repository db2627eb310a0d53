/** The fleet as ownership sees it: which accounts may move now, and a fresh read past a lagging listener. */
import assert from 'node:assert/strict';
import { paths } from '@wasync/shared';
import { Timestamp } from 'firebase-admin/firestore';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import { type AccountView, Directory, HISTORY_SYNC_QUIET_MS, isMovable } from '../../src/accounts/directory.ts';
import { createLogger } from '../../src/log.ts';

const now = 10_000_000;
const view = (patch: Partial<AccountView>): AccountView => ({
  id: 'acc',
  state: 'open',
  parked: false,
  pairing: false,
  historySync: undefined,
  ...patch,
});

describe('directory', () => {
  beforeEach(clearFirestore);

  it('keeps pairing accounts and running history syncs in place; a finished or quiet sync moves', () => {
    assert.equal(isMovable(view({}), now), true);
    assert.equal(isMovable(view({ pairing: true, state: 'qr' }), now), false);
    const syncing = { progress: 40, updatedAt: now - 1_000 };
    assert.equal(isMovable(view({ historySync: syncing }), now), false);
    assert.equal(isMovable(view({ historySync: { ...syncing, progress: null } }), now), false, 'on demand');
    assert.equal(isMovable(view({ historySync: { ...syncing, progress: 100 } }), now), true, 'complete');
    assert.equal(
      isMovable(view({ historySync: { ...syncing, updatedAt: now - HISTORY_SYNC_QUIET_MS } }), now),
      true,
      'no chunk for the quiet period: over or paused',
    );
  });

  it('reads an account afresh, past what its listener last delivered', async () => {
    const ref = testDb().doc(paths.account('acc'));
    await ref.set({ connection: { state: 'idle' } });
    const directory = new Directory(testDb(), createLogger('silent'));
    try {
      await directory.ready;
      await ref.set({
        connection: { state: 'qr' },
        historySync: { progress: 5, updatedAt: Timestamp.fromMillis(now) },
      });
      const fresh = await directory.reread('acc');
      assert.deepEqual(fresh, {
        id: 'acc',
        state: 'qr',
        parked: false,
        pairing: true,
        historySync: { progress: 5, updatedAt: now },
      });
      assert.equal(directory.accounts.get('acc')?.state, 'qr', 'the view is updated too');
      await ref.delete();
      assert.equal(await directory.reread('acc'), undefined, 'gone');
    } finally {
      directory.close();
    }
  });
});
