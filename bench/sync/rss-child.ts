/**
 * One peak-RSS measurement of sync-pipeline.bench.ts, in a fresh process that does nothing but
 * import (the Firestore backend runs in its own process): `messages` history entries for a new
 * account, generated one notification (2,500 messages, 20 conversations) at a time, so the only
 * thing that could grow with the history is the pipeline. Prints one JSON line.
 *
 * Every notification holds the same 20 conversations (so the account does not grow new threads
 * and pairs with its size), with new message ids, each notification older than the one before.
 *
 * Beside the peak it prints the heap after a full GC once the import is done (what the process
 * keeps: flat across sizes when nothing grows with the history) and V8's heap limit: the peak is
 * mostly garbage V8 lets pile up before a full GC, up to about 4× the live heap when the limit is
 * 2 GB or more (this machine), about 1.6× at 1 GB (what Node derives on a 2 GiB instance).
 *
 * Usage: node --expose-gc --import tsx bench/sync/rss-child.ts <messages> <accountId> (FIRESTORE_EMULATOR_HOST set).
 */
import { getHeapStatistics } from 'node:v8';

import type { proto } from '@whiskeysockets/baileys';
import { initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { DEMO_PROJECT } from '../../scripts/lib/firestore-backend.ts';
import { paths } from '../../shared/src/schema.ts';
import { HistoryIngest } from '../../socket-host/src/pipeline/ingest.ts';
import { ME } from '../../socket-host/test/support/sync.ts';
import { benchHistory } from './history.ts';

const PER_CHUNK = 2_500;
/** A notification's messages span 125 × 10 minutes: the next one starts a day earlier. */
const CHUNK_SPAN_S = 86_400;

/** Message `m` as notification `k` has it: its own ids (and those it points at), `k` days older. */
function older(m: proto.IWebMessageInfo, k: number): void {
  const rename = (key: proto.IMessageKey | null | undefined) => {
    if (key?.id) key.id = `${key.id.slice(0, 4)}${k.toString(16).toUpperCase().padStart(4, '0')}${key.id.slice(8)}`;
  };
  rename(m.key);
  rename(m.message?.protocolMessage?.key);
  for (const reaction of m.reactions ?? []) rename(reaction.key);
  m.messageTimestamp = Number(m.messageTimestamp) - k * CHUNK_SPAN_S;
}
const [messages, accountId] = [Number(process.argv[2]), process.argv[3]!];
const db = getFirestore(initializeApp({ projectId: DEMO_PROJECT }));
db.settings({ ignoreUndefinedProperties: true });
await db.doc(paths.account(accountId)).set({ displayName: accountId, me: ME });
const ingest = await HistoryIngest.open({ db, accountId, me: ME, source: 'import' });
const baselineRss = process.memoryUsage().rss;
const started = Date.now();
for (let k = 0; k * PER_CHUNK < messages; k++) {
  const [chunk] = benchHistory(PER_CHUNK, 'rss', { threads: 20, perChunk: PER_CHUNK }).chunks;
  for (const conversation of chunk!.conversations ?? [])
    for (const m of conversation.messages ?? []) older(m.message!, k);
  await ingest.historySyncs([{ ...chunk!, chunkOrder: k }]);
}
const summary = await ingest.finish();
const seconds = (Date.now() - started) / 1000;
const peakRssMb = process.resourceUsage().maxRSS / 1024;
// Only now: a forced GC during the import would lower the peak it measures.
(globalThis as { gc?: () => void }).gc?.();
process.stdout.write(
  `${JSON.stringify({
    messages: summary.historyMessages,
    seconds,
    baselineRssMb: baselineRss / 2 ** 20,
    peakRssMb,
    heapAfterGcMb: process.memoryUsage().heapUsed / 2 ** 20,
    heapLimitMb: getHeapStatistics().heap_size_limit / 2 ** 20,
  })}\n`,
);
process.exit(0);
