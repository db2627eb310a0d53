/**
 * `npm run cli -- import-history | replay-history`, run as a child process against the test
 * Firestore with HistorySync files built from Baileys' protobufs (deflated as WhatsApp ships
 * them, and inflated): the account's history lands through the pipeline and the summary says
 * what happened; a replay changes nothing; a missing identity or one bad file is a clear error
 * with a code, a non-zero exit, and nothing stored touched.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { paths } from '@wasync/shared';
import { proto } from '@whiskeysockets/baileys';
import { testDb } from '../../../test/support/firestore.ts';
import { rawHistoryPaths } from '../../src/pipeline/history/raw-store.ts';
import { accountText } from '../support/account-docs.ts';
import { historyFiles, runCli } from '../support/cli.ts';
import { chunked, generateHistory, messageIds } from '../support/history-gen.ts';
import { ME } from '../support/sync.ts';

const END_S = 1_735_689_600;

async function pairedAccount(prefix: string): Promise<string> {
  const accountId = `${prefix}-${Date.now()}`;
  await testDb().doc(paths.account(accountId)).set({ displayName: accountId, me: ME });
  return accountId;
}

/** Everything of the account a run could touch: its documents, its raw chunks, the account itself. */
async function storedState(accountId: string): Promise<string> {
  const db = testDb();
  const chunks = await db.collection(rawHistoryPaths.chunks(accountId)).get();
  const account = await db.doc(paths.account(accountId)).get();
  return JSON.stringify({
    docs: await accountText(db, accountId),
    chunks: chunks.docs.map((d) => [d.id, d.updateTime.toMillis()]),
    account: account.updateTime?.toMillis() ?? null,
  });
}

function summaryOf(stdout: string) {
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown> & {
    skipped: Record<string, number>;
  };
}

describe('cli: import-history and replay-history (child process, test Firestore)', function () {
  this.timeout(120_000);

  const threads = generateHistory({ seed: 'cli', dms: 6, groups: 2, messagesPerThread: 30, endS: END_S });
  const ids = messageIds(threads);

  it('imports deflated and inflated HistorySync files, sums up, and a replay changes nothing', async () => {
    const accountId = await pairedAccount('cli-import');
    const files = await historyFiles(chunked(threads, 3), new Set([1]));
    const run = await runCli(['import-history', '--account', accountId, '--json', ...files]);
    assert.equal(run.code, 0, run.stderr);
    const summary = summaryOf(run.stdout);
    assert.equal(summary.command, 'import-history');
    assert.equal(summary.chunks, 3);
    assert.equal(summary.messages, ids.length);
    assert.equal(summary.messagesWritten, ids.length);
    assert.equal(summary.threads, threads.length);
    assert.ok((summary.writes as number) >= ids.length && (summary.reads as number) > 0);
    assert.ok((summary.commits as number) > 0 && (summary.seconds as number) > 0);
    assert.deepEqual(summary.skipped, {});
    // Not a terminal: plain progress lines, one per chunk, and what each file held.
    assert.match(run.stderr, /history-1\.bin: RECENT, \d+ conversations, \d+ messages\n/);
    assert.match(run.stderr, /history-0\.bin: .*\(deflated\)/);
    assert.match(
      run.stderr,
      new RegExp(`history: ${ids.length.toLocaleString('en-US')}/[\\d,]+ messages \\(100 %\\), chunk 3/3`),
    );

    const db = testDb();
    const stored = await db.collectionGroup('messages').where('accountId', '==', accountId).get();
    assert.deepEqual(stored.docs.map((d) => d.get('id') as string).sort(), [...ids].sort());
    assert.deepEqual([...new Set(stored.docs.map((d) => d.get('source')))], ['import']);
    const named = await db.collection(paths.threads(accountId)).get();
    assert.equal(named.size, threads.length);
    assert.ok(named.docs.every((d) => typeof d.get('name') === 'string' && d.get('name') !== ''));
    const before = await accountText(db, accountId);

    const replay = await runCli(['replay-history', '--account', accountId, '--json']);
    assert.equal(replay.code, 0, replay.stderr);
    const again = summaryOf(replay.stdout);
    assert.equal(again.chunks, 3);
    assert.equal(again.messages, ids.length);
    assert.equal(again.messagesWritten, 0, 'a replay of what is stored writes no message');
    assert.equal(await accountText(db, accountId), before);

    const pending = await runCli(['replay-history', '--account', accountId, '--pending']);
    assert.equal(pending.code, 0, pending.stderr);
    assert.match(pending.stderr, /3 stored chunks, replaying 0/);
    assert.match(pending.stdout, /chunks {5}0\n/);
  });

  it('one bad file among good ones: an error naming it, exit 1, nothing stored touched', async () => {
    const accountId = await pairedAccount('cli-bad');
    const [first] = await historyFiles(chunked(threads, 2).slice(0, 1));
    assert.equal((await runCli(['import-history', '--account', accountId, first!])).code, 0);
    const before = await storedState(accountId);

    const good = await historyFiles(chunked(threads, 2), new Set([0]));
    const truncated = `${good[1]}.truncated`;
    const whole = proto.HistorySync.encode(proto.HistorySync.create(chunked(threads, 2)[1]!)).finish();
    await writeFile(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    const run = await runCli(['import-history', '--account', accountId, ...good, truncated]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(`error invalid_argument: ${truncated.replaceAll('.', '\\.')}: is not a HistorySync protobuf`),
    );
    assert.equal(run.stdout, '');
    assert.equal(await storedState(accountId), before, 'the good files before the bad one were not written either');
  });

  it('an account without an identity, or none at all: a clear error with its code, nothing written', async () => {
    const db = testDb();
    const accountId = `cli-unpaired-${Date.now()}`;
    const files = await historyFiles(chunked(threads, 1));
    const missing = await runCli(['import-history', '--account', accountId, ...files]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`error not_found: account ${accountId} does not exist`));

    await db.doc(paths.account(accountId)).set({ displayName: 'unpaired' });
    for (const args of [
      ['import-history', '--account', accountId, ...files],
      ['replay-history', '--account', accountId],
    ]) {
      const run = await runCli(args);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /error failed_precondition: account .* has no identity \(accounts\/.*\.me\)/);
    }
    assert.equal((await db.collection(rawHistoryPaths.chunks(accountId)).get()).size, 0);
    assert.equal((await db.collection(paths.threads(accountId)).get()).size, 0);
  });

  it('--help, and a bad command line exits 2 with the usage', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /import-history --account <accountId> <file>\.\.\./);
    const bad = await runCli(['import-history', '--acount', 'x', 'f']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /error invalid_argument: Unknown option '--acount'/);
    assert.match(bad.stderr, /Usage:/);
  });
});
