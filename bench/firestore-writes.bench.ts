/**
 * Firestore write cost on the test backend: the same N message-shaped documents written with one
 * awaited `set()` each, then as `WriteBatch`es of 500 (DESIGN I6's limit), in the same run.
 * The backend runs in its own process (see scripts/lib/firestore-backend.ts), so this process
 * measures only the client side plus the round trips. It also times three query listeners seeing
 * one batch, batched writes while 30 listeners watch other collections, and for the embedded emulator reports its live heap per 1000 stored documents, the
 * figure that decides how much history a test can hold.
 */
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { type Firestore, getFirestore } from 'firebase-admin/firestore';
import { DEMO_PROJECT, type FirestoreBackend, startFirestoreBackend } from '../scripts/lib/firestore-backend.ts';
import type { Emit } from './types.ts';

const N = Number(process.env.BENCH_WRITE_DOCS ?? 2000);
/** Documents kept for the memory figure: enough for the per-document cost to dominate. */
const MEMORY_DOCS = Number(process.env.BENCH_MEMORY_DOCS ?? 10_000);
const LISTEN_DOCS = 200;
const IDLE_LISTENERS = 30;
const BATCH = 500;

function messageDoc(i: number) {
  return {
    id: `3EB0${i.toString(16).toUpperCase().padStart(18, '0')}`,
    threadId: '4915112345678@s.whatsapp.net',
    fromMe: i % 3 === 0,
    sender: i % 3 === 0 ? null : '4915112345678@s.whatsapp.net',
    timestamp: new Date(1_700_000_000_000 + i * 1000),
    type: 'text',
    text: `message number ${i} with a little text to look like a real chat line`,
    status: 'delivered',
    source: 'history',
    updatedAt: new Date(),
  };
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function writeOneByOne(db: Firestore, prefix: string): Promise<void> {
  for (let i = 0; i < N; i++) await db.doc(`${prefix}/m${i}`).set(messageDoc(i));
}

async function writeInBatches(db: Firestore, prefix: string, count = N): Promise<void> {
  for (let start = 0; start < count; start += BATCH) {
    const batch = db.batch();
    for (let i = start; i < Math.min(count, start + BATCH); i++) batch.set(db.doc(`${prefix}/m${i}`), messageDoc(i));
    await batch.commit();
  }
}

interface Figures {
  singleDocsPerSec: number;
  batchDocsPerSec: number;
  /** ms until 3 query listeners saw all documents of one batch of LISTEN_DOCS and a read returns. */
  listenBatchMs: number;
  /**
   * Batched writes while IDLE_LISTENERS query listeners watch other collections (hosts' command
   * listeners). Not measured on the unpatched bundle: it re-sends every listener's result once per
   * written document and does not finish.
   */
  batchWithIdleListenersDocsPerSec?: number;
  heapMbPer1kDocs?: number;
}

async function measure(backend: FirestoreBackend, name: string): Promise<Figures> {
  process.env.FIRESTORE_EMULATOR_HOST = backend.host; // read when the client is created
  const app = initializeApp({ projectId: DEMO_PROJECT }, `bench-writes-${name}`);
  const db = getFirestore(app);
  try {
    await writeInBatches(db, 'accounts/warmup/threads/t/messages'); // JIT and connection warm-up
    await backend.clear();
    const singleMs = await timeIt(() => writeOneByOne(db, 'accounts/single/threads/t/messages'));
    await backend.clear();
    const batchMs = await timeIt(() => writeInBatches(db, 'accounts/batch/threads/t/messages'));
    await backend.clear();
    const listenBatchMs = await timeListeners(db, 'accounts/listen/threads/t/messages');
    const figures: Figures = {
      singleDocsPerSec: (N / singleMs) * 1000,
      batchDocsPerSec: (N / batchMs) * 1000,
      listenBatchMs,
    };
    if (name !== 'unpatched') {
      await backend.clear();
      const idleMs = await withIdleListeners(db, () =>
        timeIt(() => writeInBatches(db, 'accounts/busy/threads/t/messages')),
      );
      figures.batchWithIdleListenersDocsPerSec = (N / idleMs) * 1000;
    }
    return figures;
  } finally {
    await deleteApp(app);
  }
}

/**
 * Live heap per 1000 stored documents (heap used after a full GC, with the documents minus without),
 * in a fresh emulator process.
 */
async function measureMemory(backend: FirestoreBackend, name: string): Promise<number | undefined> {
  if (backend.admin === undefined) return undefined;
  process.env.FIRESTORE_EMULATOR_HOST = backend.host;
  const app = initializeApp({ projectId: DEMO_PROJECT }, `bench-memory-${name}`);
  try {
    const db = getFirestore(app);
    await db.doc('warmup/w').set({ w: 1 });
    const emptyMb = await heapMb(backend.admin);
    await writeInBatches(db, 'accounts/memory/threads/t/messages', MEMORY_DOCS);
    return (((await heapMb(backend.admin)) - emptyMb) / MEMORY_DOCS) * 1000;
  } finally {
    await deleteApp(app);
  }
}

async function heapMb(admin: string): Promise<number> {
  const usage = (await (await fetch(`${admin}/memory`)).json()) as { heapUsed: number };
  return usage.heapUsed / 2 ** 20;
}

/**
 * Three listeners on one collection (like command listeners), then one batch of LISTEN_DOCS into it.
 * Kept small: the unpatched emulator re-ran every query and re-sent its whole result once per
 * written document, and a batch of 500 did not finish within the 60 s commit deadline.
 */
async function timeListeners(db: Firestore, prefix: string): Promise<number> {
  const col = db.collection(prefix);
  const unsubscribes: (() => void)[] = [];
  const seenAll = Array.from(
    { length: 3 },
    () =>
      new Promise<void>((resolve, reject) => {
        unsubscribes.push(col.onSnapshot((snap) => snap.size === LISTEN_DOCS && resolve(), reject));
      }),
  );
  try {
    return await timeIt(async () => {
      await writeInBatches(db, prefix, LISTEN_DOCS);
      await Promise.all(seenAll);
      // Until the emulator is free again: a read queues behind whatever the batch still triggers.
      await db.doc(`${prefix}/m0`).get();
    });
  } finally {
    for (const unsubscribe of unsubscribes) unsubscribe();
  }
}

/**
 * One query listener per account on its pending commands (10 each), as socket hosts keep them,
 * while `run` writes elsewhere: the writes must not make every listener re-send its result.
 */
async function withIdleListeners<T>(db: Firestore, run: () => Promise<T>): Promise<T> {
  const ready: Promise<void>[] = [];
  const unsubscribes: (() => void)[] = [];
  const seed = db.batch();
  for (let i = 0; i < IDLE_LISTENERS; i++) {
    for (let c = 0; c < 10; c++) seed.set(db.doc(`accounts/a${i}/commands/c${c}`), { state: 'pending', n: c });
  }
  await seed.commit();
  for (let i = 0; i < IDLE_LISTENERS; i++) {
    const pending = db.collection(`accounts/a${i}/commands`).where('state', '==', 'pending');
    ready.push(new Promise((resolve, reject) => unsubscribes.push(pending.onSnapshot(() => resolve(), reject))));
  }
  try {
    await Promise.all(ready);
    return await run();
  } finally {
    for (const unsubscribe of unsubscribes) unsubscribe();
  }
}

/**
 * With no FIRESTORE_EMULATOR_HOST, measures the patched embedded emulator and, in the same run,
 * the published unpatched bundle as the baseline (`vs_unpatched` ratios: >1 is better for rates,
 * <1 is better for times and memory).
 */
export default async function bench(emit: Emit): Promise<void> {
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const external = process.env.FIRESTORE_EMULATOR_HOST;
  const runs: [string, () => Promise<FirestoreBackend>][] = [['patched', () => startFirestoreBackend()]];
  if (!external) runs.push(['unpatched', () => startFirestoreBackend({}, { unpatched: true })]);
  const figures: Record<string, Figures> = {};
  for (const [name, start] of runs) {
    for (const step of ['speed', 'memory'] as const) {
      const backend = await start();
      try {
        if (step === 'speed') figures[name] = await measure(backend, name);
        else {
          const heap = await measureMemory(backend, name);
          if (heap !== undefined) figures[name]!.heapMbPer1kDocs = heap;
        }
      } finally {
        await backend.stop();
        if (external) process.env.FIRESTORE_EMULATOR_HOST = external;
        else delete process.env.FIRESTORE_EMULATOR_HOST;
      }
    }
  }
  const now = figures.patched!;
  const base = figures.unpatched;
  const common = { docs: N, backend: external ? 'FIRESTORE_EMULATOR_HOST' : 'embedded' };
  const ratio = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined ? { vs_unpatched: round(a / b) } : {};
  emit({
    metric: 'firestore.write.single_set',
    value: round(now.singleDocsPerSec),
    unit: 'docs/s',
    ...common,
    ...ratio(now.singleDocsPerSec, base?.singleDocsPerSec),
  });
  emit({
    metric: 'firestore.write.batch_500',
    value: round(now.batchDocsPerSec),
    unit: 'docs/s',
    ...common,
    ...ratio(now.batchDocsPerSec, base?.batchDocsPerSec),
  });
  emit({
    metric: 'firestore.write.batch_speedup',
    value: round(now.batchDocsPerSec / now.singleDocsPerSec),
    unit: 'x',
    ...common,
  });
  emit({
    metric: 'firestore.listen.batch_200_to_3_listeners',
    value: round(now.listenBatchMs),
    unit: 'ms',
    ...common,
    ...ratio(now.listenBatchMs, base?.listenBatchMs),
  });
  if (now.batchWithIdleListenersDocsPerSec !== undefined) {
    emit({
      metric: 'firestore.write.batch_500_with_30_idle_listeners',
      value: round(now.batchWithIdleListenersDocsPerSec),
      unit: 'docs/s',
      ...common,
      vs_no_listeners: round(now.batchWithIdleListenersDocsPerSec / now.batchDocsPerSec),
    });
  }
  if (now.heapMbPer1kDocs !== undefined) {
    emit({
      metric: 'firestore.embedded.heap_per_1k_docs',
      value: round(now.heapMbPer1kDocs),
      unit: 'MB',
      docs: MEMORY_DOCS,
      backend: 'embedded',
      ...ratio(now.heapMbPer1kDocs, base?.heapMbPer1kDocs),
    });
  }
}

const round = (x: number) => Math.round(x * 100) / 100;
