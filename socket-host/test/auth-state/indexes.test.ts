/**
 * Auth state and message content are written at message speed (a session key per decrypted
 * message, a content document per stored message) and never queried by their values: each of
 * their fields is exempt from single-field indexing in firestore.indexes.json — index writes cost,
 * sequential values (`updatedAt`, `storedAt`) cap a collection at 500 writes/s, and ciphertext is
 * large — except a field a query of the store uses, which must stay served. The fields come from
 * documents the real stores wrote; the queries from recording the store's own runs.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { paths } from '@wasync/shared';
import type { WAMessage } from '@whiskeysockets/baileys';
import type { DocumentSnapshot } from 'firebase-admin/firestore';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import {
  type CompositeIndex,
  INDEXES,
  missingIndex,
  type QueryShape,
  recordQueries,
} from '../../../test/support/index-coverage.ts';
import { unfenced } from '../../src/accounts/fence.ts';
import { Keyring } from '../../src/auth-state/crypto.ts';
import { AccountAuthStore } from '../../src/auth-state/store.ts';
import { createLogger } from '../../src/log.ts';
import { FirestoreMessageContentStore } from '../../src/pipeline/message-content.ts';
import { everyKeyType, pairedCreds } from '../support/auth-fixtures.ts';

const log = createLogger('silent');

function collectionOf(snap: DocumentSnapshot): string {
  return snap.ref.parent.id;
}

describe('auth state and message content: index exemptions', function () {
  this.timeout(60_000);
  beforeEach(clearFirestore);

  it('exempts every field of their documents from indexing, except what the store queries', async () => {
    const db = testDb();
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const shapes: QueryShape[] = [];
    let docs: DocumentSnapshot[] = [];
    const stop = recordQueries(shapes);
    try {
      const before = new AccountAuthStore({ db, keyring: new Keyring(oldKey), log }, 'acc-ix', unfenced(db, 'acc-ix'));
      await before.writeCreds(pairedCreds());
      const { state } = await before.load();
      const indexValueMap: Record<string, { valueMac: Buffer }> = {};
      for (let i = 0; i < 14_000; i++)
        indexValueMap[randomBytes(32).toString('base64')] = { valueMac: randomBytes(32) };
      await state.keys.set({
        ...everyKeyType(),
        'app-state-sync-version': { regular: { version: 1, hash: randomBytes(128), indexValueMap } },
      });
      await before.flush();
      await new FirestoreMessageContentStore(db).put('acc-ix', [
        {
          key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: false, id: 'C1' },
          message: { conversation: 'hello' },
        } as WAMessage,
      ]);
      // The store's own queries: re-encryption after a rotation, and a wipe's key pages.
      const rotated = new AccountAuthStore(
        { db, keyring: new Keyring(newKey, [oldKey]), log },
        'acc-ix',
        unfenced(db, 'acc-ix'),
      );
      assert.ok((await rotated.reencrypt()) > 0);
      docs = await storedDocs('acc-ix');
      await rotated.wipe();
    } finally {
      stop();
    }

    const used = new Set<CompositeIndex>();
    assert.deepEqual(shapes.map((shape) => missingIndex(shape, used)).filter(Boolean), []);
    const queried = new Set(
      shapes.flatMap((s) =>
        [...s.equalities, ...s.inequalities, ...s.orders.map(([f]) => f)].map((f) => `${s.collection}.${f}`),
      ),
    );
    assert.ok(queried.has('keys.kid'), 're-encryption looks for keys by key id');
    const fields = new Set(docs.flatMap((d) => Object.keys(d.data() ?? {}).map((f) => `${collectionOf(d)}.${f}`)));
    for (const expected of ['authState.ct', 'keys.ct', 'parts.ct', 'contents.message', 'keys.updatedAt']) {
      assert.ok(fields.has(expected), `the run stored ${expected} (stored: ${[...fields].join(', ')})`);
    }
    const notExempt = [...fields].filter((field) => {
      const [collectionGroup, fieldPath] = field.split('.');
      const override = INDEXES.fieldOverrides.find(
        (o) => o.collectionGroup === collectionGroup && o.fieldPath === fieldPath,
      );
      return !(override && override.indexes.length === 0) && !queried.has(field);
    });
    assert.deepEqual(notExempt, []);
  });
});

/** Every auth-state and message-content document of `accountId`, parts included. */
async function storedDocs(accountId: string): Promise<DocumentSnapshot[]> {
  const db = testDb();
  const root = db.doc(paths.authState(accountId));
  const keys = (await root.collection('keys').get()).docs;
  const parts = await Promise.all(keys.map(async (k) => (await k.ref.collection('parts').get()).docs));
  const contents = (await db.collection(paths.messageContents(accountId)).get()).docs;
  return [await root.get(), ...keys, ...parts.flat(), ...contents];
}
