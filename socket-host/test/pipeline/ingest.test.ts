/**
 * The tools' entry point (`HistoryIngest`): who the account is comes from `accounts/{id}.me`
 * (a clear error without it), decoded HistorySync protobufs go through the live path with the
 * given source, the summary counts what happened, and the stored raw history can be replayed.
 */
import assert from 'node:assert/strict';
import { AppError, paths } from '@wasync/shared';
import { testDb } from '../../../test/support/firestore.ts';
import { accountIdentity, HistoryIngest } from '../../src/pipeline/ingest.ts';
import { accountText } from '../support/account-docs.ts';
import { chunked, generateHistory, messageIds } from '../support/history-gen.ts';
import { ME } from '../support/sync.ts';

const END_S = 1_735_689_600;
const NOW = (END_S + 60) * 1000;

describe('history ingest (tools entry point)', function () {
  this.timeout(60_000);

  it('needs the account’s identity and says so clearly', async () => {
    const db = testDb();
    const id = `ingest-${Date.now()}`;
    await assert.rejects(accountIdentity(db, id), (e) => e instanceof AppError && e.code === 'not_found');
    await db.doc(paths.account(id)).set({ displayName: 'x' });
    await assert.rejects(accountIdentity(db, id), (e) => e instanceof AppError && e.code === 'failed_precondition');
    await db.doc(paths.account(id)).update({ me: ME });
    assert.deepEqual(await accountIdentity(db, id), ME);
  });

  it('imports HistorySync protobufs with source import, counts them, and replays the stored raw history', async () => {
    const db = testDb();
    const accountId = `ingest-run-${Date.now()}`;
    const threads = generateHistory({ seed: 'ingest', dms: 4, groups: 1, messagesPerThread: 20, endS: END_S });
    const ingest = await HistoryIngest.open({
      db,
      accountId,
      me: ME,
      source: 'import',
      options: { writer: { now: () => NOW } },
    });
    await ingest.historySyncs(chunked(threads, 3), NOW);
    const summary = await ingest.finish();
    const stored = messageIds(threads).length;
    assert.equal(summary.historyChunks, 3);
    assert.equal(summary.historyMessages, stored);
    assert.equal(summary.messagesWritten, stored);
    assert.ok(summary.reads > 0 && summary.writes >= stored && summary.commits > 0 && summary.seconds > 0);
    const sources = (await db.collectionGroup('messages').where('accountId', '==', accountId).get()).docs.map((d) =>
      d.get('source'),
    );
    assert.deepEqual([...new Set(sources)], ['import']);
    const before = await accountText(db, accountId);

    const replay = await HistoryIngest.open({
      db,
      accountId,
      me: ME,
      source: 'import',
      options: { writer: { now: () => NOW } },
    });
    assert.equal(await replay.replayStored('all'), 3);
    const again = await replay.finish();
    assert.equal(again.historyChunks, 3);
    assert.equal(again.messagesWritten, 0, 'a replay of what is stored writes no message');
    assert.equal(await accountText(db, accountId), before);
  });
});
