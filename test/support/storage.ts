/**
 * One Cloud Storage emulator for the whole mocha run (see scripts/lib/storage-backend.ts),
 * started by the first suite that asks (~2 s) and stopped after the last test, and the admin
 * SDK's buckets on it.
 *
 * Like firestore.ts, the run's state lives on `globalThis`: mocha may instantiate this module
 * twice (ESM and CommonJS loads), and both must share one emulator.
 */
import { request } from 'node:http';
import { getApps, initializeApp } from 'firebase-admin/app';
import { getStorage } from 'firebase-admin/storage';
import { DEMO_PROJECT } from '../../scripts/lib/firestore-backend.ts';
import { type StorageBackend, startStorageBackend } from '../../scripts/lib/storage-backend.ts';
import { pseudoRandomStream } from './bytes.ts';

type Bucket = ReturnType<ReturnType<typeof getStorage>['bucket']>;

/** The bucket tests use unless they name another (any name works on the emulator). */
export const TEST_BUCKET = `${DEMO_PROJECT}.appspot.com`;

const STATE_KEY = Symbol.for('wasync.test.storage');
const globals = globalThis as Record<symbol, { started?: Promise<StorageBackend> } | undefined>;
globals[STATE_KEY] ??= {};
const run = globals[STATE_KEY];

/** The run's Storage emulator; also points this process's firebase-admin at it. */
export function sharedStorage(): Promise<StorageBackend> {
  run.started ??= (async () => {
    const backend = await startStorageBackend();
    // firebase-admin reads this when it creates its Storage client (the first getStorage()).
    process.env.FIREBASE_STORAGE_EMULATOR_HOST = backend.host;
    return backend;
  })();
  return run.started;
}

/** An admin-SDK bucket on the run's emulator (call after `sharedStorage()`). */
export function testBucket(name = TEST_BUCKET): Bucket {
  if (!process.env.FIREBASE_STORAGE_EMULATOR_HOST) throw new Error('call sharedStorage() before testBucket()');
  const app =
    getApps().find((a) => a.name === 'storage-test') ?? initializeApp({ projectId: DEMO_PROJECT }, 'storage-test');
  return getStorage(app).bucket(name);
}

/**
 * Starts a resumable upload of `size` bytes of `seed` as one request of undeclared length (what
 * the client does without `chunkSize`) and breaks the connection off after `sendBytes`.
 */
export async function uploadAndBreakOff(uri: string, size: number, seed: string, sendBytes: number): Promise<void> {
  const req = request(uri, { method: 'PUT', headers: { 'content-range': 'bytes 0-*/*' } });
  req.on('error', () => {}); // the break below
  const stream = pseudoRandomStream(size, seed);
  let sent = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const part = chunk.subarray(0, Math.max(0, sendBytes - sent));
    if (!req.write(part)) await new Promise((resolve) => req.once('drain', resolve));
    sent += part.length;
    if (sent >= sendBytes) break;
  }
  // Let the bytes reach the server before the connection dies.
  await new Promise((resolve) => setTimeout(resolve, 300));
  req.destroy();
  stream.destroy();
}

/** Asks a session what it holds (`PUT`, `Content-Range: bytes *\/*`): 308 + kept bytes, or 200 when done. */
export async function sessionStatus(uri: string): Promise<{ status: number; kept: number }> {
  const res = await fetch(uri, { method: 'PUT', headers: { 'content-range': 'bytes */*' } });
  await res.arrayBuffer();
  const range = res.headers.get('range');
  return { status: res.status, kept: range ? Number(range.split('-')[1]) + 1 : 0 };
}

if (typeof after === 'function') {
  after(async function () {
    this.timeout(30_000);
    const started = run.started;
    run.started = undefined;
    if (started) await (await started.catch(() => undefined))?.stop();
  });
}
