/**
 * A process that runs the sync pipeline on a generated history and gets killed (`crash.test.ts`):
 * it stores every chunk raw at once, then imports them slowly (small commits, a tight write
 * budget), logging each imported chunk as a JSON line. Arguments: accountId, receivedAt, now.
 */
import { initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { createLogger } from '../../src/log.ts';
import { HistoryIngest } from '../../src/pipeline/ingest.ts';
import { WriteBudget } from '../../src/pipeline/writer/write-budget.ts';
import { CRASH_HISTORY } from './crash-history.ts';
import { ME } from './sync.ts';

const [accountId, receivedAt, now] = process.argv.slice(2);
const db = getFirestore(initializeApp({ projectId: process.env.GCLOUD_PROJECT }));
const ingest = await HistoryIngest.open({
  db,
  accountId: accountId!,
  me: ME,
  log: createLogger('info'),
  budget: new WriteBudget({ startPerSecond: 120, maxPerSecond: 120 }),
  options: { writer: { maxWritesPerCommit: 20, now: () => Number(now) } },
});
await ingest.historySyncs(CRASH_HISTORY(), Number(receivedAt));
process.stdout.write(`${JSON.stringify({ message: 'all chunks stored' })}\n`);
await ingest.finish();
process.stdout.write(`${JSON.stringify({ message: 'finished' })}\n`);
process.exit(0);
