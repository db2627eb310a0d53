/**
 * What the API and the callables return is the documented fields only: bookkeeping the writers
 * keep on the same documents (`reactionTimes`, `unresolvedJids`), key material (`messageSecret`)
 * and any field nobody documented stay on the server; the pairing QR and code reach admins and
 * operators only.
 */
import assert from 'node:assert/strict';
import { paths, threadDocId } from '@wasync/shared';
import { Timestamp } from 'firebase-admin/firestore';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import * as callables from '../../src/callables/index.ts';
import { assertMatchesSchema, testApi } from '../support/api.ts';
import { callableAs } from '../support/callables.ts';
import { newUser, type Persona, seedAccount } from '../support/fixtures.ts';

const ACCOUNT = 'acct-v';
const JID = '120363000000000077@g.us';
const PARTICIPANT = '4915100000077@s.whatsapp.net';
const LID = '123456789012345@lid';
const THREAD = threadDocId(JID);
const T = Timestamp.fromMillis(1_700_000_000_000);

describe('api: documented fields only', function () {
  this.timeout(60_000);
  const api = testApi();
  let viewer: Persona;
  let admin: Persona;

  before(async function () {
    this.timeout(180_000);
    [viewer, admin] = await Promise.all([newUser('v-viewer'), newUser('v-admin')]);
    await clearFirestore();
    const db = testDb();
    await seedAccount(db, ACCOUNT, { [viewer.uid]: 'viewer', [admin.uid]: 'admin' });
    await db.doc(paths.account(ACCOUNT)).set({
      displayName: 'Visible',
      // A writer's stray copy of pairing fields on the account is never shown (the allow-list).
      connection: { state: 'qr', qr: '2@stray-qr', updatedAt: T },
      pairingGeneration: 3,
      internalNote: 'server only',
    });
    await db
      .doc(paths.pairing(ACCOUNT))
      .set({ qr: '2@secret-qr', qrExpiresAt: T, pairingCode: 'ABCD1234', updatedAt: T });
    await db.doc(paths.thread(ACCOUNT, THREAD)).set({
      jid: JID,
      aliases: [],
      kind: 'group',
      lastMessageAt: T,
      lastMessage: { id: 'M1', text: 'hi', fromMe: false, type: 'text', status: 'read', extra: 1 },
      updatedAt: T,
      mergeState: { from: LID },
    });
    await db.doc(paths.message(ACCOUNT, THREAD, `${PARTICIPANT}~M1`)).set({
      accountId: ACCOUNT,
      id: 'M1',
      threadId: THREAD,
      fromMe: false,
      sender: PARTICIPANT,
      timestamp: T,
      type: 'text',
      text: 'hi',
      status: 'read',
      receipts: { [PARTICIPANT]: { readAt: T, seenBy: 'x' } },
      reactions: { [PARTICIPANT]: '👍' },
      reactionTimes: { [PARTICIPANT]: T, [LID]: T },
      unresolvedJids: [LID],
      messageSecret: 'c2VjcmV0',
      edited: { text: 'hi', at: T },
      source: 'realtime',
      updatedAt: T,
      rawKey: { remoteJid: JID },
    });
  });

  it('returns messages without bookkeeping, key material or undocumented fields (API and callable)', async () => {
    const res = await api.get(`/api/whatsapp/messages/${ACCOUNT}/${encodeURIComponent(THREAD)}`, viewer.idToken);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const viaCallable = (await callableAs(
      callables.listMessages,
      { accountId: ACCOUNT, threadId: THREAD },
      viewer,
    )) as {
      messages: unknown[];
    };
    for (const [message] of [res.body.messages, viaCallable.messages]) {
      assert.deepEqual(message, {
        docId: `${PARTICIPANT}~M1`,
        accountId: ACCOUNT,
        id: 'M1',
        threadId: THREAD,
        fromMe: false,
        sender: PARTICIPANT,
        timestamp: T.toMillis(),
        type: 'text',
        text: 'hi',
        status: 'read',
        receipts: { [PARTICIPANT]: { readAt: T.toMillis() } },
        reactions: { [PARTICIPANT]: '👍' },
        edited: { text: 'hi', at: T.toMillis() },
        source: 'realtime',
        updatedAt: T.toMillis(),
      });
    }
    assertMatchesSchema('MessagePage', res.body);
  });

  it('returns threads without undocumented fields', async () => {
    const res = await api.get(`/api/whatsapp/threads/${ACCOUNT}`, viewer.idToken);
    assert.deepEqual(res.body.threads, [
      {
        threadId: THREAD,
        jid: JID,
        aliases: [],
        kind: 'group',
        lastMessageAt: T.toMillis(),
        lastMessage: { id: 'M1', text: 'hi', fromMe: false, type: 'text', status: 'read' },
        updatedAt: T.toMillis(),
      },
    ]);
  });

  it('shows the pairing QR and code to admins only', async () => {
    const forViewer = (await callableAs(callables.listAccounts, {}, viewer)) as { accounts: unknown[] };
    const forAdmin = (await callableAs(callables.listAccounts, {}, admin)) as { accounts: unknown[] };
    assert.deepEqual(forViewer.accounts, [
      {
        accountId: ACCOUNT,
        role: 'viewer',
        displayName: 'Visible',
        connection: { state: 'qr', updatedAt: T.toMillis() },
      },
    ]);
    assert.deepEqual(forAdmin.accounts, [
      {
        accountId: ACCOUNT,
        role: 'admin',
        displayName: 'Visible',
        connection: { state: 'qr', updatedAt: T.toMillis() },
        pairing: { qr: '2@secret-qr', qrExpiresAt: T.toMillis(), pairingCode: 'ABCD1234', updatedAt: T.toMillis() },
      },
    ]);
  });
});
