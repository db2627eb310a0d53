/**
 * The callables, invoked directly (`fn.run(request)`, the Functions runtime's own entry) with the
 * auth context the runtime would have verified: they run the same use cases as the HTTPS API and
 * return the same pages; failures are HttpsErrors carrying the AppError code.
 */
import assert from 'node:assert/strict';
import { paths, threadDocId } from '@wasync/shared';
import { CALLABLE_NAMES } from '@wasync/shared/client';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import * as callables from '../../src/callables/index.ts';
import { testApi } from '../support/api.ts';
import {
  type CallableCaller,
  callableAs as call,
  newOperator,
  type Runnable,
  rejection,
} from '../support/callables.ts';
import { newUser, type Persona, seedAccount, seedThread } from '../support/fixtures.ts';

const ACCOUNT = 'acct-c';
const JID = '4915100000055@s.whatsapp.net';

describe('callables', function () {
  this.timeout(60_000);
  const viewer = { uid: 'u-viewer' };
  const agent = { uid: 'u-agent' };
  const admin = { uid: 'u-admin' };
  let operator: CallableCaller;

  before(async function () {
    this.timeout(180_000);
    operator = await newOperator();
  });

  beforeEach(async () => {
    await clearFirestore();
    await seedAccount(testDb(), ACCOUNT, { [viewer.uid]: 'viewer', [agent.uid]: 'agent', [admin.uid]: 'admin' });
    await seedThread(testDb(), { accountId: ACCOUNT, jid: JID, count: 30 });
  });

  it('listMessages and listThreads return exactly what the HTTPS API returns, page by page', async () => {
    const persona = await newUser('same-pages');
    await testDb().doc(paths.member(ACCOUNT, persona.uid)).set({ role: 'viewer', uid: persona.uid });
    const api = testApi();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const input = { accountId: ACCOUNT, threadId: threadDocId(JID), limit: 7, ...(cursor ? { cursor } : {}) };
      const viaCallable = (await call(callables.listMessages, input, { uid: persona.uid })) as { nextCursor?: string };
      const viaApi = await api.get(
        `/api/whatsapp/messages/${ACCOUNT}/${encodeURIComponent(threadDocId(JID))}?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        persona.idToken,
      );
      assert.deepEqual(viaCallable, viaApi.body);
      cursor = viaCallable.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 5);
    const threads = await call(callables.listThreads, { accountId: ACCOUNT }, { uid: persona.uid });
    assert.deepEqual(threads, (await api.get(`/api/whatsapp/threads/${ACCOUNT}`, persona.idToken)).body);
  });

  it('export exactly the callables of the shared contract', () => {
    assert.deepEqual(Object.keys(callables).sort(), [...CALLABLE_NAMES].sort());
  });

  it('map failures to HttpsErrors with the AppError code in details', async () => {
    const cases: [Runnable, unknown, typeof viewer | undefined, string, string][] = [
      [callables.listThreads, { accountId: ACCOUNT }, undefined, 'unauthenticated', 'unauthenticated'],
      [callables.listThreads, { accountId: ACCOUNT }, { uid: 'stranger' }, 'permission-denied', 'permission_denied'],
      [callables.listThreads, { accountId: ACCOUNT, limit: 500 }, viewer, 'invalid-argument', 'invalid_argument'],
      [callables.listThreads, { accountId: ACCOUNT, cursor: 'forged' }, viewer, 'invalid-argument', 'invalid_cursor'],
      [
        callables.sendMessage,
        { accountId: ACCOUNT, to: JID, text: 'x', clientMessageId: 'c' },
        viewer,
        'permission-denied',
        'permission_denied',
      ],
      [callables.startPairing, { accountId: ACCOUNT, method: 'qr' }, agent, 'permission-denied', 'permission_denied'],
      [
        callables.startPairing,
        { accountId: ACCOUNT, method: 'code', phoneNumber: '+49' },
        admin,
        'invalid-argument',
        'invalid_argument',
      ],
      [callables.createAccount, { displayName: 'x' }, admin, 'permission-denied', 'permission_denied'],
      [
        callables.listMessages,
        { accountId: ACCOUNT, since: 5, until: 5 },
        viewer,
        'invalid-argument',
        'invalid_argument',
      ],
    ];
    for (const [fn, data, who, httpsCode, appCode] of cases) {
      const err = await rejection(call(fn, data, who));
      assert.equal(err.code, httpsCode, JSON.stringify(data));
      assert.equal(err.details.code, appCode, JSON.stringify(data));
    }
  });

  it('sendMessage is idempotent on clientMessageId', async () => {
    const input = { accountId: ACCOUNT, threadId: threadDocId(JID), text: 'hi', clientMessageId: 'same-key' };
    const first = await call(callables.sendMessage, input, agent);
    const second = await call(callables.sendMessage, input, agent);
    assert.deepEqual(first, second);
    assert.deepEqual(Object.keys(first as object).sort(), ['commandId', 'messageId']);
  });

  it('startPairing and logoutAccount write pair and logout commands for admins', async () => {
    const qr = (await call(callables.startPairing, { accountId: ACCOUNT, method: 'qr' }, admin)) as {
      commandId: string;
    };
    const code = (await call(
      callables.startPairing,
      { accountId: ACCOUNT, method: 'code', phoneNumber: '4915100000055', requestId: 'pair-1' },
      operator,
    )) as { commandId: string };
    const logout = (await call(callables.logoutAccount, { accountId: ACCOUNT }, admin)) as { commandId: string };
    const read = async (id: string) => (await testDb().doc(paths.command(ACCOUNT, id)).get()).data();
    assert.deepEqual((await read(qr.commandId))?.payload, { method: 'qr' });
    assert.deepEqual((await read(code.commandId))?.payload, { method: 'code', phoneNumber: '4915100000055' });
    assert.equal((await read(code.commandId))?.createdBy, operator.uid);
    assert.deepEqual((await read(logout.commandId))?.payload, {});
    assert.equal((await read(logout.commandId))?.type, 'logout');
  });

  it('answers a second pending backfill with resource-exhausted, naming the pending command', async () => {
    const first = (await call(callables.requestBackfill, { accountId: ACCOUNT }, agent)) as { commandId: string };
    const err = await rejection(call(callables.requestBackfill, { accountId: ACCOUNT, threads: 3 }, agent));
    assert.equal(err.code, 'resource-exhausted');
    assert.equal(err.details.code, 'resource_exhausted');
    assert.deepEqual(err.details.details, { limit: 'backfill', commandId: first.commandId, retryAfterSeconds: 30 });
  });

  it('createAccount: operators only; the creator becomes admin with their uid', async () => {
    const created = await call(callables.createAccount, { accountId: 'new-acct', displayName: ' New ' }, operator);
    assert.deepEqual(created, { accountId: 'new-acct', displayName: 'New', connection: { state: 'idle' } });
    assert.deepEqual((await testDb().doc(paths.member('new-acct', operator.uid)).get()).data(), {
      role: 'admin',
      uid: operator.uid,
    });
  });
});

describe('callables: members', function () {
  this.timeout(60_000);
  const admin = { uid: 'm-admin' };
  const agent = { uid: 'm-agent' };
  let invitee: Persona;

  before(async function () {
    this.timeout(180_000);
    invitee = await newUser('invitee', undefined, { emailVerified: true });
  });
  beforeEach(async () => {
    await clearFirestore();
    await seedAccount(testDb(), ACCOUNT, { [admin.uid]: 'admin', [agent.uid]: 'agent' });
  });
  const role = async (uid: string) => (await testDb().doc(paths.member(ACCOUNT, uid)).get()).data();

  it('admins add members by uid or by email, and change roles', async () => {
    assert.deepEqual(await call(callables.addMember, { accountId: ACCOUNT, uid: 'x-1', role: 'viewer' }, admin), {
      accountId: ACCOUNT,
      uid: 'x-1',
      role: 'viewer',
    });
    const byEmail = (await call(
      callables.addMember,
      { accountId: ACCOUNT, email: invitee.email, role: 'agent' },
      admin,
    )) as { uid: string };
    assert.equal(byEmail.uid, invitee.uid);
    assert.deepEqual(await role(invitee.uid), { role: 'agent', uid: invitee.uid });
    await call(callables.addMember, { accountId: ACCOUNT, uid: 'x-1', role: 'admin' }, admin);
    assert.deepEqual(await role('x-1'), { role: 'admin', uid: 'x-1' });
    const unknown = await rejection(
      call(callables.addMember, { accountId: ACCOUNT, email: 'nobody@example.com', role: 'viewer' }, admin),
    );
    assert.equal(unknown.details.code, 'not_found');
  });

  it('agents cannot manage members', async () => {
    const err = await rejection(call(callables.addMember, { accountId: ACCOUNT, uid: 'x', role: 'viewer' }, agent));
    assert.equal(err.details.code, 'permission_denied');
    assert.equal(await role('x'), undefined);
  });

  it('removes members, idempotently, but never the last admin', async () => {
    assert.deepEqual(await call(callables.removeMember, { accountId: ACCOUNT, uid: agent.uid }, admin), {
      accountId: ACCOUNT,
      uid: agent.uid,
      removed: true,
    });
    assert.equal(
      ((await call(callables.removeMember, { accountId: ACCOUNT, uid: agent.uid }, admin)) as { removed: boolean })
        .removed,
      false,
    );
    const last = await rejection(call(callables.removeMember, { accountId: ACCOUNT, uid: admin.uid }, admin));
    assert.equal(last.details.code, 'failed_precondition');
    const demote = await rejection(
      call(callables.addMember, { accountId: ACCOUNT, uid: admin.uid, role: 'agent' }, admin),
    );
    assert.equal(demote.details.code, 'failed_precondition');
    assert.deepEqual(await role(admin.uid), { role: 'admin', uid: admin.uid });
    // With a second admin, the first may go.
    await call(callables.addMember, { accountId: ACCOUNT, uid: 'second', role: 'admin' }, admin);
    await call(callables.removeMember, { accountId: ACCOUNT, uid: admin.uid }, { uid: 'second' });
    assert.equal(await role(admin.uid), undefined);
  });
});
