/**
 * One Cloud Storage emulator for the whole mocha run (see scripts/lib/storage-backend.ts),
 * started by the first suite that asks (~2 s) and stopped after the last test, and the admin
 * SDK's buckets on it.
 *
 * Like firestore.ts, the run's state lives on `globalThis`: mocha may instantiate this module
 * twice (ESM and CommonJS loads), and both must share one emulator.
 */
import { getApps, initializeApp } from 'firebase-admin/app';
import { getStorage } from 'firebase-admin/storage';
import { DEMO_PROJECT } from '../../scripts/lib/firestore-backend.ts';
import { type StorageBackend, startStorageBackend } from '../../scripts/lib/storage-backend.ts';

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

if (typeof after === 'function') {
  after(async function () {
    this.timeout(30_000);
    const started = run.started;
    run.started = undefined;
    if (started) await (await started.catch(() => undefined))?.stop();
  });
}
