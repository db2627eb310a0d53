/**
 * Reads per page: the functions' keyset pagination (functions/src/queries/messages.ts, the code the
 * API and callables run) against an offset-paginated baseline, in the same run, on the same
 * N-message thread. Reads are measured, not computed: firebase-admin's query execution is wrapped
 * and the documents each query returns are counted (Firestore bills one read per returned
 * document). The baseline reads the skipped rows and drops them (`limit(skip + n)`, then slice),
 * which is what Firestore does — and bills — for `offset(skip)`; counting returned documents of a
 * real `offset()` query would hide exactly the cost it has.
 */

import { paths, threadDocId } from '@wasync/shared';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { type Firestore, getFirestore, Timestamp } from 'firebase-admin/firestore';
import { listMessages } from '../functions/src/queries/messages.ts';
import { ReadMeter } from '../functions/test/support/reads.ts';
import { DEMO_PROJECT, startFirestoreBackend } from '../scripts/lib/firestore-backend.ts';
import type { Emit } from './types.ts';

const N = Number(process.env.BENCH_PAGINATION_DOCS ?? 1000);
const PAGE_SIZES = [50, 200];
const ACCOUNT = 'bench';
const JID = '4915100000001@s.whatsapp.net';
const THREAD = threadDocId(JID);

async function seed(db: Firestore): Promise<void> {
  for (let start = 0; start < N; start += 500) {
    const batch = db.batch();
    for (let i = start; i < Math.min(N, start + 500); i++) {
      const id = `3EB0${i.toString(16).toUpperCase().padStart(18, '0')}`;
      batch.set(db.doc(paths.message(ACCOUNT, THREAD, `${JID}~${id}`)), {
        accountId: ACCOUNT,
        id,
        threadId: THREAD,
        fromMe: false,
        sender: JID,
        timestamp: Timestamp.fromMillis(1_700_000_000_000 + Math.floor(i / 2) * 1000),
        type: 'text',
        text: `message ${i}`,
        status: 'read',
        source: 'history',
        updatedAt: Timestamp.fromMillis(1_700_000_000_000),
      });
    }
    await batch.commit();
  }
}

interface Walk {
  readsPerPage: number[];
  msPerPage: number[];
  rows: number;
}

async function walkCursor(db: Firestore, meter: ReadMeter, limit: number): Promise<Walk> {
  const walk: Walk = { readsPerPage: [], msPerPage: [], rows: 0 };
  let cursor: string | undefined;
  do {
    meter.reset();
    const started = performance.now();
    const page = await listMessages(db, { accountId: ACCOUNT, threadId: THREAD, order: 'desc' }, { limit, cursor });
    walk.msPerPage.push(performance.now() - started);
    walk.readsPerPage.push(meter.queryDocs().reduce((a, b) => a + b, 0));
    walk.rows += page.messages.length;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return walk;
}

async function walkOffset(db: Firestore, meter: ReadMeter, limit: number): Promise<Walk> {
  const walk: Walk = { readsPerPage: [], msPerPage: [], rows: 0 };
  const messages = db.collection(paths.messages(ACCOUNT, THREAD));
  for (let skip = 0; ; skip += limit) {
    meter.reset();
    const started = performance.now();
    const snapshot = await messages
      .orderBy('timestamp', 'desc')
      .limit(skip + limit)
      .get();
    const rows = snapshot.docs.slice(skip);
    walk.msPerPage.push(performance.now() - started);
    walk.readsPerPage.push(meter.queryDocs().reduce((a, b) => a + b, 0));
    walk.rows += rows.length;
    // Given the total for free (as if its count() query cost nothing), so it stops after the last
    // full page instead of paying for an empty one: the comparison flatters the baseline.
    if (rows.length < limit || skip + limit >= N) break;
  }
  return walk;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const round = (x: number) => Math.round(x * 100) / 100;

export default async function bench(emit: Emit): Promise<void> {
  const backend = await startFirestoreBackend();
  process.env.FIRESTORE_EMULATOR_HOST = backend.host;
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const app = initializeApp({ projectId: DEMO_PROJECT }, 'bench-pagination');
  const db = getFirestore(app);
  const meter = new ReadMeter().start();
  try {
    await seed(db);
    for (const limit of PAGE_SIZES) {
      const cursor = await walkCursor(db, meter, limit);
      const offset = await walkOffset(db, meter, limit);
      if (cursor.rows !== N || offset.rows !== N)
        throw new Error(`walks returned ${cursor.rows}/${offset.rows} of ${N}`);
      const common = { docs: N, page: limit, backend: backend.kind };
      for (const [name, walk] of [
        ['cursor', cursor],
        ['offset_baseline', offset],
      ] as const) {
        emit({
          metric: `pagination.${name}.reads_per_page_max`,
          value: Math.max(...walk.readsPerPage),
          unit: 'docs',
          ...common,
        });
        emit({
          metric: `pagination.${name}.reads_per_page_mean`,
          value: round(sum(walk.readsPerPage) / walk.readsPerPage.length),
          unit: 'docs',
          ...common,
        });
        emit({
          metric: `pagination.${name}.reads_total`,
          value: sum(walk.readsPerPage),
          unit: 'docs',
          pages: walk.readsPerPage.length,
          ...common,
        });
        emit({
          metric: `pagination.${name}.last_page_ms`,
          value: round(walk.msPerPage.at(-1)!),
          unit: 'ms',
          ...common,
        });
      }
      emit({
        metric: 'pagination.offset_over_cursor.reads_total',
        value: round(sum(offset.readsPerPage) / sum(cursor.readsPerPage)),
        unit: 'x',
        ...common,
      });
    }
  } finally {
    meter.stop();
    await deleteApp(app);
    await backend.stop();
  }
}
