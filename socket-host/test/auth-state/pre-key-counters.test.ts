/**
 * Pre-keys and the creds counters that name them (`nextPreKeyId`, `firstUnuploadedPreKeyId`).
 * Baileys generates pre-keys inside a key transaction and emits the counter update from inside it
 * (socket.js `uploadPreKeys`, messages-recv.js retry receipts); the creds are saved separately. If
 * the keys land and the counter does not, the next start generates keys with the same ids and
 * overwrites those already uploaded to WhatsApp. Here the upload runs as socket.js runs it, on
 * Baileys' own `addTransactionCapability` and `getNextPreKeysNode`, with no creds save at all (a
 * creds writer that never got through), over commits that fail transiently.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type AuthenticationState, addTransactionCapability, getNextPreKeysNode } from '@whiskeysockets/baileys';
import fc from 'fast-check';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import { unfenced } from '../../src/accounts/fence.ts';
import { Keyring } from '../../src/auth-state/crypto.ts';
import { AccountAuthStore } from '../../src/auth-state/store.ts';
import { createLogger } from '../../src/log.ts';
import { faultyFence, seededRandom } from '../support/faults.ts';

const log = createLogger('silent');
const saveRetry = { firstDelayMs: 1, maxDelayMs: 5 };

/** socket.js `uploadPreKeys`, up to the server query: keys and the counter update in one key transaction. */
async function uploadPreKeys(state: AuthenticationState, count: number): Promise<void> {
  const keys = addTransactionCapability(state.keys, log, { maxCommitRetries: 1, delayBetweenTriesMs: 1 });
  await keys.transaction(async () => {
    const { update } = await getNextPreKeysNode({ creds: state.creds, keys }, count);
    // socket.js: ev.emit('creds.update', update), merged into the creds object in place.
    Object.assign(state.creds, update);
  }, 'upload-pre-keys');
}

/** The ids of the pre-keys Firestore holds (up to `upTo`) and the stored creds' counter. */
async function stored(accountId: string, keyring: Keyring, upTo: number) {
  const reader = new AccountAuthStore({ db: testDb(), keyring, log }, accountId, unfenced(testDb(), accountId));
  const creds = await reader.readCreds();
  const { state } = await reader.load();
  const ids = Array.from({ length: upTo }, (_, i) => String(i + 1));
  const keys = Object.keys(await state.keys.get('pre-key', ids)).map(Number);
  return { keys, nextPreKeyId: creds?.nextPreKeyId, firstUnuploaded: creds?.firstUnuploadedPreKeyId };
}

describe('auth state: pre-keys and their counter', function () {
  this.timeout(60_000);
  beforeEach(clearFirestore);

  it('keys never land without the creds counter that names them, even with no creds save and failing commits', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (uploads, seed) => {
          const accountId = `acc-pk-${run++}`;
          const keyring = new Keyring(randomBytes(32));
          const fence = faultyFence(unfenced(testDb(), accountId), 0.3, seededRandom(seed));
          const s = new AccountAuthStore({ db: testDb(), keyring, log, saveRetry }, accountId, fence);
          const { state } = await s.load();
          let total = 0;
          for (const count of uploads) {
            await uploadPreKeys(state, count);
            total += count;
            // Baileys sends the keys to WhatsApp now: they and their counter must be stored already.
            const now = await stored(accountId, keyring, total + 5);
            assert.equal(now.keys.length, total, 'every generated pre-key is stored before the upload');
            assert.ok(
              now.nextPreKeyId !== undefined && now.nextPreKeyId > Math.max(...now.keys),
              `stored nextPreKeyId ${now.nextPreKeyId} names keys up to ${Math.max(...now.keys)}`,
            );
            assert.equal(now.firstUnuploaded, total + 1);
          }
        },
      ),
      { numRuns: 6 },
    );
  });

  it('a creds save never lowers the stored counters (an older creds object landing late)', async () => {
    const keyring = new Keyring(randomBytes(32));
    const s = new AccountAuthStore({ db: testDb(), keyring, log }, 'acc-late', unfenced(testDb(), 'acc-late'));
    const { state } = await s.load();
    const older = { ...state.creds };
    await uploadPreKeys(state, 30);
    await s.writeCreds(older);
    const after = await stored('acc-late', keyring, 35);
    assert.equal(after.keys.length, 30);
    assert.equal(after.nextPreKeyId, 31);
    assert.equal(after.firstUnuploaded, 31);
  });
});
