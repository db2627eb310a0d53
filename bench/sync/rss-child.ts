/**
 * One peak-RSS measurement of sync-pipeline.bench.ts, in a fresh process that does nothing but
 * import (the Firestore backend runs in its own process): `messages` history entries for a new
 * account, generated one notification (2,500 messages, 20 conversations) at a time, so the only
 * thing that could grow with the history is the pipeline. Prints one JSON line.
 *
 * Usage: tsx bench/sync/rss-child.ts <messages> <accountId> (FIRESTORE_EMULATOR_HOST set).
 */
import { initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { DEMO_PROJECT } from '../../scripts/lib/firestore-backend.ts';
import { paths } from '../../shared/src/schema.ts';
import { HistoryIngest } from '../../socket-host/src/pipeline/ingest.ts';
import { ME } from '../../socket-host/test/support/sync.ts';
import { benchHistory } from './history.ts';

const PER_CHUNK = 2_500;
const [messages, accountId] = [Number(process.argv[2]), process.argv[3]!];
const db = getFirestore(initializeApp({ projectId: DEMO_PROJECT }));
db.settings({ ignoreUndefinedProperties: true });
await db.doc(paths.account(accountId)).set({ displayName: accountId, me: ME });
const ingest = await HistoryIngest.open({ db, accountId, me: ME, source: 'import' });
const baselineRss = process.memoryUsage().rss;
const started = Date.now();
for (let k = 0; k * PER_CHUNK < messages; k++) {
  const [chunk] = benchHistory(PER_CHUNK, `rss-${k}`, { threads: 20, perChunk: PER_CHUNK }).chunks;
  await ingest.historySyncs([{ ...chunk!, chunkOrder: k }]);
}
const summary = await ingest.finish();
process.stdout.write(
  `${JSON.stringify({
    messages: summary.historyMessages,
    seconds: (Date.now() - started) / 1000,
    baselineRssMb: baselineRss / 2 ** 20,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
process.exit(0);
