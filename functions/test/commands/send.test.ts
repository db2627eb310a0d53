/**
 * Send and backfill through the API: the command documents they write (checked against the
 * shared command schemas the socket host reads with), and idempotency on the client's key.
 */
import assert from 'node:assert/strict';
import { parseCommandPayload, paths, threadDocId, WA_MESSAGE_ID_PATTERN } from '@wasync/shared';
import { Timestamp } from 'firebase-admin/firestore';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import { chosenMessageId } from '../../src/commands/ids.ts';
import { LOCAL_SEND_ID_SECRET } from '../../src/secrets.ts';
import { assertError, testApi } from '../support/api.ts';
import { newUser, type Persona, seedAccount, seedThread } from '../support/fixtures.ts';
import { snapshotStore } from '../support/store.ts';

const ACCOUNT = 'acct-s';
const JID = '4915100000042@s.whatsapp.net';

describe('api: send and backfill commands', function () {
  this.timeout(60_000);
  const api = testApi();
  let agent: Persona;

  before(async function () {
    this.timeout(180_000);
    agent = await newUser('sender');
  });
  beforeEach(async () => {
    await clearFirestore();
    await seedAccount(testDb(), ACCOUNT, { [agent.uid]: 'agent' });
    await seedAccount(testDb(), 'acct-s2', { [agent.uid]: 'agent' });
    await seedThread(testDb(), { accountId: ACCOUNT, jid: JID, count: 1 });
  });

  const send = (body: object) => api.post('/api/whatsapp/send', body, agent.idToken);
  const commands = async (accountId = ACCOUNT) => (await testDb().collection(paths.commands(accountId)).get()).docs;
  /** What the socket host does when it has run a command. */
  const finish = (commandId: string) => testDb().doc(paths.command(ACCOUNT, commandId)).update({ state: 'done' });

  it('writes one pending send command the socket host can parse, and answers 202 with its ids', async () => {
    const res = await send({
      accountId: ACCOUNT,
      threadId: threadDocId(JID),
      text: 'Hallo 👋',
      clientMessageId: 'k-1',
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const { commandId, messageId } = res.body;
    assert.match(messageId, WA_MESSAGE_ID_PATTERN);
    assert.equal(messageId, chosenMessageId(LOCAL_SEND_ID_SECRET, ACCOUNT, 'k-1'));
    assert.equal(commandId, `send-${messageId}`);

    const stored = await commands();
    assert.deepEqual(
      stored.map((d) => d.id),
      [commandId],
    );
    const doc = stored[0]!.data();
    assert.equal(doc.type, 'send');
    assert.equal(doc.state, 'pending');
    assert.equal(doc.createdBy, agent.uid);
    assert.ok(doc.createdAt instanceof Timestamp && doc.updatedAt instanceof Timestamp);
    // Runnable for 15 minutes in the account's current pairing generation; deleted after 7 days.
    assert.equal(doc.expiresAt.toMillis() - doc.createdAt.toMillis(), 15 * 60_000);
    assert.equal(doc.purgeAt.toMillis() - doc.createdAt.toMillis(), 7 * 24 * 60 * 60_000);
    assert.equal(doc.pairingGeneration, 0);
    const parsed = parseCommandPayload('send', doc.payload);
    assert.ok(parsed.ok, JSON.stringify(doc.payload));
    assert.deepEqual(parsed.payload, {
      to: JID,
      threadId: threadDocId(JID),
      text: 'Hallo 👋',
      clientMessageId: 'k-1',
      messageId,
    });
  });

  it('answers a replay with the same ids and writes nothing', async () => {
    const body = { accountId: ACCOUNT, to: '+49 151 0000 0042', text: 'once', clientMessageId: 'k-2' };
    const first = await send(body);
    const before = await snapshotStore(testDb());
    const again = await send(body);
    assert.equal(again.status, 202);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.deepEqual(await snapshotStore(testDb()), before);
  });

  it('writes exactly one command for ten concurrent identical requests', async () => {
    const body = { accountId: ACCOUNT, threadId: threadDocId(JID), text: 'race', clientMessageId: 'k-3' };
    const replies = await Promise.all(Array.from({ length: 10 }, () => send(body)));
    assert.ok(replies.every((r) => r.status === 202));
    assert.equal(new Set(replies.map((r) => JSON.stringify(r.body))).size, 1);
    assert.equal((await commands()).length, 1);
  });

  it('refuses a reused key for a different message (409) and keeps the first', async () => {
    await send({ accountId: ACCOUNT, threadId: threadDocId(JID), text: 'first', clientMessageId: 'k-4' });
    const before = await snapshotStore(testDb());
    for (const body of [
      { accountId: ACCOUNT, threadId: threadDocId(JID), text: 'second', clientMessageId: 'k-4' },
      { accountId: ACCOUNT, to: JID, text: 'first', clientMessageId: 'k-4' },
      { accountId: ACCOUNT, threadId: threadDocId(JID), text: 'first', clientMessageId: 'k-4', quotedId: 'ABC' },
    ]) {
      assertError(await send(body), 409, 'already_exists');
    }
    assert.deepEqual(await snapshotStore(testDb()), before);
  });

  it('lets exactly one of concurrent different messages with one key win; the others get 409', async () => {
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        send({ accountId: ACCOUNT, threadId: threadDocId(JID), text: `racer ${i}`, clientMessageId: 'k-race' }),
      ),
    );
    const won = replies.map((r, i) => [r.status, i] as const).filter(([status]) => status === 202);
    assert.equal(won.length, 1, JSON.stringify(replies.map((r) => r.status)));
    for (const r of replies.filter((r) => r.status !== 202)) assertError(r, 409, 'already_exists');
    const stored = await commands();
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.get('payload.text'), `racer ${won[0]![1]}`);
  });

  it('records the account’s pairing generation on every command, so a later session never runs it', async () => {
    await testDb().doc(paths.account(ACCOUNT)).update({ pairingGeneration: 4 });
    const sent = await send({ accountId: ACCOUNT, to: JID, text: 'x', clientMessageId: 'gen-1' });
    const backfill = await api.post(`/api/whatsapp/backfill/${ACCOUNT}`, {}, agent.idToken);
    for (const id of [sent.body.commandId, backfill.body.commandId]) {
      assert.equal((await testDb().doc(paths.command(ACCOUNT, id)).get()).get('pairingGeneration'), 4);
    }
  });

  it('answers 404 for an account whose document is gone, even to a member, writing nothing', async () => {
    await testDb().doc(paths.account(ACCOUNT)).delete();
    assertError(await send({ accountId: ACCOUNT, to: JID, text: 'x', clientMessageId: 'gone' }), 404, 'not_found');
    assert.equal((await commands()).length, 0);
  });

  it('gives the same key on two accounts two different message ids', async () => {
    const a = await send({ accountId: ACCOUNT, to: JID, text: 'x', clientMessageId: 'same' });
    const b = await send({ accountId: 'acct-s2', to: JID, text: 'x', clientMessageId: 'same' });
    assert.notEqual(a.body.messageId, b.body.messageId);
  });

  it('normalises recipients: phone numbers, device suffixes, groups; refuses the rest', async () => {
    const cases: [string, string][] = [
      ['+49 (151) 000-00042', '4915100000042@s.whatsapp.net'],
      ['4915100000042:12@s.whatsapp.net', '4915100000042@s.whatsapp.net'],
      ['4915100000042@c.us', '4915100000042@s.whatsapp.net'],
      ['120363000000000001@g.us', '120363000000000001@g.us'],
      ['123456789012345@lid', '123456789012345@lid'],
    ];
    for (const [i, [to, jid]] of cases.entries()) {
      const res = await send({ accountId: ACCOUNT, to, text: 'x', clientMessageId: `n-${i}` });
      assert.equal(res.status, 202, `${to}: ${JSON.stringify(res.body)}`);
      const doc = await testDb().doc(paths.command(ACCOUNT, res.body.commandId)).get();
      assert.equal(doc.get('payload.to'), jid, to);
    }
    for (const to of ['status@broadcast', '123@newsletter', 'hello', '+0049 151', '12@call', '@s.whatsapp.net']) {
      assertError(await send({ accountId: ACCOUNT, to, text: 'x', clientMessageId: 'bad' }), 400, 'invalid_argument');
    }
    assertError(
      await send({ accountId: ACCOUNT, to: JID, threadId: threadDocId(JID), text: 'x', clientMessageId: 'both' }),
      400,
      'invalid_argument',
    );
  });

  it('refuses a thread that is no one-to-one or group chat, as it refuses such a `to`', async () => {
    for (const [i, jid] of ['status@broadcast', '1700000000@broadcast', '120363000000000002@newsletter'].entries()) {
      await seedThread(testDb(), { accountId: ACCOUNT, jid, count: 1 });
      const res = await send({ accountId: ACCOUNT, threadId: threadDocId(jid), text: 'x', clientMessageId: `t-${i}` });
      assertError(res, 400, 'invalid_argument');
      assert.deepEqual(
        res.body.error.details.fields.map((f: { path: string }) => f.path),
        ['threadId'],
      );
      assertError(
        await send({ accountId: ACCOUNT, to: jid, text: 'x', clientMessageId: `t-${i}` }),
        400,
        'invalid_argument',
      );
    }
    assert.equal((await commands()).length, 0);
  });

  it('answers 404 for a thread that does not exist, writing nothing', async () => {
    const res = await send({
      accountId: ACCOUNT,
      threadId: threadDocId('49999@s.whatsapp.net'),
      text: 'x',
      clientMessageId: 'k-5',
    });
    assertError(res, 404, 'not_found');
    assert.equal((await commands()).length, 0);
  });

  it('writes backfill commands with the configured defaults; a requestId makes them idempotent', async () => {
    const plain = await api.post(`/api/whatsapp/backfill/${ACCOUNT}`, undefined, agent.idToken);
    assert.equal(plain.status, 202, JSON.stringify(plain.body));
    const doc = await testDb().doc(paths.command(ACCOUNT, plain.body.commandId)).get();
    assert.deepEqual(doc.get('payload'), { reason: 'manual', threads: 50, count: 100 });
    assert.ok(parseCommandPayload('backfill', doc.get('payload')).ok);
    await finish(plain.body.commandId);

    const body = { threads: 3, count: 20, threadIds: [threadDocId(JID)], requestId: 'bf-1' };
    const a = await api.post(`/api/whatsapp/backfill/${ACCOUNT}`, body, agent.idToken);
    const b = await api.post(`/api/whatsapp/backfill/${ACCOUNT}`, body, agent.idToken);
    assert.equal(a.body.commandId, b.body.commandId);
    assert.equal(a.headers['idempotent-replayed'], undefined);
    assert.equal(b.headers['idempotent-replayed'], 'true', 'a replay while it is pending is a replay, not a 429');
    assert.deepEqual(Object.keys(b.body), ['commandId']);
    assertError(
      await api.post(`/api/whatsapp/backfill/${ACCOUNT}`, { ...body, count: 21 }, agent.idToken),
      409,
      'already_exists',
    );
    await finish(a.body.commandId);
    // Without a requestId, each finished backfill makes room for a new one.
    const c = await api.post(`/api/whatsapp/backfill/${ACCOUNT}`, {}, agent.idToken);
    assert.notEqual(c.body.commandId, plain.body.commandId);
    assert.equal((await commands()).length, 3);
    assertError(
      await api.post(`/api/whatsapp/backfill/${ACCOUNT}`, { accountId: 'acct-s2' }, agent.idToken),
      400,
      'invalid_argument',
    );
  });

  it('allows one pending backfill per account: others get 429 with Retry-After and the pending id', async () => {
    const first = await api.post(`/api/whatsapp/backfill/${ACCOUNT}`, {}, agent.idToken);
    assert.equal(first.status, 202);
    const before = await snapshotStore(testDb());
    for (const body of [{}, {}, { requestId: 'other-1' }, { threads: 2 }]) {
      const again = await api.post(`/api/whatsapp/backfill/${ACCOUNT}`, body, agent.idToken);
      assertError(again, 429, 'resource_exhausted');
      assert.equal(again.headers['retry-after'], '30');
      assert.deepEqual(again.body.error.details, {
        limit: 'backfill',
        commandId: first.body.commandId,
        retryAfterSeconds: 30,
      });
    }
    assert.deepEqual(await snapshotStore(testDb()), before, 'refusals write nothing');
    // Another account is not affected.
    assert.equal((await api.post('/api/whatsapp/backfill/acct-s2', {}, agent.idToken)).status, 202);
    // Running still counts; done, failed or past its expiry does not.
    for (const [state, expired] of [
      ['running', false],
      ['done', false],
      ['pending', true],
    ] as const) {
      const ref = testDb().doc(paths.command(ACCOUNT, first.body.commandId));
      await ref.update({ state, ...(expired ? { expiresAt: Timestamp.fromMillis(Date.now() - 1) } : {}) });
      const res = await api.post(`/api/whatsapp/backfill/${ACCOUNT}`, {}, agent.idToken);
      assert.equal(res.status, state === 'running' ? 429 : 202, `${state}${expired ? ' (expired)' : ''}`);
      if (res.status === 202) await finish(res.body.commandId);
    }
  });

  it('holds an account to its send budget: 429 with Retry-After, replays take nothing, others unaffected', async () => {
    const budget = 30; // SEND_BUDGET_PER_MINUTE's default: the in-process app reads the environment
    const started = Date.now();
    let over: Awaited<ReturnType<typeof send>> | undefined;
    let accepted = 0;
    while (over === undefined && accepted < 3 * budget) {
      const res = await send({
        accountId: ACCOUNT,
        to: JID,
        text: `m${accepted}`,
        clientMessageId: `budget-${accepted}`,
      });
      if (res.status === 202) accepted++;
      else over = res;
    }
    // A full bucket, plus one token per 2 s (30 per minute) while the loop ran.
    const elapsed = Date.now() - started;
    assert.ok(accepted >= budget && accepted <= Math.floor(budget + elapsed / 2000), `${accepted} in ${elapsed} ms`);
    assertError(over!, 429, 'resource_exhausted');
    assert.ok(['1', '2'].includes(String(over!.headers['retry-after'])), String(over!.headers['retry-after']));
    assert.equal(over!.body.error.details.limit, 'send');
    const replay = await send({ accountId: ACCOUNT, to: JID, text: 'm0', clientMessageId: 'budget-0' });
    assert.equal(replay.status, 202, 'a replay is answered even with the budget used up');
    assert.equal((await commands()).length, accepted);
    assert.equal((await send({ accountId: 'acct-s2', to: JID, text: 'x', clientMessageId: 'budget-0' })).status, 202);
  });
});
