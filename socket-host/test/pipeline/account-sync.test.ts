/**
 * An account's pipeline (the host's event sink) on the test Firestore: Baileys event maps in,
 * the planner's documents out — history through the durable raw store and its own lane, the rest
 * through the live lane — and the history dry run.
 */
import assert from 'node:assert/strict';
import { InMemoryStore, paths, threadDocId } from '@wasync/shared';
import { generateWAMessage, proto } from '@whiskeysockets/baileys';
import { Timestamp } from 'firebase-admin/firestore';
import { ME, PEER } from '../../../shared/test/fixtures/wa-messages.ts';
import { deliver, silentLogger } from '../../../shared/test/support/baileys-feed.ts';
import { eventsOf, planAndApply } from '../../../shared/test/support/pipeline.ts';
import { anchors, deliveries, T } from '../../../shared/test/support/world.ts';
import { testDb } from '../../../test/support/firestore.ts';
import { createLogger } from '../../src/log.ts';
import { rawHistoryPaths } from '../../src/pipeline/history/raw-store.ts';
import { accountDocs, modelDocs } from '../support/account-docs.ts';
import { type GeneratedThread, generateHistory, historyMaps } from '../support/history-gen.ts';
import { feed, openSync } from '../support/sync.ts';

const NOW = (T + 3600) * 1000;
const ME_DEVICE = ME.device;

/** One FULL history notification holding every thread whole, one after the other (as the phone cuts them). */
function byConversation(threads: GeneratedThread[]): proto.IHistorySync {
  return {
    syncType: proto.HistorySync.HistorySyncType.FULL,
    progress: 100,
    conversations: threads.map((t) => t.conversation),
  };
}

describe('account pipeline (sink)', function () {
  this.timeout(60_000);

  it('stores history and live events as the planner model does, history durable first and marked done', async () => {
    const sync = await openSync({ now: NOW });
    const world = deliveries();
    const maps = [...(await deliver(world.slice(0, 9), true)), ...(await deliver(world.slice(9), false)), ...anchors()];
    await feed(sync, maps, NOW);
    await sync.drain();
    const model = new InMemoryStore(sync.writer.accountId);
    for (const map of maps) planAndApply(model, eventsOf([map], { receivedAt: NOW }), { receivedAt: NOW, now: NOW });
    const stored = await accountDocs(testDb(), sync.writer.accountId);
    const expected = modelDocs(model);
    assert.deepEqual(new Map([...stored].filter(([p]) => p.startsWith('accounts/'))), expected);
    const chunks = await testDb().collection(rawHistoryPaths.chunks(sync.writer.accountId)).get();
    assert.equal(chunks.size, maps.filter((m) => m['messaging-history.set']).length);
    assert.ok(chunks.docs.every((d) => d.get('state') === 'done' && d.get('expiresAt') instanceof Timestamp));
    const account = (await testDb().doc(paths.account(sync.writer.accountId)).get()).data();
    assert.equal(account?.historySync?.chunks, chunks.size);
    assert.ok(account?.lastHistorySyncAt instanceof Timestamp);
    await sync.close('test');
  });

  it('writes each thread of a history chunk once, however many plans the chunk is cut into', async () => {
    // Names follow the messages in a payload; planned in slices, a thread used to be written
    // once without its name and again with it.
    const threads = generateHistory({ seed: 'slices', dms: 4, groups: 2, messagesPerThread: 12, endS: T });
    const sync = await openSync({ now: NOW, options: { historyMessagesPerPlan: 12 } });
    await feed(sync, historyMaps([byConversation(threads)]), NOW);
    await sync.drain();
    assert.equal(sync.counters.historyMessages, 72);
    assert.equal(sync.counters.threadsTouched, threads.length);
    assert.equal(sync.counters.threadsWritten, threads.length, 'every thread written once');
    const stored = await testDb().collection(paths.threads(sync.writer.accountId)).get();
    assert.deepEqual(stored.docs.map((d) => d.get('name')).sort(), threads.map((t) => t.name).sort());
  });

  it('plans history in a dry run, logs what it would write, and writes none of it', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
    const sync = await openSync({ now: NOW, log, options: { historyDryRun: true } });
    await feed(sync, anchors(), NOW);
    await sync.drain();
    const stored = await accountDocs(testDb(), sync.writer.accountId);
    assert.equal(stored.size, 0);
    const chunks = await testDb().collection(rawHistoryPaths.chunks(sync.writer.accountId)).get();
    assert.equal(chunks.size, 0);
    const summaries = lines.filter((l) => l.message === 'history sync dry run: nothing written');
    assert.equal(summaries.length, 2);
    assert.ok((summaries[0]!.wouldWrite as { messages: number }).messages > 0, JSON.stringify(summaries[0]));
    await sync.close('test');
  });

  it('replays the raw history an earlier owner left unfinished when the account is opened again', async () => {
    const first = await openSync({ now: NOW });
    const accountId = first.writer.accountId;
    // The first owner stores both chunks, then goes away before importing them (a crash).
    await first.close('crash');
    const [recent, full] = anchors();
    await first.acceptHistory(recent!['messaging-history.set']!, { seq: 1, receivedAt: NOW });
    await first.acceptHistory(full!['messaging-history.set']!, { seq: 2, receivedAt: NOW });
    assert.equal((await first.raw.pending()).length, 2);
    assert.equal((await accountDocs(testDb(), accountId)).size, 0);
    const second = await openSync({ accountId, now: NOW });
    await second.drain();
    assert.equal((await second.raw.pending()).length, 0);
    const clean = await openSync({ now: NOW });
    await feed(clean, anchors(), NOW);
    await clean.drain();
    const relative = async (id: string) =>
      new Map(
        [...(await accountDocs(testDb(), id))].map(([p, d]) => [
          p.replace(id, ''),
          JSON.stringify(d).replaceAll(id, ''),
        ]),
      );
    assert.deepEqual(await relative(accountId), await relative(clean.writer.accountId));
    await Promise.all([second.close('test'), clean.close('test')]);
  });

  it('writes messages other work hands it now (a send: source send, content kept for getMessage)', async () => {
    const sync = await openSync({ now: NOW });
    const { accountId } = sync.writer;
    const sent = await generateWAMessage(
      PEER.pn,
      { text: 'on its way' },
      { userJid: ME_DEVICE, logger: silentLogger as never, upload: (() => Promise.reject()) as never },
    );
    await sync.writeMessages([sent], 'send');
    const doc = (
      await testDb()
        .doc(paths.message(accountId, threadDocId(PEER.pn), `me~${sent.key.id}`))
        .get()
    ).data();
    assert.deepEqual([doc?.source, doc?.status, doc?.text], ['send', 'pending', 'on its way']);
    assert.ok(
      (
        await testDb()
          .doc(paths.messageContent(accountId, `me~${sent.key.id}`))
          .get()
      ).exists,
    );
    await sync.close('test');
  });
});
