/**
 * An account's pipeline (the host's event sink) on the test Firestore: Baileys event maps in,
 * the planner's documents out — history through the durable raw store and its own lane, the rest
 * through the live lane — and the history dry run.
 */
import assert from 'node:assert/strict';
import { InMemoryStore, paths, threadDocId } from '@wasync/shared';
import { generateWAMessage, proto } from '@whiskeysockets/baileys';
import { Timestamp } from 'firebase-admin/firestore';
import { GROUP, ME, OTHER, PEER } from '../../../shared/test/fixtures/wa-messages.ts';
import { deliver, history, live, silentLogger } from '../../../shared/test/support/baileys-feed.ts';
import { eventsOf, planAndApply } from '../../../shared/test/support/pipeline.ts';
import { anchors, deliveries, T } from '../../../shared/test/support/world.ts';
import { testDb } from '../../../test/support/firestore.ts';
import { createLogger } from '../../src/log.ts';
import { rawHistoryPaths } from '../../src/pipeline/history/raw-store.ts';
import { accountDocs, modelDocs } from '../support/account-docs.ts';
import {
  chunked,
  type GeneratedThread,
  generateHistory,
  historyMaps,
  recentHistoryOf,
} from '../support/history-gen.ts';
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

  it('files a revoke the buffer merged into a history message under its target, as one map normalised whole would', async () => {
    // A history chunk and the peer's revoke of one of its messages in one buffer window: Baileys'
    // messages.update of the revoke is Object.assign-ed into the history message, key included, so
    // the set carries a tombstone under the revoke's own id (event-buffer.js, process-message.js).
    // The pipeline takes the history apart from the live events of the same map.
    const [target, revoke] = ['3EB0AC0000000000000001', '3EB0AC0000000000000002'];
    const chunk = history('recent', T + 5, () =>
      recentHistoryOf(PEER.pn, [
        {
          key: { remoteJid: PEER.pn, fromMe: false, id: target },
          messageTimestamp: T + 2,
          message: { conversation: 'oops' },
        },
      ]),
    );
    const revoked = live(
      'revoke',
      { from: PEER.pn, id: revoke, t: String(T + 6) },
      {
        protocolMessage: {
          type: proto.Message.ProtocolMessage.Type.REVOKE,
          key: { remoteJid: PEER.pn, fromMe: true, id: target },
        },
      },
    );
    const maps = await deliver([chunk, revoked], true);
    const merged = maps.find((m) => m['messaging-history.set'] && m['messages.upsert']);
    assert.equal(merged?.['messaging-history.set']?.messages[0]?.key.id, revoke, 'the buffer merged the revoke');
    const sync = await openSync({ now: NOW });
    await feed(sync, maps, NOW);
    await sync.drain();
    const model = new InMemoryStore(sync.writer.accountId);
    planAndApply(model, eventsOf(maps, { receivedAt: NOW }), { receivedAt: NOW, now: NOW });
    const stored = await accountDocs(testDb(), sync.writer.accountId);
    const thread = threadDocId(PEER.pn);
    const tombstone = stored.get(paths.message(sync.writer.accountId, thread, `peer~${target}`)) as {
      deleted?: boolean;
    };
    assert.equal(tombstone?.deleted, true, 'the target is a tombstone');
    assert.equal(
      stored.has(paths.message(sync.writer.accountId, thread, `peer~${revoke}`)),
      false,
      'nothing under the revoke',
    );
    assert.deepEqual(new Map([...stored].filter(([p]) => p.startsWith('accounts/'))), modelDocs(model));
    await sync.close('test');
  });

  it("files a group admin's revoke the buffer merged into a history message under the author's message", async () => {
    const [target, revoke] = ['3EB0AD0000000000000001', '3EB0AD0000000000000002'];
    const chunk = history('recent', T + 5, () =>
      recentHistoryOf(GROUP, [
        {
          key: { remoteJid: GROUP, fromMe: false, id: target, participant: OTHER.pn },
          messageTimestamp: T + 2,
          message: { conversation: 'off topic' },
        },
      ]),
    );
    // PEER, an admin, deletes OTHER's message for everyone: the revoke's key names the author.
    const revoked = live(
      'admin revoke',
      { from: GROUP, participant: PEER.pn, id: revoke, t: String(T + 6) },
      {
        protocolMessage: {
          type: proto.Message.ProtocolMessage.Type.REVOKE,
          key: { remoteJid: GROUP, fromMe: false, id: target, participant: OTHER.pn },
        },
      },
    );
    const maps = await deliver([chunk, revoked], true);
    const merged = maps.find((m) => m['messaging-history.set'] && m['messages.upsert']);
    assert.equal(merged?.['messaging-history.set']?.messages[0]?.key.id, revoke, 'the buffer merged the revoke');
    const sync = await openSync({ now: NOW });
    await feed(sync, maps, NOW);
    await sync.drain();
    const model = new InMemoryStore(sync.writer.accountId);
    planAndApply(model, eventsOf(maps, { receivedAt: NOW }), { receivedAt: NOW, now: NOW });
    const stored = await accountDocs(testDb(), sync.writer.accountId);
    const path = paths.message(sync.writer.accountId, threadDocId(GROUP), `${OTHER.pn}~${target}`);
    assert.equal((stored.get(path) as { deleted?: boolean } | undefined)?.deleted, true, "the author's message");
    assert.deepEqual(new Map([...stored].filter(([p]) => p.startsWith('accounts/'))), modelDocs(model));
    await sync.close('test');
  });

  it('imports a queued chunk when reloading it from the raw store failed once for a reason that passes', async () => {
    const sync = await openSync({ now: NOW, options: { historyChunksInMemory: 0 } });
    const load = sync.raw.load.bind(sync.raw);
    let failures = 1;
    sync.raw.load = (chunk) =>
      failures-- > 0
        ? Promise.reject(Object.assign(new Error('14 UNAVAILABLE: read failed (injected)'), { code: 14 }))
        : load(chunk);
    await feed(sync, anchors(), NOW);
    await sync.drain();
    assert.equal(failures, -2, 'loaded twice after the failure');
    assert.deepEqual(await sync.raw.pending(), [], 'every chunk imported and marked done');
    const stored = await accountDocs(testDb(), sync.writer.accountId);
    assert.ok([...stored.keys()].filter((p) => p.includes('/messages/')).length > 0);
    await sync.close('test');
  });

  it('writes each thread of a history chunk once, with its name and no name document, however many plans the chunk is cut into', async () => {
    // Names follow the messages in a payload; planned in slices, a thread used to be written
    // once without its name and again with it — and with every name in the first slice, the
    // name of a thread whose messages came in a later slice went to a name document first.
    const threads = generateHistory({ seed: 'slices', dms: 4, groups: 2, messagesPerThread: 12, endS: T });
    const sync = await openSync({ now: NOW, options: { historyMessagesPerPlan: 12 } });
    await feed(sync, historyMaps([byConversation(threads)]), NOW);
    await sync.drain();
    assert.equal(sync.counters.historyMessages, 72);
    assert.equal(sync.counters.threadsTouched, threads.length);
    assert.equal(sync.counters.threadsWritten, threads.length, 'every thread written once');
    const { messagesWritten, threadsWritten, pairsLearned, writes } = sync.counters;
    assert.equal(writes, messagesWritten + threadsWritten + pairsLearned, 'nothing but messages, threads and pairs');
    const stored = await testDb().collection(paths.threads(sync.writer.accountId)).get();
    assert.deepEqual(stored.docs.map((d) => d.get('name')).sort(), threads.map((t) => t.name).sort());
    const names = await testDb().collection(paths.names(sync.writer.accountId)).get();
    assert.equal(names.size, 0);
  });

  it('plans each history slice while the one before it commits, and lands them in order', async () => {
    const threads = generateHistory({ seed: 'overlap', dms: 4, groups: 2, messagesPerThread: 12, endS: T });
    const sync = await openSync({ now: NOW, options: { historyMessagesPerPlan: 12 } });
    const write = sync.writer.write.bind(sync.writer);
    const timeline: string[] = [];
    let n = 0;
    sync.writer.write = (events, lane, ...rest) => {
      if (lane !== 'history') return write(events, lane, ...rest);
      const i = n++;
      timeline.push(`start ${i}`);
      return write(events, lane, ...rest).finally(() => timeline.push(`end ${i}`));
    };
    await feed(sync, historyMaps(chunked(threads, 2)), NOW);
    await sync.drain();
    const starts = timeline.filter((e) => e.startsWith('start')).length;
    assert.ok(starts >= 6, timeline.join(', '));
    const ends = timeline.filter((e) => e.startsWith('end')).map((e) => Number(e.slice(4)));
    assert.deepEqual(
      ends,
      [...ends].sort((a, b) => a - b),
      'landed in order',
    );
    const overlapped = ends.filter(
      (i) =>
        timeline.indexOf(`start ${i + 1}`) >= 0 && timeline.indexOf(`start ${i + 1}`) < timeline.indexOf(`end ${i}`),
    );
    assert.ok(
      overlapped.length >= starts - 2,
      `the next slice planned while this one committed: ${timeline.join(', ')}`,
    );
    const model = new InMemoryStore(sync.writer.accountId);
    for (const map of historyMaps(chunked(threads, 2)))
      planAndApply(model, eventsOf([map], { receivedAt: NOW }), { receivedAt: NOW, now: NOW });
    assert.deepEqual(await accountDocs(testDb(), sync.writer.accountId), modelDocs(model));
    assert.deepEqual(await sync.raw.pending(), [], 'every chunk marked done');
    await sync.close('test');
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
