/**
 * The writer's reads of a thread that has no messages yet: one emptiness probe per thread in a read
 * round answers "absent" for all its messages (a first import reads a few documents per thread, not
 * one per message). The probe's answer is a read like any other: a message another writer stores
 * after it is still met by the commit's `create()` precondition (merged, not overwritten, not
 * doubled), and a thread that has messages is read by id — a replay after the cache forgot them
 * plans nothing new.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { InMemoryStore, type PlannerEvent, paths, threadDocId } from '@wasync/shared';
import { proto } from '@whiskeysockets/baileys';
import { PEER } from '../../../../shared/test/fixtures/wa-messages.ts';
import { deliver, dmReceipt, live } from '../../../../shared/test/support/baileys-feed.ts';
import { eventsOf, planAndApply } from '../../../../shared/test/support/pipeline.ts';
import { T } from '../../../../shared/test/support/world.ts';
import { testDb } from '../../../../test/support/firestore.ts';
import { type Fence, unfenced } from '../../../src/accounts/fence.ts';
import { accountDocs, modelDocs } from '../../support/account-docs.ts';
import { chunked, generateHistory, historyMaps, recentHistoryOf } from '../../support/history-gen.ts';
import { NOW, openWriter } from '../../support/writer.ts';

const ME_DEVICE = '491700000001:0@s.whatsapp.net';

function importOf(seed: string, threads = { dms: 4, groups: 2 }): PlannerEvent[] {
  const generated = generateHistory({ seed, ...threads, messagesPerThread: 40, endS: T });
  return eventsOf(historyMaps(chunked(generated, 1)), { receivedAt: NOW, historySource: 'import' });
}

/** Our messages to PEER, as a RECENT history payload has them (delivered, not read). */
function ourMessages(ids: readonly string[]): proto.IWebMessageInfo[] {
  return ids.map((id, i) => ({
    key: { remoteJid: PEER.pn, fromMe: true, id },
    messageTimestamp: T + i,
    status: proto.WebMessageInfo.Status.DELIVERY_ACK,
    message: { conversation: `text ${id}` },
  }));
}

function modelOf(accountId: string, ...batches: PlannerEvent[][]): Map<string, unknown> {
  const model = new InMemoryStore(accountId);
  for (const events of batches) planAndApply(model, events, { receivedAt: NOW, now: NOW });
  return modelDocs(model);
}

describe('account writer: threads without messages', function () {
  this.timeout(60_000);

  it("reads a fresh import's messages with one probe per thread, not one read per message", async () => {
    const db = testDb();
    const accountId = `probe-${randomUUID()}`;
    const writer = await openWriter(accountId);
    const history = importOf('probe');
    const messages = history.filter((e) => e.kind === 'message').length;
    await writer.write(history, 'history');
    assert.ok(messages >= 200, `${messages} messages`);
    // 6 threads: a probe, a thread document and a name each, the account's loads, and a few more
    // (the reference lookups of LID chats) — well under one read per message (which it was).
    assert.ok(writer.counters.reads < messages / 5, JSON.stringify({ messages, ...writer.counters }));
    assert.deepEqual(await accountDocs(db, accountId), modelOf(accountId, history));
  });

  it('merges a message another writer stored after the probe found its thread empty, neither overwriting nor doubling it', async () => {
    const db = testDb();
    const accountId = `probe-race-${randomUUID()}`;
    const ids = ['3EB0AB0000000000000001', '3EB0AB0000000000000002', '3EB0AB0000000000000003'];
    const history = eventsOf(historyMaps([recentHistoryOf(PEER.pn, ourMessages(ids))]), {
      receivedAt: NOW,
      historySource: 'import',
    });
    // Another writer of the account: the second message sent from another device and read by PEER.
    const sent = { from: ME_DEVICE, recipient: PEER.pn, id: ids[1]!, t: String(T + 1) };
    const elsewhere = eventsOf(
      await deliver(
        [
          live('sent', sent, { conversation: `text ${ids[1]}` }, 'append'),
          dmReceipt('read', PEER.pn, ids[1]!, proto.WebMessageInfo.Status.READ, T + 5),
        ],
        false,
      ),
      { receivedAt: NOW },
    );
    const other = await openWriter(accountId);
    // Between this writer's reads (the probe: no messages) and its first commit, the other lands.
    const real = unfenced(db, accountId);
    let runs = 0;
    const fence: Fence = {
      accountId,
      epoch: 0,
      run: async (write, read) => {
        if (runs++ === 0) await other.write(elsewhere, 'live');
        return real.run(write, read);
      },
    };
    const writer = await openWriter(accountId, fence);
    await writer.write(history, 'history');
    assert.ok(writer.counters.staleCommits >= 1, 'the create() met the stored message');
    const thread = await db.collection(paths.messages(accountId, threadDocId(PEER.pn))).get();
    assert.equal(thread.size, ids.length, 'each message stored once');
    const second = thread.docs.find((d) => d.id === `me~${ids[1]}`);
    assert.equal(second?.get('status'), 'read', "the other writer's read receipt is kept");
    assert.deepEqual(await accountDocs(db, accountId), modelOf(accountId, elsewhere, history));
  });

  it('plans nothing new when the same history comes again after its cache forgot what it wrote', async () => {
    const db = testDb();
    const accountId = `probe-replay-${randomUUID()}`;
    // A cache far smaller than the import: the replay finds none of its documents there.
    const writer = await openWriter(accountId, undefined, { cacheSize: 10 });
    const history = importOf('probe-replay');
    await writer.write(history, 'history');
    const before = await accountDocs(db, accountId);
    const { writes, commits } = writer.counters;
    await writer.write(history, 'history');
    assert.deepEqual(
      { writes: writer.counters.writes, commits: writer.counters.commits },
      { writes, commits },
      JSON.stringify(writer.counters),
    );
    assert.equal(writer.counters.staleCommits, 0);
    assert.deepEqual(await accountDocs(db, accountId), before);
  });
});
