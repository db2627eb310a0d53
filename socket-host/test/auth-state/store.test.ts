/**
 * Auth state in Firestore: every Baileys v7 key type and the creds round-trip through Baileys' own
 * serialisation, nothing is readable without the key, keys rotate, and writes are fenced.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { paths } from '@wasync/shared';
import { addTransactionCapability, BufferJSON, proto, type SignalKeyStore } from '@whiskeysockets/baileys';
import fc from 'fast-check';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import { leaseFence, unfenced } from '../../src/accounts/fence.ts';
import type { LeaseLostError } from '../../src/accounts/lease-errors.ts';
import { KEY_TYPES } from '../../src/auth-state/codec.ts';
import { AuthStateUnreadableError, Keyring, keyIdOf } from '../../src/auth-state/crypto.ts';
import { AccountAuthStore, keyDocId, MAX_PART_BYTES } from '../../src/auth-state/store.ts';
import { createLogger } from '../../src/log.ts';
import { asStored, everyKeyType, pairedCreds } from '../support/auth-fixtures.ts';
import { faultyFence, seededRandom } from '../support/faults.ts';

const log = createLogger('silent');

function store(accountId: string, keyring: Keyring, fence = unfenced(testDb(), accountId)) {
  return new AccountAuthStore({ db: testDb(), keyring, log }, accountId, fence);
}

/**
 * The key store `load()` hands out (one per store), its writes awaited until they landed: they are
 * written behind (key-buffer.ts), and these tests look at what Firestore holds.
 */
const loaded = new WeakMap<AccountAuthStore, SignalKeyStore>();
async function keysOf(s: AccountAuthStore): Promise<SignalKeyStore> {
  let keys = loaded.get(s);
  if (!keys) {
    const { state } = await s.load();
    keys = {
      get: (type, ids) => state.keys.get(type, ids),
      set: async (data) => {
        await state.keys.set(data);
        await s.flush();
      },
    };
    loaded.set(s, keys);
  }
  return keys;
}

/** Every stored byte of an account's auth state, as one buffer (for "no plaintext" checks). */
async function allStoredBytes(accountId: string): Promise<Buffer> {
  const root = testDb().doc(paths.authState(accountId));
  const docs = [await root.get(), ...(await root.collection('keys').get()).docs];
  return Buffer.concat(docs.map((d) => Buffer.from(JSON.stringify(d.data(), BufferJSON.replacer))));
}

describe('auth state store (Firestore, encrypted)', () => {
  beforeEach(clearFirestore);

  it('round-trips creds and every key type through BufferJSON, Buffers intact', async () => {
    const keyring = new Keyring(randomBytes(32));
    const s = store('acc-rt', keyring);
    const creds = pairedCreds();
    const keys = everyKeyType();
    await s.writeCreds(creds);
    await (await keysOf(s)).set(keys);

    const loaded = store('acc-rt', keyring);
    const back = await loaded.readCreds();
    // The fixture's pre-keys (1 and 812) raised the counters that name them.
    assert.equal(asStored(back), asStored({ ...creds, nextPreKeyId: 813, firstUnuploadedPreKeyId: 813 }));
    assert.ok(Buffer.isBuffer(back?.noiseKey.private) && Buffer.isBuffer(back?.signedPreKey.signature));
    assert.equal(back?.me?.lid, '99887766:7@lid');

    assert.deepEqual(Object.keys(keys).sort(), [...KEY_TYPES].sort(), 'fixture covers every type');
    for (const type of KEY_TYPES) {
      const ids = Object.keys(keys[type]);
      const got = await (await keysOf(loaded)).get(type, [...ids, 'missing-id']);
      assert.deepEqual(Object.keys(got).sort(), ids.sort(), type);
      for (const id of ids) assert.equal(asStored(got[id]), asStored(keys[type][id]), `${type}/${id}`);
    }
    const [session] = Object.values(await (await keysOf(loaded)).get('session', ['15551234567.0']));
    assert.ok(Buffer.isBuffer(session));
    const appKey = (await (await keysOf(loaded)).get('app-state-sync-key', ['AAAAAQ'])).AAAAAQ;
    assert.ok(appKey instanceof proto.Message.AppStateSyncKeyData, 'app-state keys come back as protobufs');
  });

  it('deletes keys set to null and refuses unknown key types', async () => {
    const keyring = new Keyring(randomBytes(32));
    const s = store('acc-del', keyring);
    await (await keysOf(s)).set({
      session: { a: randomBytes(8), b: randomBytes(8) },
      'pre-key': { '5': everyKeyType()['pre-key']['1']! },
    });
    await (await keysOf(s)).set({ session: { a: null }, 'pre-key': { '5': null } });
    const reader = await keysOf(store('acc-del', keyring));
    assert.deepEqual(Object.keys(await reader.get('session', ['a', 'b'])), ['b']);
    assert.deepEqual(await reader.get('pre-key', ['5']), {});
    await assert.rejects(
      async () => (await keysOf(s)).set({ bogus: { x: 1 } } as never),
      /unknown signal key type "bogus"/,
    );
  });

  it('stores nothing readable: no key material, no plaintext ids in values', async () => {
    const keyring = new Keyring(randomBytes(32));
    const s = store('acc-opaque', keyring);
    const creds = pairedCreds();
    const keys = everyKeyType();
    await s.writeCreds(creds);
    await (await keysOf(s)).set(keys);
    const stored = await allStoredBytes('acc-opaque');
    for (const secret of [
      Buffer.from(creds.noiseKey.private),
      Buffer.from(creds.signedIdentityKey.private),
      Buffer.from(keys['pre-key']['1']!.private),
      Buffer.from(keys.session['15551234567.0']!),
    ]) {
      for (const form of [secret.toString('base64'), secret.toString('hex')]) {
        assert.equal(stored.includes(form), false, 'secret bytes appear in Firestore');
      }
    }
    assert.equal(stored.includes(creds.advSecretKey), false);
    // Every document says which key sealed it.
    const root = testDb().doc(paths.authState('acc-opaque'));
    const kids = [
      (await root.get()).get('kid'),
      ...(await root.collection('keys').get()).docs.map((d) => d.get('kid')),
    ];
    assert.deepEqual([...new Set(kids)], [keyring.currentId]);
  });

  it('without the key: a clear error naming the account and key id', async () => {
    const key = randomBytes(32);
    await store('acc-lost', new Keyring(key)).writeCreds(pairedCreds());
    await (await keysOf(store('acc-lost', new Keyring(key)))).set({ session: { s: randomBytes(8) } });
    const wrongKey = new Keyring(randomBytes(32));
    const wrong = store('acc-lost', wrongKey);
    // Keys are read once creds are: creds of this host's key over keys of the lost one.
    await store('acc-lost-keys', new Keyring(key)).writeCreds(pairedCreds());
    await (await keysOf(store('acc-lost-keys', new Keyring(key)))).set({ session: { s: randomBytes(8) } });
    await store('acc-lost-keys', wrongKey).writeCreds(pairedCreds());
    const wrongKeys = await keysOf(store('acc-lost-keys', wrongKey));
    for (const [account, attempt] of [
      ['acc-lost', () => wrong.readCreds()],
      ['acc-lost-keys', async () => wrongKeys.get('session', ['s'])],
    ] as const) {
      await assert.rejects(attempt, (err: unknown) => {
        assert.ok(err instanceof AuthStateUnreadableError);
        assert.equal(err.reason, 'auth_key_unknown');
        assert.match(err.message, new RegExp(`account ${account} `));
        assert.match(err.message, new RegExp(keyIdOf(key)));
        return true;
      });
    }
    assert.equal(await wrong.credsKeyId(), keyIdOf(key));
  });

  it('rejects a document copied from another account (authenticated data binds the place)', async () => {
    const keyring = new Keyring(randomBytes(32));
    await store('acc-a', keyring).writeCreds(pairedCreds());
    const a = (await testDb().doc(paths.authState('acc-a')).get()).data()!;
    await testDb().doc(paths.authState('acc-b')).set(a);
    await assert.rejects(store('acc-b', keyring).readCreds(), (err: unknown) => {
      return err instanceof AuthStateUnreadableError && err.reason === 'auth_state_corrupt';
    });
  });

  it('survives a key rotation: old documents readable, new writes and re-encryption use the new key', async () => {
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const creds = pairedCreds();
    const keys = everyKeyType();
    await store('acc-rot', new Keyring(oldKey)).writeCreds(creds);
    await (await keysOf(store('acc-rot', new Keyring(oldKey)))).set(keys);

    const rotated = store('acc-rot', new Keyring(newKey, [oldKey]));
    const stored = { ...creds, nextPreKeyId: 813, firstUnuploadedPreKeyId: 813 };
    assert.equal(asStored(await rotated.readCreds()), asStored(stored));
    await (await keysOf(rotated)).set({ session: { fresh: randomBytes(16) } });
    const kidOf = async (docId: string) =>
      (
        await testDb()
          .doc(`${paths.authState('acc-rot')}/keys/${docId}`)
          .get()
      ).get('kid');
    assert.equal(await kidOf(keyDocId('session', 'fresh')), keyIdOf(newKey));
    assert.equal(await kidOf(keyDocId('session', '15551234567.0')), keyIdOf(oldKey));

    const rewritten = await rotated.reencrypt();
    assert.equal(rewritten, 1 + Object.values(keys).reduce((n, m) => n + Object.keys(m).length, 0));
    assert.equal(await rotated.reencrypt(), 0, 'nothing left on the old key');

    // The old key can now be retired.
    const newOnly = store('acc-rot', new Keyring(newKey));
    assert.equal(asStored(await newOnly.readCreds()), asStored(stored));
    for (const type of KEY_TYPES) {
      const got = await (await keysOf(newOnly)).get(type, Object.keys(keys[type]));
      assert.equal(asStored(got), asStored(keys[type]), type);
    }
  });

  it('splits values larger than one document into parts and removes stale parts', async () => {
    const keyring = new Keyring(randomBytes(32));
    const s = store('acc-big', keyring);
    await s.writeCreds(pairedCreds());
    const reader = () => store('acc-big', keyring);
    const indexValueMap: Record<string, { valueMac: Buffer }> = {};
    for (let i = 0; i < 14_000; i++) indexValueMap[randomBytes(32).toString('base64')] = { valueMac: randomBytes(32) };
    const big = { version: 9, hash: randomBytes(128), indexValueMap };
    await (await keysOf(s)).set({ 'app-state-sync-version': { regular: big } });
    const ref = testDb().doc(`${paths.authState('acc-big')}/keys/${keyDocId('app-state-sync-version', 'regular')}`);
    const parts = (await ref.get()).get('parts') as number;
    assert.ok(parts > 1, `expected several parts, got ${parts} (limit ${MAX_PART_BYTES} B)`);
    assert.equal(
      asStored((await (await keysOf(reader())).get('app-state-sync-version', ['regular'])).regular),
      asStored(big),
    );

    const small = { version: 10, hash: randomBytes(128), indexValueMap: {} };
    await (await keysOf(s)).set({ 'app-state-sync-version': { regular: small } });
    assert.equal((await ref.get()).get('parts'), 1);
    assert.equal((await ref.collection('parts').get()).size, 0, 'stale parts deleted');
    assert.equal(
      asStored((await (await keysOf(reader())).get('app-state-sync-version', ['regular'])).regular),
      asStored(small),
    );
  });

  it('reads a value in parts whole while it is rewritten (head and parts from one snapshot)', async () => {
    const db = testDb();
    const keyring = new Keyring(randomBytes(32));
    const big = (version: number) => {
      const indexValueMap: Record<string, { valueMac: Buffer }> = {};
      for (let i = 0; i < 14_000; i++)
        indexValueMap[randomBytes(32).toString('base64')] = { valueMac: randomBytes(32) };
      return { version, hash: randomBytes(128), indexValueMap };
    };
    const [v1, v2] = [big(1), big(2)];
    const writer = store('acc-torn', keyring);
    await writer.writeCreds(pairedCreds());
    await (await keysOf(writer)).set({ 'app-state-sync-version': { regular: v1 } });
    // The rewrite lands right after the reader got the head, before it reads the parts.
    let rewritten = false;
    const racing = new Proxy(db, {
      get(target, prop) {
        if (prop === 'getAll') {
          return async (...refs: Parameters<typeof db.getAll>) => {
            const snaps = await target.getAll(...refs);
            if (!rewritten && snaps.some((s) => (s.get('parts') ?? 0) > 1)) {
              rewritten = true;
              await (await keysOf(writer)).set({ 'app-state-sync-version': { regular: v2 } });
            }
            return snaps;
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const reader = new AccountAuthStore({ db: racing, keyring, log }, 'acc-torn', unfenced(db, 'acc-torn'));
    const got = (await (await keysOf(reader)).get('app-state-sync-version', ['regular'])).regular;
    assert.ok(rewritten, 'the rewrite raced the read');
    assert.equal(asStored(got), asStored(v2));
  });

  it('commits sets larger than one transaction (first pre-key upload) completely', async () => {
    const s = store('acc-prekeys', new Keyring(randomBytes(32)));
    const preKeys = Object.fromEntries(
      Array.from({ length: 812 }, (_, i) => [String(i + 1), everyKeyType()['pre-key']['1']!]),
    );
    await (await keysOf(s)).set({ 'pre-key': preKeys });
    assert.equal(
      (
        await testDb()
          .collection(`${paths.authState('acc-prekeys')}/keys`)
          .get()
      ).size,
      812,
    );
  });

  it('written behind over commits that fail before or after landing: Firestore ends with the last write of every key', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ id: fc.integer({ min: 0, max: 5 }), v: fc.option(fc.nat(255)), pause: fc.boolean() }), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (writes, seed) => {
          const accountId = `acc-behind-${run++}`;
          const keyring = new Keyring(randomBytes(32));
          await store(accountId, keyring).writeCreds(pairedCreds());
          const fence = faultyFence(unfenced(testDb(), accountId), 0.3, seededRandom(seed));
          const s = new AccountAuthStore(
            {
              db: testDb(),
              keyring,
              log,
              keyWrites: { flushMs: 5, flushKeys: 3, maxKeys: 10 },
              saveRetry: { firstDelayMs: 1, maxDelayMs: 5 },
            },
            accountId,
            fence,
          );
          const { state } = await s.load();
          const model = new Map<string, number>();
          for (const { id, v, pause } of writes) {
            await state.keys.set({ session: { [id]: v === null ? null : Buffer.from([v]) } });
            if (v === null) model.delete(String(id));
            else model.set(String(id), v);
            if (pause) await new Promise((r) => setTimeout(r, 3));
          }
          await s.flush();
          const reader = await keysOf(store(accountId, keyring));
          const got = await reader.get('session', ['0', '1', '2', '3', '4', '5']);
          assert.deepEqual(new Map(Object.entries(got).map(([id, b]) => [id, Buffer.from(b)[0]])), model);
        },
      ),
      { numRuns: 8 },
    );
  });

  it('works under Baileys’ own transaction wrapper: one set per key transaction', async () => {
    const s = store('acc-tx', new Keyring(randomBytes(32)));
    const inner = await keysOf(s);
    let sets = 0;
    const counting: SignalKeyStore = {
      get: (type, ids) => inner.get(type, ids),
      set: (d) => {
        sets++;
        return inner.set(d);
      },
    };
    const keys = addTransactionCapability(counting, log, { maxCommitRetries: 1, delayBetweenTriesMs: 1 });
    await keys.transaction(async () => {
      await keys.set({ session: { x: randomBytes(8) } });
      await keys.set({ 'identity-key': { x: randomBytes(33) }, 'device-list': { u: ['0'] } });
    }, 'k');
    assert.equal(sets, 1);
    assert.equal(Object.keys(await (await keysOf(s)).get('identity-key', ['x'])).length, 1);
  });

  it('wipes creds and every key, and refuses late writes of the wiped state', async () => {
    const s = store('acc-wipe', new Keyring(randomBytes(32)));
    await s.writeCreds(pairedCreds());
    await (await keysOf(s)).set(everyKeyType());
    const { state: before } = await s.load();
    await s.wipe();
    // A closed socket's processing may still save: nothing of it comes back.
    await s.writeCreds(before.creds);
    await before.keys.set({ session: { late: randomBytes(8) } });
    await s.flush();
    assert.equal(await s.readCreds(), undefined);
    assert.equal(
      (
        await testDb()
          .collection(`${paths.authState('acc-wipe')}/keys`)
          .get()
      ).size,
      0,
    );
    const { isNew, state } = await s.load();
    assert.equal(isNew, true);
    assert.equal(state.creds.registered, false);
    // Only what was handed out before the wipe is retired: the fresh creds save.
    await s.writeCreds(state.creds);
    assert.equal(asStored(await s.readCreds()), asStored(state.creds));
  });

  it('finishes a wipe a crash interrupted (creds gone, keys left) before handing out new creds', async () => {
    const keyring = new Keyring(randomBytes(32));
    const s = store('acc-half-wiped', keyring);
    await s.writeCreds(pairedCreds());
    await (await keysOf(s)).set(everyKeyType());
    // What a process killed between the wipe's first commit (creds) and its key pages leaves.
    await testDb().doc(paths.authState('acc-half-wiped')).delete();
    const { isNew } = await store('acc-half-wiped', keyring).load();
    assert.equal(isNew, true);
    assert.equal(
      (
        await testDb()
          .collection(`${paths.authState('acc-half-wiped')}/keys`)
          .get()
      ).size,
      0,
    );
  });

  it('is fenced: a host whose lease epoch moved on writes nothing, and learns it lost the lease', async () => {
    const db = testDb();
    await db.doc(paths.lease('acc-fence')).set({ holder: 'host-b', epoch: 3 });
    const lost: LeaseLostError[] = [];
    const fence = leaseFence(db, 'acc-fence', 'host-a', 2, undefined, (e) => lost.push(e));
    const stale = store('acc-fence', new Keyring(randomBytes(32)), fence);
    await (await keysOf(stale)).set({ session: { s: randomBytes(8) } });
    await stale.writeCreds(pairedCreds());
    assert.equal(lost.length, 2);
    assert.match(lost[0]!.message, /epoch 3 held by host-b/);
    assert.equal((await db.doc(paths.authState('acc-fence')).get()).exists, false);
    assert.equal((await db.collection(`${paths.authState('acc-fence')}/keys`).get()).size, 0);

    const current = store('acc-fence', new Keyring(randomBytes(32)), leaseFence(db, 'acc-fence', 'host-b', 3));
    await (await keysOf(current)).set({ session: { s: randomBytes(8) } });
    const doc = (await db.collection(`${paths.authState('acc-fence')}/keys`).get()).docs[0];
    assert.equal(doc?.get('epoch'), 3, 'writes carry the epoch');
  });

  it('a wipe by a host that lost the lease fails with LeaseLostError and deletes nothing', async () => {
    const db = testDb();
    const keyring = new Keyring(randomBytes(32));
    await db.doc(paths.lease('acc-wipe-lost')).set({ holder: 'host-a', epoch: 1 });
    const owner = store('acc-wipe-lost', keyring, leaseFence(db, 'acc-wipe-lost', 'host-a', 1));
    await owner.writeCreds(pairedCreds());
    await (await keysOf(owner)).set({ session: { s: randomBytes(8) } });
    await db.doc(paths.lease('acc-wipe-lost')).set({ holder: 'host-b', epoch: 2 });
    await assert.rejects(
      Promise.race([
        owner.wipe(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('wipe never ended')), 3000)),
      ]),
      (err: Error) => err.name === 'LeaseLostError',
    );
    assert.equal((await db.doc(paths.authState('acc-wipe-lost')).get()).exists, true);
    assert.equal((await db.collection(`${paths.authState('acc-wipe-lost')}/keys`).get()).size, 1);
  });
});
