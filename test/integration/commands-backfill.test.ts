/**
 * Backfill executed by the socket host against the simulated phone, which answers on-demand
 * history requests as WhatsApp does (ON_DEMAND history with the request id, keyed by the chat's
 * own JID — LID or phone number — at most 50 older messages, "nothing older" at the end of a
 * chat) or, for chosen chats, never. The answers flow through the sync pipeline as
 * `source: 'backfill'`.
 */
import assert from 'node:assert/strict';
import { paths } from '@wasync/shared';
import { requestBackfill } from '../../functions/src/commands/account-commands.ts';
import { seedAccount } from '../../functions/test/support/fixtures.ts';
import type { RunningHost } from '../../socket-host/src/host.ts';
import { type OnDemandRequest, onDemandLedger } from '../../socket-host/src/transport/simulated/on-demand.ts';
import { CHAT_DEPTH } from '../../socket-host/src/transport/simulated/phone.ts';
import { SimulatedWhatsApp } from '../../socket-host/src/transport/simulated/simulator.ts';
import { storedMessages, threadOf, waitForPairingHistory } from '../../socket-host/test/support/backfill.ts';
import { waitForCommand } from '../../socket-host/test/support/commands.ts';
import { startTestHost, waitForAccount } from '../../socket-host/test/support/host.ts';
import { clearFirestore, testDb } from '../support/firestore.ts';

const ACCOUNT = 'backfill-exec';
const AGENT = { uid: 'backfill-agent', operator: false };
const RECENT = 12;
/**
 * Above Baileys' event-buffer cap (`BUFFER_TIMEOUT_MS`, 30 s, in its `Utils/event-buffer.js`): an
 * answer handed to the socket while Baileys buffers events reaches the backfill only when the
 * buffer flushes, up to 30 s later. At 15 s such an answer came after the timeout on a loaded CI
 * run (its buffer auto-flushed), and its thread's messages were not counted as received.
 */
const REQUEST_TIMEOUT_S = 35;

/** Each request's chat tail, size and answer latency: what to look at when answers came late. */
function timeline(requests: readonly OnDemandRequest[]): string {
  const t0 = requests[0]?.at ?? 0;
  return requests
    .map(
      (r) => `${r.chatJid.slice(-8)}×${r.count}@${r.at - t0}ms→${r.answeredAt ? `${r.answeredAt - r.at}ms` : 'never'}`,
    )
    .join(', ');
}

const messageCount = (threadId: string) => storedMessages(ACCOUNT, threadId);

describe('commands: backfill on the host (simulated phone)', function () {
  this.timeout(300_000);
  let host: RunningHost | undefined;
  after(async () => {
    await host?.shutdown.run('test end');
  });

  it('tops threads up from the phone, ≤ 2 requests in flight; unanswered ones counted, not looped; "nothing older" marks the thread', async () => {
    await clearFirestore();
    await seedAccount(testDb(), ACCOUNT, { [AGENT.uid]: 'agent' });
    const sim = new SimulatedWhatsApp({
      seed: ACCOUNT,
      autoPairAfterMs: 50,
      timings: { connectMs: 20, historyChunkMs: 1, onDemandMs: 40 },
      phone: { contacts: 5, groups: 1, recentPerChat: RECENT, fullPerChat: 0 },
    });
    host = await startTestHost({
      hostId: 'host-backfill',
      simulator: sim,
      // The phone answers within 40 ms, and answers count as they arrive (not behind the
      // pipeline); the silent chat costs two request timeouts.
      // A 30 s lease (the suite's is 5 s): a loaded machine that starves renewals for a few seconds
      // lets the account go and take it back, and the resumed backfill's counts then miss the
      // request that was in flight (counted by the phone, never by the run that was let go).
      env: {
        BACKFILL_CONCURRENCY: '2',
        BACKFILL_REQUEST_TIMEOUT_S: String(REQUEST_TIMEOUT_S),
        BACKFILL_RETRIES: '1',
        LEASE_TTL_MS: '30000',
      },
    });
    await waitForAccount(ACCOUNT, (d) => d.connection?.state === 'open' && d.me !== undefined);
    const phone = sim.phone(ACCOUNT);
    // The first contact's chat is keyed by its LID on the phone; its thread by the phone number.
    const lidChat = phone.chats[0]!;
    await waitForPairingHistory(ACCOUNT, phone.chats, RECENT);
    assert.equal(await messageCount(threadOf(lidChat)), RECENT, 'pairing history imported');

    // One chat whose requests the phone never answers.
    const silent = phone.chats[1]!;
    const ledger = onDemandLedger(phone);
    ledger.silentChats.add(silent.jid);

    const { commandId } = await requestBackfill(testDb(), AGENT, { accountId: ACCOUNT, threads: 6, count: 100 });
    const done = await waitForCommand(ACCOUNT, commandId, 'done', 120_000);
    const answered = phone.chats.filter((c) => c !== silent);
    // 88 missing per answered thread: 50 + 38; the silent one: asked, unanswered, asked once more.
    // `requested` is what the phone was asked. An answer that reaches the backfill after the request
    // timeout (a loaded machine: it waits in the account's event queue behind the pipeline) counts
    // as unanswered and is asked again, from the same anchor: more requests, never more messages.
    const asked = ledger.requests;
    const late = asked.filter((r) => r.chatJid !== silent.jid).length - answered.length * 2;
    if (late > 0) console.log(`      ${late} answer(s) came after the request timeout: ${timeline(asked)}`);
    assert.deepEqual(done.result, {
      threads: phone.chats.length,
      requested: asked.reduce((sum, r) => sum + r.count, 0),
      received: answered.length * 88,
    });
    assert.ok(done.result.requested >= answered.length * 88 + 2 * 50, JSON.stringify(done.result));
    for (const chat of answered) assert.equal(await messageCount(threadOf(chat)), 100, chat.jid);
    assert.equal(await messageCount(threadOf(silent)), RECENT);
    assert.equal(ledger.requests.filter((r) => r.chatJid === silent.jid).length, 2, 'retried once, not looped');
    // The silent chat's requests wait until the backfill's timeout, not for ever: its retry and a
    // thread asked again after a late answer are both in flight then.
    const inFlight = ledger.maxInFlight(REQUEST_TIMEOUT_S * 1000);
    assert.ok(inFlight <= 2, `in flight at once: ${inFlight}`);
    assert.equal(inFlight, 2, 'two threads at a time (BACKFILL_CONCURRENCY 2)');

    const backfilled = await testDb()
      .collection(paths.messages(ACCOUNT, threadOf(lidChat)))
      .where('source', '==', 'backfill')
      .count()
      .get();
    assert.equal(backfilled.data().count, 88, 'answers keyed by the LID land in the phone-number thread as backfill');
    const account = (await testDb().doc(paths.account(ACCOUNT)).get()).data()!;
    assert.equal(account.backfill.state, 'done');
    assert.equal(account.backfill.unanswered, 2 + late, 'the silent chat twice, plus answers that came late');
    assert.equal(account.backfill.received, answered.length * 88);
    assert.ok(account.lastBackfillAt, 'lastBackfillAt');
    const silentMarker = (
      await testDb()
        .doc(paths.backfillThread(ACCOUNT, threadOf(silent)))
        .get()
    ).data()!;
    assert.equal(silentMarker.unanswered, 2);

    // One thread to the end of its history: the phone says nothing older is left (its flag on the
    // last full answer is dropped by Baileys' buffer, which has seen the chat: then an empty answer
    // says it); the thread is marked and later backfills skip it.
    const deep = threadOf(lidChat);
    const toEnd = await requestBackfill(testDb(), AGENT, { accountId: ACCOUNT, threadIds: [deep], count: 1000 });
    const end = await waitForCommand(ACCOUNT, toEnd.commandId, 'done', 60_000);
    assert.equal(end.result.received, CHAT_DEPTH - 100);
    assert.equal(await messageCount(deep), CHAT_DEPTH);
    assert.ok((await testDb().doc(paths.backfillThread(ACCOUNT, deep)).get()).get('exhaustedAt'), 'exhausted');
    const before = ledger.requests.length;
    const again = await requestBackfill(testDb(), AGENT, { accountId: ACCOUNT, threadIds: [deep], count: 1000 });
    const skipped = await waitForCommand(ACCOUNT, again.commandId, 'done', 30_000);
    assert.deepEqual(skipped.result, { threads: 0, requested: 0, received: 0 });
    assert.equal(ledger.requests.length, before, 'nothing asked for an exhausted thread');
  });
});
