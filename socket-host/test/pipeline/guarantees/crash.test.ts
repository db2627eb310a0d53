/**
 * A crash mid-history (I2): a process running the pipeline is killed with SIGKILL while it
 * imports a history; the pipeline opened again on the account replays the stored raw history it
 * left unfinished, and the account ends exactly as a clean run of the same history leaves one.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../../../../scripts/lib/firebase-emulators.ts';
import { firestoreHost, testDb } from '../../../../test/support/firestore.ts';
import { rawHistoryPaths } from '../../../src/pipeline/history/raw-store.ts';
import { HistoryIngest } from '../../../src/pipeline/ingest.ts';
import { accountText } from '../../support/account-docs.ts';
import { CRASH_HISTORY } from '../../support/crash-history.ts';
import { ME } from '../../support/sync.ts';

const RECEIVED_AT = 1_735_700_000_000;
const NOW = RECEIVED_AT + 1;

async function cleanRun(accountId: string): Promise<string> {
  const ingest = await HistoryIngest.open({
    db: testDb(),
    accountId,
    me: ME,
    options: { writer: { now: () => NOW } },
  });
  await ingest.historySyncs(CRASH_HISTORY(), RECEIVED_AT);
  await ingest.finish();
  return accountText(testDb(), accountId);
}

describe('guarantee: a crash mid-history is replayed to the clean result', function () {
  this.timeout(300_000); // a child process under tsx: slow to start on a loaded machine

  it('SIGKILL while importing, open again: the raw history is replayed and the state equals a clean run', async () => {
    const accountId = `crash-${Date.now()}`;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(REPO_ROOT, 'socket-host/test/support/crash-child.ts'),
        accountId,
        String(RECEIVED_AT),
        String(NOW),
      ],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH,
          FIRESTORE_EMULATOR_HOST: firestoreHost(),
          GCLOUD_PROJECT: 'demo-wasync',
          METADATA_SERVER_DETECTION: 'none',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let stored = false;
    let imported = 0;
    const killed = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const entry = JSON.parse(line) as { message?: string };
        if (entry.message === 'all chunks stored') stored = true;
        if (entry.message === 'history chunk imported') imported += 1;
        if (entry.message === 'finished') reject(new Error('the import finished before it could be killed'));
        if (stored && imported >= 2) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      // A child that dies on its own (an error on its stderr) fails the test now, not at the timeout.
      child.once('exit', (code, signal) => reject(new Error(`the importer exited by itself (${signal ?? code})`)));
    });
    await killed;
    await once(child, 'exit');
    const pending = await testDb().collection(rawHistoryPaths.chunks(accountId)).where('state', '==', 'pending').get();
    assert.ok(pending.size >= 2, `killed mid-history: ${pending.size} chunks left pending after ${imported} imported`);

    // Started again: the pipeline replays what the killed one left.
    const again = await HistoryIngest.open({
      db: testDb(),
      accountId,
      me: ME,
      options: { writer: { now: () => NOW } },
    });
    assert.equal(await again.replayStored('pending'), pending.size);
    const summary = await again.finish();
    assert.equal(summary.historyChunks, pending.size);
    const remaining = await testDb()
      .collection(rawHistoryPaths.chunks(accountId))
      .where('state', '==', 'pending')
      .get();
    assert.equal(remaining.size, 0);
    assert.equal(await accountText(testDb(), accountId), await cleanRun(`crash-clean-${Date.now()}`));
  });
});
