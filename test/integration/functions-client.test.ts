/**
 * A real app: the `firebase` JS client SDK signs in against the Auth emulator, calls the callables
 * through the Functions emulator (serving the deployed bundle, functions/lib) with the shipped
 * typed wrappers, and reads threads and messages directly with the shipped converters. Also the
 * HTTPS `api` function through the emulator, at the URL shape Cloud Functions uses.
 *
 * Direct reads are checked against the security rules only by the official emulator; the
 * embedded one has no rules engine, so here they show the converters at work, not the rules
 * (test/rules/ covers those, pending without the official emulator).
 */
import assert from 'node:assert/strict';
import { threadDocId } from '@wasync/shared';
import {
  allPages,
  callableErrorCode,
  firestoreConverters,
  newClientMessageId,
  whatsappCallables,
} from '@wasync/shared/client';
import { deleteApp, type FirebaseApp, initializeApp } from 'firebase/app';
import { connectAuthEmulator, getAuth, signInWithEmailAndPassword } from 'firebase/auth';
import {
  collection,
  collectionGroup,
  connectFirestoreEmulator,
  getDocs,
  getFirestore,
  limit,
  orderBy,
  query,
  Timestamp,
  terminate,
  where,
} from 'firebase/firestore';
import { connectFunctionsEmulator, getFunctions, httpsCallable } from 'firebase/functions';
import { Timestamp as AdminTimestamp } from 'firebase-admin/firestore';
import { chosenMessageId } from '../../functions/src/commands/ids.ts';
import { LOCAL_SEND_ID_SECRET } from '../../functions/src/secrets.ts';
import { DEMO_PROJECT } from '../../scripts/lib/firestore-backend.ts';
import { createTestUser } from '../support/auth-emulator.ts';
import { sharedEmulators } from '../support/emulators.ts';
import { clearFirestore, currentCapabilities, firestoreHost, testDb } from '../support/firestore.ts';

const ACCOUNT = 'client-acct';
const JID = '4915100000099@s.whatsapp.net';
const T0 = 1_700_000_000_000;

describe('functions: a real client SDK app', function () {
  this.timeout(60_000);
  let app: FirebaseApp;
  let uid: string;
  let appCount = 0;
  const email = `app-user-${Date.now().toString(36)}@example.com`;

  before(async function () {
    this.timeout(180_000);
    const emulators = await sharedEmulators();
    uid = (await createTestUser(emulators.authHost, email)).uid;
    await clearFirestore();
    const db = testDb();
    await db.doc(`accounts/${ACCOUNT}`).set({
      displayName: 'Client shop',
      connection: { state: 'open', updatedAt: AdminTimestamp.fromMillis(T0) },
    });
    await db.doc(`accounts/${ACCOUNT}/members/${uid}`).set({ role: 'agent', uid });
    const threadId = threadDocId(JID);
    await db.doc(`accounts/${ACCOUNT}/threads/${threadId}`).set({
      jid: JID,
      aliases: [],
      kind: 'dm',
      lastMessageAt: AdminTimestamp.fromMillis(T0 + 24_000),
      lastMessage: { id: 'M24', text: 'm24', fromMe: false, type: 'text', status: 'delivered' },
      updatedAt: AdminTimestamp.fromMillis(T0),
    });
    const batch = db.batch();
    for (let i = 0; i < 25; i++) {
      batch.set(db.doc(`accounts/${ACCOUNT}/threads/${threadId}/messages/${JID}~M${i}`), {
        accountId: ACCOUNT,
        id: `M${i}`,
        threadId,
        fromMe: false,
        sender: JID,
        timestamp: AdminTimestamp.fromMillis(T0 + i * 1000),
        type: 'text',
        text: `m${i}`,
        status: 'delivered',
        source: 'history',
        updatedAt: AdminTimestamp.fromMillis(T0),
      });
    }
    await batch.commit();

    app = await signedInApp();
  });
  after(async () => {
    if (app) await closeApp(app);
  });

  /** A client app signed in as the test user, connected to every emulator. */
  async function signedInApp(): Promise<FirebaseApp> {
    const emulators = await sharedEmulators();
    const created = initializeApp({ projectId: DEMO_PROJECT, apiKey: 'fake-api-key' }, `client-${appCount++}`);
    connectAuthEmulator(getAuth(created), `http://${emulators.authHost}`, { disableWarnings: true });
    const functionsUrl = new URL(emulators.functionsUrl);
    connectFunctionsEmulator(getFunctions(created), functionsUrl.hostname, Number(functionsUrl.port));
    const [host, port] = firestoreHost().split(':');
    connectFirestoreEmulator(getFirestore(created), host!, Number(port));
    await signInWithEmailAndPassword(getAuth(created), email, 'test-password-1');
    return created;
  }

  async function closeApp(closing: FirebaseApp): Promise<void> {
    await terminate(getFirestore(closing));
    await deleteApp(closing);
  }

  it('calls the callables through the Functions emulator with the typed wrappers', async () => {
    const wa = whatsappCallables(getFunctions(app), httpsCallable);
    const { threads } = await wa.listThreads({ accountId: ACCOUNT });
    assert.deepEqual(
      threads.map((t) => [t.threadId, t.jid, t.lastMessageAt]),
      [[threadDocId(JID), JID, T0 + 24_000]],
    );

    const texts: string[] = [];
    for await (const page of allPages(wa.listMessages, { accountId: ACCOUNT, threadId: threadDocId(JID), limit: 10 })) {
      texts.push(...page.messages.map((m) => m.text ?? ''));
    }
    assert.deepEqual(
      texts,
      Array.from({ length: 25 }, (_, i) => `m${24 - i}`),
    );

    const clientMessageId = newClientMessageId();
    const sent = await wa.sendMessage({
      accountId: ACCOUNT,
      threadId: threadDocId(JID),
      text: 'from the app',
      clientMessageId,
    });
    assert.deepEqual(
      await wa.sendMessage({ accountId: ACCOUNT, threadId: threadDocId(JID), text: 'from the app', clientMessageId }),
      sent,
    );
    const command = await testDb().doc(`accounts/${ACCOUNT}/commands/${sent.commandId}`).get();
    assert.equal(command.get('payload.messageId'), sent.messageId);
    // Keyed with SEND_ID_SECRET, which the emulator reads from functions/.secret.local.
    assert.equal(sent.messageId, chosenMessageId(LOCAL_SEND_ID_SECRET, ACCOUNT, clientMessageId));
    assert.equal(command.get('createdBy'), uid);

    await assert.rejects(
      wa.listThreads({ accountId: 'not-mine' }),
      (err) => callableErrorCode(err) === 'permission_denied',
    );
    await assert.rejects(
      wa.listThreads({ accountId: ACCOUNT, limit: 0 }),
      (err) => callableErrorCode(err) === 'invalid_argument',
    );
    await assert.rejects(
      wa.startPairing({ accountId: ACCOUNT, method: 'qr' }),
      (err) => callableErrorCode(err) === 'permission_denied',
    );
  });

  it('reads threads and messages directly with the shipped converters', async () => {
    if (!currentCapabilities().securityRules) {
      // Not pending: the reads below still prove the converters; only the rules go unchecked here.
      console.log('      (embedded Firestore: no security rules are enforced on these direct reads)');
    }
    const convert = firestoreConverters(Timestamp);
    const db = getFirestore(app);
    const threads = await getDocs(
      query(
        collection(db, 'accounts', ACCOUNT, 'threads').withConverter(convert.thread),
        orderBy('lastMessageAt', 'desc'),
      ),
    );
    const [thread] = threads.docs.map((d) => d.data());
    assert.equal(thread?.threadId, threadDocId(JID));
    assert.equal(thread?.lastMessageAt, T0 + 24_000);
    assert.equal(thread?.updatedAt, T0);

    const messages = await getDocs(
      query(
        collection(db, 'accounts', ACCOUNT, 'threads', thread!.threadId, 'messages').withConverter(convert.message),
        orderBy('timestamp', 'desc'),
        limit(3),
      ),
    );
    assert.deepEqual(
      messages.docs.map((d) => [d.data().docId, d.data().timestamp, d.data().text]),
      [
        [`${JID}~M24`, T0 + 24_000, 'm24'],
        [`${JID}~M23`, T0 + 23_000, 'm23'],
        [`${JID}~M22`, T0 + 22_000, 'm22'],
      ],
    );
  });

  it('queries an account’s messages across threads (collection group scoped by accountId)', async () => {
    const convert = firestoreConverters(Timestamp);
    const latest = await getDocs(
      query(
        collectionGroup(getFirestore(app), 'messages').withConverter(convert.message),
        where('accountId', '==', ACCOUNT),
        orderBy('timestamp', 'desc'),
        limit(2),
      ),
    );
    assert.deepEqual(
      latest.docs.map((d) => [d.data().accountId, d.data().text]),
      [
        [ACCOUNT, 'm24'],
        [ACCOUNT, 'm23'],
      ],
    );
  });

  it('serves the HTTPS api function at the Cloud Functions URL shape', async () => {
    const emulators = await sharedEmulators();
    const token = await getAuth(app).currentUser!.getIdToken();
    const res = await fetch(`${emulators.functionUrl('api')}/whatsapp/threads/${ACCOUNT}?limit=1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.ok(res.headers.get('x-request-id'));
    const body = (await res.json()) as { threads: { threadId: string }[]; nextCursor?: string };
    assert.deepEqual(
      body.threads.map((t) => t.threadId),
      [threadDocId(JID)],
    );
    assert.equal(body.nextCursor, undefined);
    const anonymous = await fetch(`${emulators.functionUrl('api')}/whatsapp/accounts`);
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'unauthenticated');
  });
});
