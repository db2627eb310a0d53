/**
 * Firestore write cost on the test backend: the same N message-shaped documents written with one
 * awaited `set()` each, then as `WriteBatch`es of 500 (DESIGN I6's limit), in the same run.
 * The backend runs in its own process (see scripts/lib/firestore-backend.ts), so this process
 * measures only the client side plus the round trips.
 */
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { type Firestore, getFirestore } from 'firebase-admin/firestore';
import { DEMO_PROJECT, startFirestoreBackend } from '../scripts/lib/firestore-backend.ts';
import type { Emit } from './types.ts';

const N = Number(process.env.BENCH_WRITE_DOCS ?? 2000);
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

async function writeInBatches(db: Firestore, prefix: string): Promise<void> {
  for (let start = 0; start < N; start += BATCH) {
    const batch = db.batch();
    for (let i = start; i < Math.min(N, start + BATCH); i++) batch.set(db.doc(`${prefix}/m${i}`), messageDoc(i));
    await batch.commit();
  }
}

export default async function bench(emit: Emit): Promise<void> {
  const backend = await startFirestoreBackend();
  process.env.FIRESTORE_EMULATOR_HOST = backend.host;
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const app = initializeApp({ projectId: DEMO_PROJECT }, 'bench-writes');
  const db = getFirestore(app);
  try {
    await writeInBatches(db, 'accounts/warmup/threads/t/messages'); // JIT and connection warm-up
    await backend.clear();
    const singleMs = await timeIt(() => writeOneByOne(db, 'accounts/single/threads/t/messages'));
    await backend.clear();
    const batchMs = await timeIt(() => writeInBatches(db, 'accounts/batch/threads/t/messages'));
    const common = { docs: N, backend: backend.kind === 'external' ? 'FIRESTORE_EMULATOR_HOST' : 'embedded' };
    emit({ metric: 'firestore.write.single_set', value: round((N / singleMs) * 1000), unit: 'docs/s', ...common });
    emit({ metric: 'firestore.write.batch_500', value: round((N / batchMs) * 1000), unit: 'docs/s', ...common });
    emit({ metric: 'firestore.write.batch_speedup', value: round(singleMs / batchMs), unit: 'x', ...common });
  } finally {
    await deleteApp(app);
    await backend.stop();
  }
}

const round = (x: number) => Math.round(x * 100) / 100;
