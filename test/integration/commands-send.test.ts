/**
 * Sending through the whole system: the HTTPS API writes a send command, the socket host that
 * owns the account claims it, stores the message `pending`, and hands it to the (simulated)
 * WhatsApp with the id the functions chose; receipts move the message on. Also: one message per
 * `clientMessageId`, sends waiting while the account is disconnected and going out in order after
 * the reconnect, expired ones failing with `expired`, payloads that fail the schema failing at once.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { type MessageStatus, messageDocId, paths, threadDocId } from '@wasync/shared';
import { testApi } from '../../functions/test/support/api.ts';
import { newUser, type Persona, seedAccount } from '../../functions/test/support/fixtures.ts';
import type { RunningHost } from '../../socket-host/src/host.ts';
import { SimulatedWhatsApp } from '../../socket-host/src/transport/simulated/simulator.ts';
import {
  recordingTransport,
  stuckSendTransport,
  waitForCommand,
  writeCommandDoc,
} from '../../socket-host/test/support/commands.ts';
import { startTestHost, stateIs, waitForAccount } from '../../socket-host/test/support/host.ts';
import { clearFirestore, testDb } from '../support/firestore.ts';

const FAST = { connectMs: 20, historyChunkMs: 1, receiptMs: 150, onDemandMs: 20 };

describe('commands: send (API → command → socket host → simulated WhatsApp)', function () {
  this.timeout(90_000);
  const api = testApi();
  let agent: Persona;
  let host: RunningHost | undefined;

  before(async function () {
    this.timeout(180_000);
    agent = await newUser('sender');
  });
  beforeEach(clearFirestore);
  afterEach(async () => {
    await host?.shutdown.run('test end');
    host = undefined;
  });

  async function openHost(accountId: string, env: Record<string, string> = {}, backoffMs = 100) {
    await seedAccount(testDb(), accountId, { [agent.uid]: 'agent' });
    const sim = new SimulatedWhatsApp({ seed: accountId, autoPairAfterMs: 50, timings: FAST });
    const { transport, sends } = recordingTransport(sim);
    host = await startTestHost({
      hostId: `host-${accountId}`,
      simulator: sim,
      transport,
      backoff: { baseMs: backoffMs, maxMs: backoffMs, maxFailures: 10 },
      env: { SEND_INTERVAL_MS: '0', SEND_JITTER_MS: '0', ...env },
    });
    // seedAccount writes `open`; the host's own open comes with `me`.
    await waitForAccount(accountId, (d) => d.connection?.state === 'open' && d.me !== undefined, 20_000);
    const dm = sim.phone(accountId).chats.find((c) => c.kind === 'dm' && c.jid.endsWith('@s.whatsapp.net'))!;
    return { sim, sends, jid: dm.jid };
  }

  const send = (body: object) => api.post('/api/whatsapp/send', body, agent.idToken);

  it('HTTP send → the simulated socket gets the chosen id; pending → server_ack → delivered → read; one message per key', async () => {
    const accountId = 'send-e2e';
    const { sends, jid } = await openHost(accountId);
    const threadId = threadDocId(jid);
    const body = { accountId, to: jid, text: 'Your order shipped', clientMessageId: 'order-1' };
    const res = await send(body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const { commandId, messageId } = res.body as { commandId: string; messageId: string };

    // Every status the message document goes through, from the first write on.
    const statuses: MessageStatus[] = [];
    const stop = testDb()
      .doc(paths.message(accountId, threadId, messageDocId(null, true, messageId)))
      .onSnapshot((snap) => {
        const status = snap.get('status') as MessageStatus | undefined;
        if (status && statuses.at(-1) !== status) statuses.push(status);
      });
    try {
      const done = await waitForCommand(accountId, commandId, 'done');
      assert.equal(done.result.messageId, messageId);
      const deadline = Date.now() + 10_000;
      while (statuses.at(-1) !== 'read' && Date.now() < deadline) await sleep(50);
    } finally {
      stop();
    }
    assert.deepEqual(
      sends.map((s) => [s.jid, s.messageId, s.text]),
      [[jid, messageId, 'Your order shipped']],
    );
    // The listener may coalesce quick changes, but never goes back and ends at read.
    assert.equal(statuses.at(-1), 'read', statuses.join(' → '));
    const order: MessageStatus[] = ['pending', 'server_ack', 'delivered', 'read'];
    assert.deepEqual(
      statuses,
      order.filter((s) => statuses.includes(s)),
      statuses.join(' → '),
    );
    assert.ok(statuses.includes('pending'), `stored pending before the send: ${statuses.join(' → ')}`);
    const message = (
      await testDb()
        .doc(paths.message(accountId, threadId, messageDocId(null, true, messageId)))
        .get()
    ).data()!;
    assert.equal(message.source, 'send');
    assert.equal(message.text, 'Your order shipped');
    // Kept for retry receipts (Baileys' getMessage).
    const content = await testDb()
      .doc(paths.messageContent(accountId, messageDocId(null, true, messageId)))
      .get();
    assert.ok(content.exists, 'content stored for getMessage');

    // The same key again: the same ids, nothing new sent.
    const again = await send(body);
    assert.equal(again.status, 202);
    assert.deepEqual(again.body, res.body);
    await sleep(500);
    assert.equal(sends.length, 1, 'one message per clientMessageId');
  });

  it('sends while disconnected stay pending, then go out in creation order after the reconnect; late ones expire', async () => {
    const accountId = 'send-offline';
    const { sim, sends, jid } = await openHost(accountId, { SEND_TTL_S: '10' }, 2_500);
    await sim.disconnect(accountId, 428);
    await waitForAccount(accountId, stateIs('connecting'));
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const res = await send({ accountId, to: jid, text: `queued ${n}`, clientMessageId: `q-${n}` });
      assert.equal(res.status, 202);
      ids.push(res.body.commandId);
    }
    // Written 9.7 s ago (SEND_TTL_S 10): its deadline passes while the account is still closed.
    await writeCommandDoc(
      accountId,
      'send-expiring',
      'send',
      { to: jid, text: 'too late', clientMessageId: 'late', messageId: '3EB0000000000000000001' },
      { ageMs: 9_700 },
    );
    const expired = await waitForCommand(accountId, 'send-expiring', 'failed', 2_000);
    assert.equal(expired.error.code, 'expired');
    for (const id of ids)
      assert.equal((await testDb().doc(paths.command(accountId, id)).get()).get('state'), 'pending');
    assert.equal(sends.length, 0, 'nothing sent on a closed socket');

    await waitForAccount(accountId, stateIs('open'), 20_000);
    for (const id of ids) await waitForCommand(accountId, id, 'done');
    assert.deepEqual(
      sends.map((s) => s.text),
      ['queued 1', 'queued 2', 'queued 3'],
    );
  });

  it('a logout (socket closed 401) fails the sends still waiting, queued or in flight, with failed_precondition', async () => {
    const accountId = 'send-logged-out';
    await seedAccount(testDb(), accountId, { [agent.uid]: 'agent' });
    const sim = new SimulatedWhatsApp({ seed: accountId, autoPairAfterMs: 50, timings: FAST });
    const recording = recordingTransport(sim);
    // The first send hangs in the socket until the socket closes, then fails as Baileys' does on
    // a closed socket (428): the chat's next sends stay queued behind it, pending.
    const { transport, stuck: hanging } = stuckSendTransport(recording.transport, 'stuck');
    host = await startTestHost({
      hostId: `host-${accountId}`,
      simulator: sim,
      transport,
      env: { SEND_INTERVAL_MS: '0', SEND_JITTER_MS: '0' },
    });
    await waitForAccount(accountId, (d) => d.connection?.state === 'open' && d.me !== undefined, 20_000);
    const jid = sim.phone(accountId).chats.find((c) => c.kind === 'dm' && c.jid.endsWith('@s.whatsapp.net'))!.jid;
    const ids: string[] = [];
    let stuck = '';
    for (const text of ['stuck', 'queued 1', 'queued 2']) {
      const res = await send({ accountId, to: jid, text, clientMessageId: text.replace(' ', '-') });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      ids.push(res.body.commandId);
      stuck ||= res.body.messageId;
    }
    await waitForCommand(accountId, ids[0]!, 'running');
    while (!hanging.reached) await sleep(20);
    for (const id of ids.slice(1))
      assert.equal((await testDb().doc(paths.command(accountId, id)).get()).get('state'), 'pending');

    await sim.disconnect(accountId, 401);
    for (const id of ids) {
      const failed = await waitForCommand(accountId, id, 'failed', 10_000);
      assert.equal(failed.error.code, 'failed_precondition', JSON.stringify(failed.error));
      assert.match(failed.error.message, /^logged_out: /);
    }
    await waitForAccount(accountId, stateIs('logged_out'));
    assert.deepEqual(recording.sends, [], 'nothing reached WhatsApp');
    const message = testDb().doc(paths.message(accountId, threadDocId(jid), messageDocId(null, true, stuck)));
    const deadline = Date.now() + 10_000;
    while ((await message.get()).get('status') !== 'error' && Date.now() < deadline) await sleep(100);
    assert.equal((await message.get()).get('status'), 'error', 'the message stored pending did not go out');
  });

  it('a payload that fails the schema fails at once with invalid_argument, and is never sent', async () => {
    const accountId = 'send-invalid';
    const { sends, jid } = await openHost(accountId);
    await writeCommandDoc(accountId, 'send-bad', 'send', {
      to: jid,
      text: '',
      clientMessageId: 'x',
      messageId: 'nope',
    });
    const failed = await waitForCommand(accountId, 'send-bad', 'failed', 5_000);
    assert.equal(failed.error.code, 'invalid_argument');
    assert.match(failed.error.message, /messageId/);
    await sleep(300);
    assert.equal(sends.length, 0);
  });

  it('WhatsApp refusing a send fails it with send_failed and its code; the message stays, marked error', async () => {
    const accountId = 'send-refused';
    const { sends } = await openHost(accountId);
    // A group the account is not in: relayMessage's group query answers <error code="404">.
    const group = '120363099999999999@g.us';
    const res = await send({ accountId, to: group, text: 'to a group we left', clientMessageId: 'refused-1' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const failed = await waitForCommand(accountId, res.body.commandId, 'failed', 20_000);
    assert.deepEqual(failed.error, {
      code: 'send_failed',
      message: 'WhatsApp refused the message (404): item-not-found',
      whatsappCode: 404,
    });
    assert.equal(sends.length, 1, 'handed to the socket once, never retried');
    const doc = await testDb()
      .doc(paths.message(accountId, threadDocId(group), messageDocId(null, true, res.body.messageId)))
      .get();
    assert.equal(doc.get('status'), 'error' satisfies MessageStatus);
    assert.equal(doc.get('text'), 'to a group we left');
  });
});
