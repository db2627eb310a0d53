/**
 * Helpers of the Firestore conformance suite: a second client (another host writing the same
 * data) and small timing tools for contention tests.
 */
import { createRequire } from 'node:module';
import { getApps, initializeApp } from 'firebase-admin/app';
import { type DocumentReference, type Firestore, getFirestore } from 'firebase-admin/firestore';
import { DEMO_PROJECT } from '../../scripts/lib/firestore-backend.ts';

/** A second firebase-admin client on its own channel, as a second socket host would have. */
export function otherClient(): Firestore {
  const app =
    getApps().find((a) => a.name === 'conformance-other') ??
    initializeApp({ projectId: DEMO_PROJECT }, 'conformance-other');
  return getFirestore(app);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A one-shot signal between a test and the transactions it drives. */
export function signal(): { fire(): void; fired: Promise<void> } {
  let fire!: () => void;
  const fired = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { fire, fired };
}

/**
 * Starts a transaction that reads `ref` (so holds its lock) and waits; resolves once the lock is
 * held. `release()` lets it increment the document's `n` and resolves when it has committed.
 */
export async function holdLock(db: Firestore, ref: DocumentReference): Promise<{ release(): Promise<void> }> {
  const holding = signal();
  const go = signal();
  const done = db.runTransaction(async (tx) => {
    const n = (await tx.get(ref)).get('n') as number;
    holding.fire();
    await go.fired;
    tx.update(ref, { n: n + 1 });
  });
  await Promise.race([holding.fired, done]);
  return {
    release: async () => {
      go.fire();
      await done;
    },
  };
}

/** gRPC status code of a rejected Firestore call. */
export function grpcCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

// The generated Firestore gRPC client and the grpc-js copy it was built with (a raw client can do
// what firebase-admin never does on purpose, such as cancelling a read mid-flight).
const protoModule = createRequire(import.meta.url).resolve(
  '@firestore-emulator/proto/dist/google/firestore/v1/firestore',
);
const { FirestoreClient, BatchGetDocumentsRequest } = createRequire(import.meta.url)(protoModule) as {
  FirestoreClient: new (
    address: string,
    credentials: unknown,
  ) => {
    BatchGetDocuments(request: unknown, metadata: unknown): NodeJS.EventEmitter & { cancel(): void };
    close(): void;
  };
  BatchGetDocumentsRequest: { fromObject(o: object): unknown };
};
const grpc = createRequire(protoModule)('@grpc/grpc-js') as typeof import('@grpc/grpc-js');

/** Starts a read that begins a read-write transaction on `documentPath`; `cancel()` abandons it. */
export function startTransactionalRead(host: string, documentPath: string): { cancel(): void } {
  const client = new FirestoreClient(host, grpc.credentials.createInsecure());
  const database = `projects/${DEMO_PROJECT}/databases/(default)`;
  const metadata = new grpc.Metadata();
  metadata.set('authorization', 'Bearer owner'); // what firebase-admin sends to an emulator
  const call = client.BatchGetDocuments(
    BatchGetDocumentsRequest.fromObject({
      database,
      documents: [`${database}/documents/${documentPath}`],
      new_transaction: { read_write: {} },
    }),
    metadata,
  );
  call.on('data', () => {});
  call.on('error', () => {}); // CANCELLED, expected
  return {
    cancel: () => {
      call.cancel();
      client.close();
    },
  };
}
