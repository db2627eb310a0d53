/**
 * firestore.rules, evaluated by the official emulator (the embedded one has no rules engine, so
 * these are pending there with that reason). Clients read only the accounts they are members of —
 * the account, its threads and messages, also through collection-group queries scoped by
 * accountId — and write nothing; commands and server-only data are unreadable (DESIGN I7).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertFails,
  assertSucceeds,
  initializeTestEnvironment,
  type RulesTestEnvironment,
} from '@firebase/rules-unit-testing';
import {
  collection,
  collectionGroup,
  deleteDoc,
  doc,
  type Firestore,
  getDoc,
  getDocs,
  query,
  setDoc,
  Timestamp,
  updateDoc,
  where,
} from 'firebase/firestore';
import { REPO_ROOT } from '../../scripts/lib/firebase-emulators.ts';
import { DEMO_PROJECT } from '../../scripts/lib/firestore-backend.ts';
import { firestoreHost, requires } from '../support/firestore.ts';

const A = 'acct-a';
const B = 'acct-b';
const MESSAGE = { accountId: A, id: 'M1', threadId: 't1', fromMe: false, text: 'hi', timestamp: Timestamp.now() };

describe('firestore.rules', function () {
  this.timeout(30_000);
  let env: RulesTestEnvironment | undefined;

  async function rulesEnv(): Promise<RulesTestEnvironment> {
    if (!env) {
      const [host, port] = firestoreHost().split(':');
      env = await initializeTestEnvironment({
        projectId: DEMO_PROJECT,
        firestore: { rules: readFileSync(join(REPO_ROOT, 'firestore.rules'), 'utf8'), host, port: Number(port) },
      });
    }
    return env;
  }

  /** Seeds two accounts (rules off): viewer, agent and admin on A; outsider only on B. */
  async function seed(): Promise<void> {
    const e = await rulesEnv();
    await e.clearFirestore();
    await e.withSecurityRulesDisabled(async (ctx) => {
      const db = ctx.firestore();
      for (const account of [A, B]) {
        await setDoc(doc(db, `accounts/${account}`), { displayName: account, connection: { state: 'open' } });
        await setDoc(doc(db, `accounts/${account}/threads/t1`), {
          jid: 'x@s.whatsapp.net',
          lastMessageAt: Timestamp.now(),
        });
        await setDoc(doc(db, `accounts/${account}/threads/t1/messages/m1`), { ...MESSAGE, accountId: account });
        await setDoc(doc(db, `accounts/${account}/commands/c1`), { type: 'send', state: 'pending', payload: {} });
        await setDoc(doc(db, `accounts/${account}/private/pairing`), { pairingCode: 'ABCD1234', qr: '2@ref' });
        await setDoc(doc(db, `accounts/${account}/lidPnPairs/p1`), { lid: '1@lid', pn: '2@s.whatsapp.net' });
        await setDoc(doc(db, `accounts/${account}/limits/send`), { tokens: 3, at: Timestamp.now() });
        await setDoc(doc(db, `accounts/${account}/pendingUpdates/u1`), { messageId: 'u1', entries: [] });
        await setDoc(doc(db, `accounts/${account}/names/n1`), { jid: '2@s.whatsapp.net', names: {} });
        await setDoc(doc(db, `rawHistory/${account}/chunks/c1`), { state: 'pending' });
        await setDoc(doc(db, `messageContent/${account}/contents/me~1`), { key: {} });
      }
      for (const [uid, role] of [
        ['viewer', 'viewer'],
        ['agent', 'agent'],
        ['admin', 'admin'],
      ])
        await setDoc(doc(db, `accounts/${A}/members/${uid}`), { role, uid });
      await setDoc(doc(db, `accounts/${B}/members/outsider`), { role: 'admin', uid: 'outsider' });
      // Memberships without a valid role: they grant nothing.
      await setDoc(doc(db, `accounts/${A}/members/owner`), { role: 'owner', uid: 'owner' });
      await setDoc(doc(db, `accounts/${A}/members/roleless`), { uid: 'roleless' });
      await setDoc(doc(db, `leases/${A}`), { holder: 'h1' });
      await setDoc(doc(db, `authState/${A}`), { creds: 'secret' });
      await setDoc(doc(db, 'hosts/h1'), { heartbeatAt: Timestamp.now() });
    });
  }

  const as = async (uid: string | undefined, claims?: Record<string, unknown>): Promise<Firestore> => {
    const e = await rulesEnv();
    return (uid === undefined
      ? e.unauthenticatedContext()
      : e.authenticatedContext(uid, claims)
    ).firestore() as unknown as Firestore;
  };

  /** First line of every test: pending without a rules engine, else fresh data. */
  async function ready(ctx: Mocha.Context): Promise<void> {
    requires(ctx, 'securityRules');
    await seed();
  }
  after(async () => env?.cleanup());

  it('deny signed-out clients any read or write', async function () {
    await ready(this);
    const db = await as(undefined);
    await assertFails(getDoc(doc(db, `accounts/${A}`)));
    await assertFails(getDocs(collection(db, `accounts/${A}/threads`)));
    await assertFails(setDoc(doc(db, `accounts/${A}`), { displayName: 'x' }));
  });

  it('let members read their account, its threads and messages, and their own membership', async function () {
    await ready(this);
    for (const uid of ['viewer', 'agent', 'admin']) {
      const db = await as(uid);
      await assertSucceeds(getDoc(doc(db, `accounts/${A}`)));
      await assertSucceeds(getDocs(collection(db, `accounts/${A}/threads`)));
      await assertSucceeds(getDoc(doc(db, `accounts/${A}/threads/t1/messages/m1`)));
      await assertSucceeds(getDocs(collection(db, `accounts/${A}/threads/t1/messages`)));
      await assertSucceeds(getDoc(doc(db, `accounts/${A}/members/${uid}`)));
    }
  });

  it('let only admins of the account read its pairing QR and code (never viewers, agents or outsiders)', async function () {
    await ready(this);
    await assertSucceeds(getDoc(doc(await as('admin'), `accounts/${A}/private/pairing`)));
    for (const uid of ['viewer', 'agent', 'outsider', 'owner', 'roleless']) {
      await assertFails(getDoc(doc(await as(uid), `accounts/${A}/private/pairing`)));
    }
    await assertFails(getDoc(doc(await as('admin', { operator: true }), `accounts/${B}/private/pairing`)));
    await assertFails(getDocs(collection(await as('admin'), `accounts/${A}/private`)));
    await assertFails(setDoc(doc(await as('admin'), `accounts/${A}/private/pairing`), { pairingCode: 'X' }));
  });

  it('deny members of another account everything of this one', async function () {
    await ready(this);
    const db = await as('outsider');
    await assertFails(getDoc(doc(db, `accounts/${A}`)));
    await assertFails(getDocs(collection(db, `accounts/${A}/threads`)));
    await assertFails(getDoc(doc(db, `accounts/${A}/threads/t1/messages/m1`)));
    await assertFails(getDoc(doc(db, `accounts/${A}/members/viewer`)));
  });

  it('deny memberships without a valid role (no role, or an unknown one) as if there were none', async function () {
    await ready(this);
    for (const uid of ['owner', 'roleless']) {
      const db = await as(uid);
      await assertFails(getDoc(doc(db, `accounts/${A}`)));
      await assertFails(getDocs(collection(db, `accounts/${A}/threads`)));
      await assertFails(getDoc(doc(db, `accounts/${A}/threads/t1/messages/m1`)));
      await assertFails(getDocs(query(collectionGroup(db, 'messages'), where('accountId', '==', A))));
      await assertFails(getDocs(collection(db, `accounts/${A}/members`)));
    }
  });

  it('allow collection-group message queries scoped to a member account, and no others', async function () {
    await ready(this);
    const viewer = await as('viewer');
    await assertSucceeds(getDocs(query(collectionGroup(viewer, 'messages'), where('accountId', '==', A))));
    await assertFails(getDocs(query(collectionGroup(viewer, 'messages'), where('accountId', '==', B))));
    await assertFails(getDocs(collectionGroup(viewer, 'messages')));
  });

  it('allow collection-group membership queries for one’s own uid only', async function () {
    await ready(this);
    const viewer = await as('viewer');
    await assertSucceeds(getDocs(query(collectionGroup(viewer, 'members'), where('uid', '==', 'viewer'))));
    await assertFails(getDocs(query(collectionGroup(viewer, 'members'), where('uid', '==', 'admin'))));
    await assertFails(getDocs(collectionGroup(viewer, 'members')));
  });

  it('let admins, not viewers, list an account’s members', async function () {
    await ready(this);
    await assertSucceeds(getDocs(collection(await as('admin'), `accounts/${A}/members`)));
    await assertFails(getDocs(collection(await as('viewer'), `accounts/${A}/members`)));
    await assertFails(getDoc(doc(await as('viewer'), `accounts/${A}/members/admin`)));
  });

  it('grant the operator claim nothing: operators read through the functions, which confirm it', async function () {
    await ready(this);
    for (const claim of [true, 'true', 1]) {
      const db = await as('op', { operator: claim });
      await assertFails(getDoc(doc(db, `accounts/${B}`)));
      await assertFails(getDocs(collection(db, `accounts/${B}/threads`)));
      await assertFails(getDocs(query(collectionGroup(db, 'messages'), where('accountId', '==', B))));
      await assertFails(getDocs(collection(db, `accounts/${B}/members`)));
      await assertFails(setDoc(doc(db, `accounts/${B}/threads/t2`), { jid: 'y' }));
    }
    // An operator who is also a member reads as that member.
    await assertSucceeds(getDoc(doc(await as('outsider', { operator: true }), `accounts/${B}`)));
  });

  it('deny every client write, even an admin’s', async function () {
    await ready(this);
    const db = await as('admin');
    await assertFails(setDoc(doc(db, `accounts/${A}/threads/t1/messages/m2`), { ...MESSAGE, text: 'forged' }));
    await assertFails(updateDoc(doc(db, `accounts/${A}/threads/t1`), { name: 'renamed' }));
    await assertFails(deleteDoc(doc(db, `accounts/${A}/threads/t1/messages/m1`)));
    await assertFails(setDoc(doc(db, `accounts/${A}/members/viewer`), { role: 'admin', uid: 'viewer' }));
    await assertFails(setDoc(doc(db, `accounts/${A}/commands/c2`), { type: 'send', state: 'pending', payload: {} }));
    await assertFails(updateDoc(doc(db, `accounts/${A}`), { displayName: 'mine' }));
  });

  it('keep commands and server-only data unreadable, even for admins', async function () {
    await ready(this);
    const db = await as('admin');
    await assertFails(getDoc(doc(db, `accounts/${A}/commands/c1`)));
    await assertFails(getDocs(collection(db, `accounts/${A}/commands`)));
    await assertFails(getDoc(doc(db, `accounts/${A}/lidPnPairs/p1`)));
    await assertFails(getDoc(doc(db, `accounts/${A}/limits/send`)));
    await assertFails(getDoc(doc(db, `accounts/${A}/pendingUpdates/u1`)));
    await assertFails(getDoc(doc(db, `accounts/${A}/names/n1`)));
    await assertFails(getDoc(doc(db, `rawHistory/${A}/chunks/c1`)));
    await assertFails(getDoc(doc(db, `messageContent/${A}/contents/me~1`)));
    await assertFails(getDoc(doc(db, `mediaSources/${A}/messages/peer~1`)));
    await assertFails(getDocs(collection(db, `mediaSources/${A}/messages`)));
    await assertFails(getDoc(doc(db, `leases/${A}`)));
    await assertFails(getDoc(doc(db, `authState/${A}`)));
    await assertFails(getDoc(doc(db, 'hosts/h1')));
  });
});
